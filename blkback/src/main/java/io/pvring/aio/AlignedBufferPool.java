package io.pvring.aio;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.BufferUtil;

/**
 * A fixed set of aligned direct buffers, allocated up front, for {@code O_DIRECT} requests whose memory, offset or
 * length is unaligned. Each is big enough for the largest request plus an alignment unit at each end; a worker
 * that finds none free waits for one (the pool bounds the memory, not the request count).
 */
final class AlignedBufferPool
{
    static final int ALIGNMENT = 4096;

    private final ArrayBlockingQueue<ByteBuffer> free;
    private final int bufferBytes;
    private final AtomicLong acquired = new AtomicLong();

    AlignedBufferPool(final int count, final int maxIoBytes, final int maxAlignment)
    {
        bufferBytes = maxIoBytes + 2 * maxAlignment;
        free = new ArrayBlockingQueue<>(count);
        for (int i = 0; i < count; i++)
        {
            free.add(BufferUtil.allocateDirectAligned(bufferBytes, Math.max(ALIGNMENT, maxAlignment)));
        }
    }

    int bufferBytes()
    {
        return bufferBytes;
    }

    ByteBuffer acquire() throws InterruptedException
    {
        acquired.incrementAndGet();
        return free.take();
    }

    /** Requests that have gone through a bounce buffer so far. */
    long acquired()
    {
        return acquired.get();
    }

    void release(final ByteBuffer buffer)
    {
        free.add(buffer);
    }
}
