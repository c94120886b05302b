package io.pvring.netback;

import java.nio.ByteBuffer;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * Frames waiting for a guest's RX buffers: a bounded many-to-one ring (a guest that posts no buffers costs counted
 * drops, never memory, XSA-392), written by any delivering thread, read by the queue's. Each message is a header
 * and the frame:
 * <pre>
 *   0       2       4               8               16              24
 *   +-------+-------+---------------+---------------+---------------+---------- - -
 *   | flags |gsoType|    gsoSize    |  enqueued ns  |   hash or -1  | frame ...
 *   +-------+-------+---------------+---------------+---------------+---------- - -
 * </pre>
 * {@code flags} are {@link io.pvring.netback.vswitch.Offload} flags; {@code hash} is the control ring's
 * ({@code HashConfig.hash}: type and value) for an {@code XEN_NETIF_EXTRA_TYPE_HASH} extra.
 */
final class RxBacklog
{
    static final int FLAGS_OFFSET = 0;
    static final int GSO_TYPE_OFFSET = 2;
    static final int GSO_SIZE_OFFSET = 4;
    static final int TIME_OFFSET = 8;
    static final int HASH_OFFSET = 16;
    static final int HEADER_LENGTH = 24;
    private static final int MSG_TYPE = 1;

    private final ManyToOneRingBuffer ring;

    /** @param capacity bytes of messages, a power of two. */
    RxBacklog(final int capacity)
    {
        ring = new ManyToOneRingBuffer(
            new UnsafeBuffer(ByteBuffer.allocateDirect(capacity + RingBufferDescriptor.TRAILER_LENGTH)));
    }

    /** Queues a frame (any thread); false when the backlog is full. */
    boolean offer(
        final DirectBuffer frame, final int offset, final int length, final int flags, final int gsoType,
        final int gsoSize, final long hash, final long nowNanos)
    {
        final int index = ring.tryClaim(MSG_TYPE, HEADER_LENGTH + length);
        if (index <= 0)
        {
            return false;
        }
        final AtomicBuffer buffer = ring.buffer();
        buffer.putShort(index + FLAGS_OFFSET, (short)flags);
        buffer.putShort(index + GSO_TYPE_OFFSET, (short)gsoType);
        buffer.putInt(index + GSO_SIZE_OFFSET, gsoSize);
        buffer.putLong(index + TIME_OFFSET, nowNanos);
        buffer.putLong(index + HASH_OFFSET, hash);
        buffer.putBytes(index + HEADER_LENGTH, frame, offset, length);
        ring.commit(index);
        return true;
    }

    /** Bytes waiting. */
    int size()
    {
        return ring.size();
    }

    /** Hands up to {@code limit} messages to {@code handler} (the queue's thread only). */
    int read(final ControlledMessageHandler handler, final int limit)
    {
        return ring.controlledRead(handler, limit);
    }
}
