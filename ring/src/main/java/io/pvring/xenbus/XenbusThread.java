package io.pvring.xenbus;

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
                    work = agent.doWork();
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
