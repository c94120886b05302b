package io.pvring.ring;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Copies a ring slot into private memory, reading every shared byte exactly once. Slots of up to 16 bytes (netif's
 * 8-byte RX and 12-byte TX slots, the 16-byte control ring) are copied with word loads: {@code copyMemory}'s fixed
 * cost is several times the copy itself at that size, and netif moves one such slot per packet fragment.
 */
final class SlotCopy
{
    static final int WORD_COPY_MAX = 16;

    private SlotCopy()
    {
    }

    static void copy(final DirectBuffer src, final int srcOffset, final MutableDirectBuffer dst, final int dstOffset,
        final int length)
    {
        if (length > WORD_COPY_MAX)
        {
            src.getBytes(srcOffset, dst, dstOffset, length);
            return;
        }
        int i = 0;
        for (; i + Long.BYTES <= length; i += Long.BYTES)
        {
            dst.putLong(dstOffset + i, src.getLong(srcOffset + i));
        }
        if (i + Integer.BYTES <= length)
        {
            dst.putInt(dstOffset + i, src.getInt(srcOffset + i));
            i += Integer.BYTES;
        }
        for (; i < length; i++)
        {
            dst.putByte(dstOffset + i, src.getByte(srcOffset + i));
        }
    }
}
