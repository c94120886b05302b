package io.pvring.blkback;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import org.agrona.BitUtil;

/**
 * Many-to-one queue of completed request tags: any thread {@link #offer offers}, the ring's thread alone
 * {@link #poll polls}, in the order the offers claimed their slots. Bounded by construction, never full: each tag
 * is offered at most once per submission and there are at most {@code tags} of them in flight, so a capacity of at
 * least {@code tags} always has room. Allocation-free; an offer is one atomic add and one release store.
 *
 * <p>Slots hold {@code tag + 1}; 0 means not yet written. A producer claims a slot with {@code getAndAdd} on the
 * tail, then publishes the tag with a release store (ordering everything it wrote before, such as the status,
 * before the tag); the consumer reads a slot with acquire, clears it, and advances its private head. A slot claimed
 * but not yet published stops the consumer until its producer catches up: completion order is claim order.
 */
final class CompletionQueue
{
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle TAIL;
    /** Keeps the producers' tail off the consumer's cache lines. */
    private static final int PAD = 16;

    static
    {
        try
        {
            TAIL = MethodHandles.lookup().findVarHandle(CompletionQueue.class, "tail", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final int[] slots;
    private final int mask;
    private long head;
    @SuppressWarnings("unused") // padding between head and tail
    private long p1, p2, p3, p4, p5, p6, p7;
    @SuppressWarnings("unused") // accessed through TAIL
    private volatile long tail;

    CompletionQueue(final int tags)
    {
        final int capacity = BitUtil.findNextPositivePowerOfTwo(Math.max(2, tags));
        slots = new int[capacity + 2 * PAD];
        mask = capacity - 1;
    }

    /** From any thread: queues {@code tag} (0..tags-1). */
    void offer(final int tag)
    {
        final long index = (long)TAIL.getAndAdd(this, 1L);
        SLOTS.setRelease(slots, PAD + (int)(index & mask), tag + 1);
    }

    /** Ring thread only: true when {@link #poll()} would return a tag now. */
    boolean hasPublished()
    {
        return 0 != (int)SLOTS.getAcquire(slots, PAD + (int)(head & mask));
    }

    /** Ring thread only: the next completed tag in claim order, or -1 when none is published yet. */
    int poll()
    {
        final int slot = PAD + (int)(head & mask);
        final int value = (int)SLOTS.getAcquire(slots, slot);
        if (value == 0)
        {
            return -1;
        }
        SLOTS.setOpaque(slots, slot, 0);
        head++;
        return value - 1;
    }
}
