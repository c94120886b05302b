package io.pvring.runner;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A ring agent for runner tests: its "ring" is a count of queued requests another thread (or the test) adds with
 * {@link #offer(int)}, announcing them through the waker as a port notification would. It records what the runner
 * asked of it, and can be told to throw.
 */
class CountingAgent implements RingAgent
{
    private final String name;
    private final AtomicInteger queued = new AtomicInteger();
    final AtomicLong served = new AtomicLong();
    final AtomicLong doWorks = new AtomicLong();
    final AtomicLong arms = new AtomicLong();
    final AtomicInteger starts = new AtomicInteger();
    final AtomicInteger closes = new AtomicInteger();
    final AtomicLong workAfterClose = new AtomicLong();
    volatile AgentWaker waker;
    volatile RuntimeException throwOnWork;
    volatile RuntimeException throwOnArm;
    /** Requests the frontend publishes just before the next arming (they must be found by its final check). */
    volatile int publishBeforeArm;

    CountingAgent(final String name)
    {
        this.name = name;
    }

    /** Queues requests and wakes the agent (any thread), as a frontend's push plus event channel notify would. */
    void offer(final int requests)
    {
        queued.addAndGet(requests);
        final AgentWaker w = waker;
        if (w != null)
        {
            w.wake();
        }
    }

    /** Queues requests without waking anyone: a frontend that saw no need to notify (the ring was not armed). */
    void publishQuietly(final int requests)
    {
        queued.addAndGet(requests);
    }

    int queued()
    {
        return queued.get();
    }

    @Override
    public int doWork()
    {
        doWorks.incrementAndGet();
        if (closes.get() > 0)
        {
            workAfterClose.incrementAndGet();
        }
        final RuntimeException ex = throwOnWork;
        if (ex != null)
        {
            throw ex;
        }
        final int batch = Math.min(queued.get(), 8);
        if (batch > 0)
        {
            queued.addAndGet(-batch);
            served.addAndGet(batch);
        }
        return batch;
    }

    @Override
    public boolean armAndCheck()
    {
        arms.incrementAndGet();
        final RuntimeException ex = throwOnArm;
        if (ex != null)
        {
            throw ex;
        }
        if (publishBeforeArm > 0)
        {
            queued.addAndGet(publishBeforeArm);
            publishBeforeArm = 0;
        }
        return queued.get() > 0;
    }

    @Override
    public void waker(final AgentWaker waker)
    {
        this.waker = waker;
    }

    @Override
    public void onStart()
    {
        starts.incrementAndGet();
    }

    @Override
    public void onClose()
    {
        closes.incrementAndGet();
    }

    @Override
    public String roleName()
    {
        return name;
    }

    @Override
    public String toString()
    {
        return name + "{queued=" + queued + ", served=" + served + ", doWorks=" + doWorks + ", arms=" + arms +
            ", closes=" + closes + '}';
    }
}
