package io.pvring.xenstore;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One unprivileged domain's requests answered on its sockets and not yet taken by its clients, counted across all
 * its connections: xenstored's "outstanding requests" quota (XSA-326, {@code -Q outstanding}, default 20). At the
 * quota the domain's connections process nothing more until a reply is taken; then every waiting connection is
 * told. Thread-safe.
 */
public final class OutstandingRequests
{
    private final int limit;
    private final AtomicInteger count = new AtomicInteger();
    private final Set<Runnable> waiters = ConcurrentHashMap.newKeySet();

    OutstandingRequests(final int limit)
    {
        this.limit = limit;
    }

    public int limit()
    {
        return limit;
    }

    /** Replies written and not yet taken by the clients. */
    public int count()
    {
        return count.get();
    }

    /** Whether another request of the domain may be answered now. */
    public boolean mayStart()
    {
        return count.get() < limit;
    }

    /** A request was answered: its reply is on its way. */
    public void started()
    {
        count.incrementAndGet();
    }

    /** A reply was taken by its client (or its connection closed): waiting connections may go on. */
    public void finished()
    {
        if (count.decrementAndGet() < limit)
        {
            for (final Runnable w : waiters)
            {
                w.run();
            }
        }
    }

    /** {@code waiter} is run (on the thread that finished a request) whenever the domain is below its quota. */
    public void addWaiter(final Runnable waiter)
    {
        waiters.add(waiter);
    }

    public void removeWaiter(final Runnable waiter)
    {
        waiters.remove(waiter);
    }
}
