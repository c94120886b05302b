package io.pvring.event.remote;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.channel.epoll.Native;
import io.netty.channel.unix.FileDescriptor;
import io.pvring.event.EventPort;
import io.pvring.event.EventWaiter;

/**
 * vhost-user's "call": the client's eventfd for one port, written by whichever thread notifies the port (a
 * backend's runner) instead of an {@link EvtchnMessageDescriptor#OP_EVENT} message, so an event reaches the
 * frontend with one {@code write(2)} and no hop through the socket's event loop. The port's pending bit is
 * test-and-cleared first, so notifications coalesce as they do on the socket (and the eventfd counter coalesces
 * the rest); a masked port wakes nobody, and unmasking it wakes this again when it is pending.
 *
 * <p>{@link #close()} waits for a write in progress before closing the descriptor, so a notifier never writes to
 * a descriptor number the process has reused.
 */
final class CallDoorbell implements EventWaiter
{
    private static final int CLOSED = Integer.MIN_VALUE / 2;

    private final EventPort port;
    private final FileDescriptor fd;
    /** Writers in progress, or negative once closing: a writer enters only while it is not negative. */
    private final AtomicInteger writers = new AtomicInteger();
    private long writeErrors;

    CallDoorbell(final EventPort port, final FileDescriptor fd)
    {
        this.port = port;
        this.fd = fd;
    }

    @Override
    public void wake()
    {
        if (writers.incrementAndGet() > 0)
        {
            try
            {
                if (port.consumePending())
                {
                    Native.eventFdWrite(fd.intValue(), 1L);
                }
            }
            catch (final RuntimeException ex)
            {
                // The client closed its end or the counter is saturated: its loss, counted; nothing else stops.
                writeErrors++;
            }
        }
        writers.decrementAndGet();
    }

    long writeErrors()
    {
        return writeErrors;
    }

    /** Stops writing, waits for a write in progress, closes the descriptor. Idempotent. */
    void close()
    {
        if (writers.getAndAdd(CLOSED) < 0)
        {
            writers.addAndGet(-CLOSED);
            return;
        }
        final long deadline = System.nanoTime() + 1_000_000_000L;
        while (writers.get() != CLOSED && System.nanoTime() < deadline)
        {
            Thread.onSpinWait(); // a write(2) to an eventfd takes microseconds
        }
        try
        {
            fd.close();
        }
        catch (final IOException ex)
        {
            // Closing an eventfd does not fail in a way that matters here.
        }
    }
}
