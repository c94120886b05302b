package io.pvring.uring;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.netty.channel.IoRegistration;
import io.netty.channel.ManualIoEventLoop;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringIoHandlerConfig;
import io.netty.util.concurrent.Future;
import io.pvring.event.ThreadParker;
import io.pvring.runner.Runner;

/**
 * One io_uring per thread, shared by everything that thread drives there (blkback's io_uring file engines, the kick
 * eventfds a runner watches for out-of-process frontends): a Netty {@link ManualIoEventLoop} owned by the thread,
 * created by the first user and torn down when the last one releases it. On a {@link Runner} thread it is also how
 * the runner sleeps ({@link ThreadParker}): the runner waits in {@code io_uring_enter} for a CQE, an event's wake-up
 * (Netty's eventfd) or its timer, so a completion wakes it with no thread in between and cannot be lost (a CQE
 * posted before the wait makes the wait return at once). Elsewhere (tests, tools) the users poll.
 */
public final class ThreadRing implements ThreadParker
{
    /** SQ entries; the CQ gets twice as many (Netty's default), and the kernel keeps overflow (FEAT_NODROP). */
    public static final int RING_ENTRIES = 4096;
    /** {@link ManualIoEventLoop#runNow(long)}: I/O only, no task queue (nothing is ever queued as a task). */
    private static final long IO_ONLY = -1;
    private static final ThreadLocal<ThreadRing> CURRENT = new ThreadLocal<>();

    private final Thread owner = Thread.currentThread();
    private final ManualIoEventLoop loop;
    private final CompletionPeek peek;
    /** Submits and reaps without Netty's per-call allocation; null when Netty's internals are not the known ones. */
    private final NonAllocatingPass pass;
    private final Runner runner;
    /** Passes through Netty's loop (owner thread only); see {@link #passes()}. */
    private long passes;
    private int users;
    /** Requests of every user that are in the ring and not yet reaped (owner thread only). */
    private int inFlight;

    private ThreadRing()
    {
        final IoUringIoHandlerConfig config = new IoUringIoHandlerConfig().setRingSize(RING_ENTRIES);
        loop = new ManualIoEventLoop(null, owner, IoUringIoHandler.newFactory(config));
        loop.runNow(IO_ONLY); // enables the ring on this thread (single issuer from here on)
        peek = CompletionPeek.of(loop);
        pass = NonAllocatingPass.of(loop);
        runner = Runner.current();
        if (runner != null)
        {
            runner.parker(this);
        }
    }

    /** This thread's ring, created on first use; every call is paired with {@link #release()}. */
    public static ThreadRing acquire()
    {
        ThreadRing ring = CURRENT.get();
        if (ring == null)
        {
            ring = new ThreadRing();
            CURRENT.set(ring);
        }
        ring.users++;
        return ring;
    }

    public Thread owner()
    {
        return owner;
    }

    /** True when the thread is a runner that sleeps in this ring: its completions wake it, no polling needed. */
    public boolean wakesItsThread()
    {
        return runner != null;
    }

    /** True when polling reads the ring's memory and calls Netty only when there is something to reap. */
    public boolean peeks()
    {
        return !peek.isFallback();
    }

    public IoRegistration register(final IoUringIoHandle handle)
    {
        final Future<IoRegistration> registered = loop.register(handle);
        if (!registered.isDone() || !registered.isSuccess())
        {
            throw new IllegalStateException("io_uring: registering on the thread's ring failed", registered.cause());
        }
        return registered.getNow();
    }

    /**
     * Counts requests a user put in the ring ({@code delta} > 0) or reaped ({@code delta} < 0): while any is in
     * flight the ring is not torn down, since Netty would wait for it. Owner thread only.
     */
    public void inFlight(final int delta)
    {
        inFlight += delta;
    }

    /** True when submitting, reaping and sleeping in {@link #park} allocate nothing (see {@link NonAllocatingPass}). */
    public boolean passesWithoutAllocating()
    {
        return pass != null;
    }

    /**
     * How many times the owner entered Netty's loop (without {@link #passesWithoutAllocating()}: a submit, a reap
     * that found something, a sleep): each such pass allocates Netty's completion callback (16 bytes), which is what
     * allocation tests bound. Owner thread only.
     */
    public long passes()
    {
        return passes;
    }

    /** {@link #passes()} of the calling thread's ring, 0 when it has none (creates nothing). */
    public static long passesOnThisThread()
    {
        final ThreadRing ring = CURRENT.get();
        return ring == null ? 0 : ring.passes;
    }

    /** Submits what was queued and reaps what is ready: one {@code io_uring_enter}. Returns completions handled. */
    public int submitAndReap()
    {
        return pass();
    }

    /** Reaps what is ready, entering Netty (and the kernel) only when the ring's memory says there is something. */
    public int reap()
    {
        if (!peek.ready())
        {
            return 0;
        }
        return pass();
    }

    private int pass()
    {
        if (pass != null)
        {
            return pass.run();
        }
        passes++;
        return loop.runNow(IO_ONLY);
    }

    @Override
    public void park(final long boundNanos)
    {
        // 0 means "no bound"; the pass returns on a CQE, a wake-up or the bound.
        if (pass != null)
        {
            pass.block(boundNanos > 0 ? boundNanos : -1);
            return;
        }
        passes++;
        loop.run(boundNanos > 0 ? boundNanos : 0, IO_ONLY);
    }

    @Override
    public void unpark()
    {
        // The owner itself (a completion handled inside park signals its own runner) is awake already.
        if (Thread.currentThread() != owner)
        {
            loop.wakeup();
        }
    }

    /** One user is done with the ring; the last one tears it down (bounded by {@code deadlineNanos}). */
    public void release(final long deadlineNanos)
    {
        if (--users > 0)
        {
            return;
        }
        if (inFlight > 0)
        {
            // A user gave up on a request stuck in the kernel: tearing the ring down would wait for it (Netty
            // drains before it destroys), blocking this thread for good. The ring stays, for the next user here.
            return;
        }
        CURRENT.remove();
        if (runner != null)
        {
            runner.parker(null);
        }
        loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        final long deadline = Math.max(deadlineNanos, System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
        while (!loop.isTerminated() && System.nanoTime() < deadline)
        {
            if (loop.runNow() == 0 && !loop.isTerminated())
            {
                LockSupport.parkNanos(50_000);
            }
        }
    }
}
