package io.pvring.xenbus;

import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.Agent;

/**
 * The xenbus thread: runs a {@link XenbusBackend} or {@link XenbusFrontend} agent, sleeping while it has nothing
 * to do and woken by its xenstore watch listener or a close request. Watch handling (connect, disconnect,
 * teardown, which may block) happens here, never on a ring thread.
 */
public final class XenbusThread implements AutoCloseable
{
    private final Agent agent;
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicBoolean woken = new AtomicBoolean(true);
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();

    private XenbusThread(final Agent agent)
    {
        this.agent = agent;
        this.thread = new Thread(this::run, agent.roleName());
        this.thread.setDaemon(true);
    }

    public static XenbusThread start(final XenbusBackend backend)
    {
        final XenbusThread t = new XenbusThread(backend);
        backend.wakeup(t::wake);
        t.thread.start();
        return t;
    }

    public static XenbusThread start(final XenbusFrontend frontend)
    {
        final XenbusThread t = new XenbusThread(frontend);
        frontend.wakeup(t::wake);
        t.thread.start();
        return t;
    }

    /** Cheap when the thread is busy: one CAS, an unpark only when it may sleep. */
    public void wake()
    {
        if (woken.compareAndSet(false, true))
        {
            LockSupport.unpark(thread);
        }
    }

    private void run()
    {
        try
        {
            agent.onStart();
            while (running.get())
            {
                woken.set(false);
                int work;
                do
                {
                    work = runTasks() + agent.doWork();
                }
                while (work > 0 && running.get());
                if (!woken.get() && running.get())
                {
                    LockSupport.park(this);
                }
            }
        }
        catch (final Exception ex)
        {
            Thread.currentThread().getUncaughtExceptionHandler().uncaughtException(Thread.currentThread(), ex);
        }
        finally
        {
            agent.onClose();
        }
    }

    /**
     * Runs {@code task} on the xenbus thread and waits for its result: the buses are single-threaded, so an
     * emulator's thread attaches frontends and inspects devices through this.
     *
     * @throws IllegalStateException when the thread has stopped, the task failed or did not finish in time.
     */
    public <T> T call(final Callable<T> task, final long timeout, final TimeUnit unit)
    {
        if (!running.get())
        {
            throw new IllegalStateException("xenbus thread stopped: " + thread.getName());
        }
        if (Thread.currentThread() == thread)
        {
            try
            {
                return task.call();
            }
            catch (final Exception ex)
            {
                throw new IllegalStateException("xenbus task failed: " + ex.getMessage(), ex);
            }
        }
        final CompletableFuture<T> result = new CompletableFuture<>();
        tasks.add(() ->
        {
            try
            {
                result.complete(task.call());
            }
            catch (final Exception | Error ex)
            {
                result.completeExceptionally(ex);
            }
        });
        wake();
        try
        {
            return result.get(timeout, unit);
        }
        catch (final ExecutionException ex)
        {
            throw new IllegalStateException("xenbus task failed: " + ex.getCause().getMessage(), ex.getCause());
        }
        catch (final TimeoutException ex)
        {
            throw new IllegalStateException("xenbus task not done within " + timeout + " " + unit, ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for the xenbus thread", ex);
        }
    }

    private int runTasks()
    {
        int done = 0;
        Runnable task;
        while ((task = tasks.poll()) != null)
        {
            task.run();
            done++;
        }
        return done;
    }

    /** Stops the thread (the agent's devices are torn down on it) and joins it. Idempotent. */
    @Override
    public void close()
    {
        running.set(false);
        LockSupport.unpark(thread);
        if (Thread.currentThread() != thread)
        {
            try
            {
                thread.join();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }
}
