package io.pvring.bench.ring;

import io.pvring.ring.RingGeometry;
import io.pvring.ring.SharedRingDescriptor;

/**
 * One ring workload: slot size, ring page order, requests per push, idle strategy, optional constant rate.
 * Validated before anything starts; the messages name the option and what it accepts.
 *
 * @param slotBytes  request payload per slot (the request fills the slot; the response carries id and stamp).
 * @param ringOrder  log2 of ring pages.
 * @param batch      requests written per push (and the most responses per push on the back side).
 * @param idle       how each side waits.
 * @param rate       offered round trips per second, 0 for closed loop (as fast as the ring goes).
 */
public record RingConfig(int slotBytes, int ringOrder, int batch, IdleKind idle, long rate)
{
    /** Id (8 bytes) and send stamp (8 bytes) lead every request and response. */
    public static final int MIN_SLOT_BYTES = 16;
    public static final int MAX_SLOT_BYTES = SharedRingDescriptor.PAGE_SIZE - SharedRingDescriptor.HEADER_LENGTH;
    public static final int DEFAULT_SLOT_BYTES = 112;

    public RingConfig
    {
        if (slotBytes < MIN_SLOT_BYTES || slotBytes > MAX_SLOT_BYTES || slotBytes % 8 != 0)
        {
            throw new IllegalArgumentException("--slot-bytes must be a multiple of 8 in " + MIN_SLOT_BYTES + ".."
                + MAX_SLOT_BYTES + ", got " + slotBytes);
        }
        if (ringOrder < 0 || ringOrder > SharedRingDescriptor.MAX_RING_PAGE_ORDER)
        {
            throw new IllegalArgumentException("--ring-order must be 0.." + SharedRingDescriptor.MAX_RING_PAGE_ORDER
                + ", got " + ringOrder);
        }
        final int entries = SharedRingDescriptor.entries(slotBytes, ringOrder);
        if (batch < 1 || batch > entries)
        {
            throw new IllegalArgumentException("--batch must be 1.." + entries
                + " (the ring's entries for --slot-bytes " + slotBytes + " --ring-order " + ringOrder + "), got "
                + batch);
        }
        if (rate < 0)
        {
            throw new IllegalArgumentException("--rate must be a positive number of round trips per second, got "
                + rate);
        }
    }

    public RingGeometry geometry()
    {
        return RingGeometry.of(slotBytes, ringOrder);
    }

    public int entries()
    {
        return geometry().entries();
    }
}
