package io.pvring.aio;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * One request in flight: the engine's private copy of what the caller submitted, preallocated per queue-depth
 * entry and reused, so a request allocates nothing. Written by the submitting thread before it is handed to an
 * engine thread (through a queue, which orders the writes); {@link #result} is written by whichever thread
 * completes it, before it is published on the completion queue.
 */
final class AioSlot
{
    static final int FREE = 0;
    static final int PREPARED = 1;
    static final int SUBMITTED = 2;
    static final int DONE = 3;

    private static final AtomicIntegerFieldUpdater<AioSlot> STATE =
        AtomicIntegerFieldUpdater.newUpdater(AioSlot.class, "state");

    final int index;
    final long[] segmentAddresses;
    final int[] segmentLengths;
    byte op;
    AioFile file;
    long tag;
    long position;
    long address;
    long length;
    int segmentCount;
    long result;
    /** Native {@code struct iovec[maxSegments]} for io_uring's vectored opcodes; 0 for the worker pool. */
    long iovecAddress;
    volatile int state;

    AioSlot(final int index, final int maxSegments)
    {
        this.index = index;
        this.segmentAddresses = new long[maxSegments];
        this.segmentLengths = new int[maxSegments];
    }

    /** Claims the right to complete this request; false if it was already completed (close raced a late CQE). */
    boolean tryComplete()
    {
        return STATE.compareAndSet(this, SUBMITTED, DONE);
    }

    @Override
    public String toString()
    {
        return "AioSlot{index=" + index + ", op=" + op + ", tag=" + tag + ", position=" + position +
            ", length=" + length + ", state=" + state + "}";
    }

    /**
     * True when this data transfer cannot go to an O_DIRECT descriptor as it is (memory, file position or length
     * off the file's alignment, for any segment): it goes through an aligned bounce buffer instead.
     */
    boolean needsBounce()
    {
        if (file.alignment() == 1 || !AioOp.transfersData(op))
        {
            return false;
        }
        if (!AioOp.isVectored(op))
        {
            return !file.isAligned(address, position, length);
        }
        if (!file.isAligned(0, position, length))
        {
            return true;
        }
        for (int i = 0; i < segmentCount; i++)
        {
            if (!file.isAligned(segmentAddresses[i], 0, segmentLengths[i]))
            {
                return true;
            }
        }
        return false;
    }
}
