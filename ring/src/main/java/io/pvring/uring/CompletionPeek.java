package io.pvring.uring;

import java.nio.ByteBuffer;

import io.netty.channel.ManualIoEventLoop;
import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;

/**
 * Tells, from the ring's shared memory alone, whether a Netty io_uring has anything for its owner to reap: a CQE
 * between the completion queue's head and tail, or a kernel flag in the submission queue's {@code flags} word
 * ({@code IORING_SQ_TASKRUN}: completion work deferred until the owner enters the kernel, {@code
 * IORING_SQ_CQ_OVERFLOW}). The ring asks it before each reaping pass, so a ring thread polling with I/O in flight
 * enters Netty (and the kernel) only when there is something to reap.
 *
 * <p>Netty keeps those words in package-private fields ({@code ManualIoEventLoop.handler}, {@code
 * IoUringIoHandler.ringBuffer}, {@code RingBuffer.ioUring*Queue}, {@code CompletionQueue.khead/ktail}, {@code
 * SubmissionQueue.kflags}), found here by reflection once per engine. When a Netty version renames one, {@link
 * #of} returns the fallback that always says "maybe" (the engine then runs the loop on every poll: correct, and
 * allocating), like blkback's {@code ReusableSqe}.
 */
final class CompletionPeek
{
    /** From include/uapi/linux/io_uring.h. */
    static final int IORING_SQ_CQ_OVERFLOW = 1 << 1;
    static final int IORING_SQ_TASKRUN = 1 << 2;

    private static final CompletionPeek ALWAYS = new CompletionPeek(0, 0, 0);

    private final long cqHead;
    private final long cqTail;
    private final long sqFlags;

    private CompletionPeek(final long cqHead, final long cqTail, final long sqFlags)
    {
        this.cqHead = cqHead;
        this.cqTail = cqTail;
        this.sqFlags = sqFlags;
    }

    /** The peek for {@code loop}'s ring; call once the ring is set up (its memory is mapped until it closes). */
    static CompletionPeek of(final ManualIoEventLoop loop)
    {
        try
        {
            final NettyRingParts parts = NettyRingParts.of(loop);
            return new CompletionPeek(
                address(NettyRingParts.read(parts.completionQueue(), "khead")),
                address(NettyRingParts.read(parts.completionQueue(), "ktail")),
                address(NettyRingParts.read(parts.submissionQueue(), "kflags")));
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            return ALWAYS;
        }
    }

    /** True when the fallback is in use (Netty's layout not recognised). */
    boolean isFallback()
    {
        return this == ALWAYS;
    }

    /**
     * True when the owner has something to reap. Volatile reads: the kernel publishes a CQE before the tail, and a
     * flag set after our last entry must be seen.
     */
    boolean ready()
    {
        if (this == ALWAYS)
        {
            return true;
        }
        return UnsafeApi.getIntVolatile(null, cqTail) != UnsafeApi.getIntVolatile(null, cqHead) ||
            (UnsafeApi.getIntVolatile(null, sqFlags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)) != 0;
    }

    private static long address(final Object buffer)
    {
        final ByteBuffer direct = (ByteBuffer)buffer;
        if (!direct.isDirect() || direct.capacity() < Integer.BYTES)
        {
            throw new IllegalStateException("not a ring word: " + direct);
        }
        return BufferUtil.address(direct) + direct.position();
    }
}
