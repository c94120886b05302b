package io.pvring.netif;

import java.nio.ByteOrder;

import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over {@code struct netif_extra_info} (8 bytes, occupies a TX request or RX response slot):
 *
 * <pre>
 *   0      1      2                                   8
 *   +------+------+-----------------------------------+
 *   | type |flags | u: gso {size u16, type u8, pad u8, features u16}
 *   |      |      |    mcast {addr[6]}
 *   |      |      |    hash {type u8, algorithm u8, value[4]}
 *   +------+------+-----------------------------------+
 * </pre>
 */
public final class ExtraInfo
{
    public static final int TYPE_OFFSET = 0;
    public static final int FLAGS_OFFSET = 1;
    public static final int U_OFFSET = 2;
    public static final int GSO_SIZE_OFFSET = 2;
    public static final int GSO_TYPE_OFFSET = 4;
    public static final int GSO_PAD_OFFSET = 5;
    public static final int GSO_FEATURES_OFFSET = 6;
    public static final int MCAST_ADDR_OFFSET = 2;
    public static final int MCAST_ADDR_LENGTH = 6;
    public static final int HASH_TYPE_OFFSET = 2;
    public static final int HASH_ALGORITHM_OFFSET = 3;
    public static final int HASH_VALUE_OFFSET = 4;
    public static final int LENGTH = 8;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private MutableDirectBuffer buffer;
    private int offset;

    public ExtraInfo wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /** Zeroes the whole entry, so nothing stale travels in the union bytes a type does not use. */
    public ExtraInfo clear()
    {
        buffer.putLong(offset, 0L);
        return this;
    }

    public int type()
    {
        return buffer.getByte(offset + TYPE_OFFSET) & 0xFF;
    }

    public ExtraInfo type(final int type)
    {
        buffer.putByte(offset + TYPE_OFFSET, (byte)type);
        return this;
    }

    public int flags()
    {
        return buffer.getByte(offset + FLAGS_OFFSET) & 0xFF;
    }

    public ExtraInfo flags(final int flags)
    {
        buffer.putByte(offset + FLAGS_OFFSET, (byte)flags);
        return this;
    }

    /** GSO: the MSS. */
    public int gsoSize()
    {
        return buffer.getShort(offset + GSO_SIZE_OFFSET, LE) & 0xFFFF;
    }

    public ExtraInfo gsoSize(final int size)
    {
        buffer.putShort(offset + GSO_SIZE_OFFSET, (short)size, LE);
        return this;
    }

    public int gsoType()
    {
        return buffer.getByte(offset + GSO_TYPE_OFFSET) & 0xFF;
    }

    public ExtraInfo gsoType(final int type)
    {
        buffer.putByte(offset + GSO_TYPE_OFFSET, (byte)type);
        return this;
    }

    public int gsoFeatures()
    {
        return buffer.getShort(offset + GSO_FEATURES_OFFSET, LE) & 0xFFFF;
    }

    public ExtraInfo gsoFeatures(final int features)
    {
        buffer.putShort(offset + GSO_FEATURES_OFFSET, (short)features, LE);
        return this;
    }

    /** Multicast: the 48-bit MAC as a long, first octet in bits 47..40. */
    public long mcastAddr()
    {
        long mac = 0;
        for (int i = 0; i < MCAST_ADDR_LENGTH; i++)
        {
            mac = (mac << 8) | (buffer.getByte(offset + MCAST_ADDR_OFFSET + i) & 0xFF);
        }
        return mac;
    }

    public ExtraInfo mcastAddr(final long mac)
    {
        for (int i = 0; i < MCAST_ADDR_LENGTH; i++)
        {
            buffer.putByte(offset + MCAST_ADDR_OFFSET + i, (byte)(mac >>> (8 * (MCAST_ADDR_LENGTH - 1 - i))));
        }
        return this;
    }

    public int hashType()
    {
        return buffer.getByte(offset + HASH_TYPE_OFFSET) & 0xFF;
    }

    public ExtraInfo hashType(final int type)
    {
        buffer.putByte(offset + HASH_TYPE_OFFSET, (byte)type);
        return this;
    }

    public int hashAlgorithm()
    {
        return buffer.getByte(offset + HASH_ALGORITHM_OFFSET) & 0xFF;
    }

    public ExtraInfo hashAlgorithm(final int algorithm)
    {
        buffer.putByte(offset + HASH_ALGORITHM_OFFSET, (byte)algorithm);
        return this;
    }

    /** The hash value as netback stores it: {@code value[4]} holds the u32 in little-endian (host) order. */
    public int hashValue()
    {
        return buffer.getInt(offset + HASH_VALUE_OFFSET, LE);
    }

    public ExtraInfo hashValue(final int value)
    {
        buffer.putInt(offset + HASH_VALUE_OFFSET, value, LE);
        return this;
    }
}
