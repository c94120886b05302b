package io.pvring.nbd;

/**
 * One entry of the preallocated in-flight table: a caller's request, sent as one or more NBD requests (parts)
 * whose cookies name this slot. The submitting thread fills the request fields and publishes the slot through the
 * submission queue; from then on only the event loop touches it, until it returns the slot through the free queue.
 *
 * <p>Cookie layout (64 bits): generation (24) | part (24) | slot index (16). The generation changes every time
 * the slot is sent, so a reply for a request that already completed is recognised as a protocol error instead of
 * completing the slot's next request.
 */
final class NbdSlot
{
    static final int INDEX_BITS = 16;
    static final int PART_BITS = 24;
    static final int GENERATION_BITS = 24;
    static final int MAX_PARTS = 1 << PART_BITS;

    final int index;

    // Written by the submitter before publication.
    long tag;
    int command;
    int flags;
    long offset;
    long length;
    long address;

    // Event loop only.
    int generation;
    int parts;
    int partsLeft;
    long chunk;
    int result;
    long epoch;
    boolean inFlight;
    long sentNanos;
    /** The next part to encode ({@link NbdRingTransmission}: a request may wait for room in the send batch). */
    int nextPart;

    NbdSlot(final int index)
    {
        this.index = index;
    }

    boolean writeLike()
    {
        return command == NbdProtocol.NBD_CMD_WRITE || command == NbdProtocol.NBD_CMD_TRIM ||
            command == NbdProtocol.NBD_CMD_WRITE_ZEROES;
    }

    long cookie(final int part)
    {
        return (long)generation << (INDEX_BITS + PART_BITS) | (long)part << INDEX_BITS | index;
    }

    static int indexOf(final long cookie)
    {
        return (int)(cookie & ((1 << INDEX_BITS) - 1));
    }

    static int partOf(final long cookie)
    {
        return (int)((cookie >>> INDEX_BITS) & ((1 << PART_BITS) - 1));
    }

    static int generationOf(final long cookie)
    {
        return (int)(cookie >>> (INDEX_BITS + PART_BITS));
    }

    void nextGeneration()
    {
        generation = (generation + 1) & ((1 << GENERATION_BITS) - 1);
    }

    /** Byte offset of a part within the request. */
    long partStart(final int part)
    {
        return part * chunk;
    }

    /** Length of a part: a whole chunk except perhaps the last. */
    long partLength(final int part)
    {
        return Math.min(chunk, length - part * chunk);
    }
}
