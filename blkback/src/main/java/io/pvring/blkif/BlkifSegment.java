package io.pvring.blkif;

import org.agrona.DirectBuffer;

import static io.pvring.blkif.BlkifDescriptor.BYTE_ORDER;
import static io.pvring.blkif.BlkifDescriptor.SEGMENT_FIRST_SECT_OFFSET;
import static io.pvring.blkif.BlkifDescriptor.SEGMENT_GREF_OFFSET;
import static io.pvring.blkif.BlkifDescriptor.SEGMENT_LAST_SECT_OFFSET;
import static io.pvring.blkif.BlkifDescriptor.SEGMENT_LENGTH;

/**
 * Flyweight over one {@code struct blkif_request_segment} (layout in {@link BlkifDescriptor}), in a request slot or
 * an indirect page. The backend wraps it only over its private copy, never over shared memory. Reusable:
 * {@link #wrap} re-points it and returns {@code this}.
 */
public final class BlkifSegment
{
    private DirectBuffer buffer;
    private int offset;

    public BlkifSegment wrap(final DirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** Wraps entry {@code index} of an array of segments that starts at {@code arrayOffset}. */
    public BlkifSegment wrap(final DirectBuffer buffer, final int arrayOffset, final int index)
    {
        return wrap(buffer, arrayOffset + index * SEGMENT_LENGTH);
    }

    /** {@code gref}: the grant of the data page. */
    public int gref()
    {
        return buffer.getInt(offset + SEGMENT_GREF_OFFSET, BYTE_ORDER);
    }

    /** {@code first_sect}: first 512-byte sector of the page, unsigned. */
    public int firstSect()
    {
        return buffer.getByte(offset + SEGMENT_FIRST_SECT_OFFSET) & 0xFF;
    }

    /** {@code last_sect}: last 512-byte sector of the page (inclusive), unsigned. */
    public int lastSect()
    {
        return buffer.getByte(offset + SEGMENT_LAST_SECT_OFFSET) & 0xFF;
    }
}
