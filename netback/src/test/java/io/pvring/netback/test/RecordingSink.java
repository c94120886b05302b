package io.pvring.netback.test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.pvring.netback.vswitch.PortSink;
import org.agrona.DirectBuffer;

/** A switch port sink that keeps copies of what it receives; thread-safe, with a bounded blocking take. */
public final class RecordingSink implements PortSink
{
    private final LinkedBlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
    private final List<int[]> meta = new ArrayList<>();

    @Override
    public synchronized boolean deliver(
        final DirectBuffer frame, final int offset, final int length, final int flags, final int gsoType,
        final int gsoSize)
    {
        final byte[] copy = new byte[length];
        frame.getBytes(offset, copy);
        meta.add(new int[]{flags, gsoType, gsoSize});
        queue.add(copy);
        return true;
    }

    /** Waits (bounded) for the next frame; fails the test on timeout. */
    public byte[] take(final long timeoutMillis)
    {
        try
        {
            final byte[] frame = queue.poll(timeoutMillis, TimeUnit.MILLISECONDS);
            if (frame == null)
            {
                throw new AssertionError("no frame within " + timeoutMillis + " ms");
            }
            return frame;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", ex);
        }
    }

    public byte[] poll()
    {
        return queue.poll();
    }

    public int size()
    {
        return queue.size();
    }

    public void clear()
    {
        queue.clear();
    }
}
