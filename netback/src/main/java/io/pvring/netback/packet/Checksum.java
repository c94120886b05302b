package io.pvring.netback.packet;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;

/**
 * The Internet checksum (RFC 1071): a 16-bit ones' complement sum. Sums are kept unfolded in a long so partial
 * sums over pieces of a packet can be added before one final {@link #fold(long)}.
 */
public final class Checksum
{
    private Checksum()
    {
    }

    /**
     * Adds {@code length} bytes at {@code offset} to {@code sum}, as big-endian 16-bit words, padding an odd tail with
     * zero. The piece must start at an even position of the checksummed data.
     */
    public static long add(final long sum, final DirectBuffer buffer, final int offset, final int length)
    {
        long acc = sum;
        int i = offset;
        final int end = offset + length;
        while (i + 4 <= end)
        {
            acc += buffer.getInt(i, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
            i += 4;
        }
        if (i + 2 <= end)
        {
            acc += buffer.getShort(i, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            i += 2;
        }
        if (i < end)
        {
            acc += (buffer.getByte(i) & 0xFF) << 8;
        }
        return acc;
    }

    /** Folds the carries into 16 bits (not complemented). */
    public static int fold(final long sum)
    {
        long acc = sum;
        while ((acc >>> 16) != 0)
        {
            acc = (acc & 0xFFFF) + (acc >>> 16);
        }
        return (int)acc;
    }

    /** The checksum field value: the complement of the folded sum. */
    public static int finish(final long sum)
    {
        return ~fold(sum) & 0xFFFF;
    }

    /** Checksum of a whole range, e.g. an IPv4 header with its checksum field zeroed. */
    public static int compute(final DirectBuffer buffer, final int offset, final int length)
    {
        return finish(add(0, buffer, offset, length));
    }
}
