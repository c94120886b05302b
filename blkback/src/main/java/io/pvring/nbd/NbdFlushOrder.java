package io.pvring.nbd;

/**
 * Holds each FLUSH back until every write-like request (WRITE, TRIM, WRITE_ZEROES) sent before it has been
 * answered. NBD only promises that a flush covers writes <em>completed</em> before it; blkback's store contract
 * (and Linux blkback's FLUSH as a guest sees it through a ring whose requests complete out of order) wants a flush
 * to cover every write submitted before it, so the client orders them itself. Writes sent after a held flush are
 * not held.
 *
 * <p>Writes are counted per epoch; each flush closes the current epoch and may go once every epoch up to its own
 * is empty. Flushes leave in submission order. Fixed arrays sized by the in-flight bound: no allocation.
 * Event-loop thread only.
 */
final class NbdFlushOrder
{
    private final long[] writesPerEpoch;
    private final int epochMask;
    private final NbdSlot[] held;
    private final int heldMask;
    private long heldHead;
    private long heldTail;
    private long currentEpoch;
    private long drainedEpoch;

    NbdFlushOrder(final int maxInFlight)
    {
        final int epochs = Integer.highestOneBit(maxInFlight + 1) << 1;
        writesPerEpoch = new long[epochs];
        epochMask = epochs - 1;
        final int heldCapacity = Integer.highestOneBit(Math.max(1, maxInFlight)) << 1;
        held = new NbdSlot[heldCapacity];
        heldMask = heldCapacity - 1;
    }

    /** A write-like part was sent: returns the epoch to give back to {@link #writeDone}. */
    long writeSent()
    {
        writesPerEpoch[(int)(currentEpoch & epochMask)]++;
        return currentEpoch;
    }

    void writeDone(final long epoch)
    {
        writesPerEpoch[(int)(epoch & epochMask)]--;
    }

    /** A flush arrived: it waits for the writes of the epoch it closes and of every epoch before. */
    void flushSubmitted(final NbdSlot flush)
    {
        flush.epoch = currentEpoch;
        currentEpoch++;
        writesPerEpoch[(int)(currentEpoch & epochMask)] = 0;
        held[(int)(heldTail++ & heldMask)] = flush;
    }

    /** The oldest held flush if everything it must follow has completed, else null (it is then still held). */
    NbdSlot nextReleasable()
    {
        if (heldHead == heldTail)
        {
            return null;
        }
        final NbdSlot head = held[(int)(heldHead & heldMask)];
        while (drainedEpoch <= head.epoch && writesPerEpoch[(int)(drainedEpoch & epochMask)] == 0)
        {
            drainedEpoch++;
        }
        if (drainedEpoch <= head.epoch)
        {
            return null;
        }
        held[(int)(heldHead++ & heldMask)] = null;
        return head;
    }

    /** Takes a held flush regardless of order (the connection failed); null when none is held. */
    NbdSlot pollHeld()
    {
        if (heldHead == heldTail)
        {
            return null;
        }
        final NbdSlot head = held[(int)(heldHead & heldMask)];
        held[(int)(heldHead++ & heldMask)] = null;
        return head;
    }

    boolean isEmpty()
    {
        return heldHead == heldTail;
    }
}
