package io.pvring.netif;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over {@code struct netif_tx_request} (12 bytes, the TX ring slot size).
 *
 * <pre>
 *   0       4       6       8       10      12
 *   +-------+-------+-------+-------+-------+
 *   | gref  |offset | flags |  id   | size  |
 *   +-------+-------+-------+-------+-------+
 * </pre>
 *
 * The first slot of a packet carries the whole packet length in {@code size}; later slots carry their own.
 */
public final class TxRequest
{
    public static final int GREF_OFFSET = 0;
    public static final int OFFSET_OFFSET = 4;
    public static final int FLAGS_OFFSET = 6;
    public static final int ID_OFFSET = 8;
    public static final int SIZE_OFFSET = 10;
    public static final int LENGTH = 12;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private MutableDirectBuffer buffer;
    private int offset;

    public TxRequest wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public DirectBuffer buffer()
    {
        return buffer;
    }

    public int offset()
    {
        return offset;
    }

    public int gref()
    {
        return buffer.getInt(offset + GREF_OFFSET, LE);
    }

    public TxRequest gref(final int gref)
    {
        buffer.putInt(offset + GREF_OFFSET, gref, LE);
        return this;
    }

    public int pageOffset()
    {
        return buffer.getShort(offset + OFFSET_OFFSET, LE) & 0xFFFF;
    }

    public TxRequest pageOffset(final int pageOffset)
    {
        buffer.putShort(offset + OFFSET_OFFSET, (short)pageOffset, LE);
        return this;
    }

    public int flags()
    {
        return buffer.getShort(offset + FLAGS_OFFSET, LE) & 0xFFFF;
    }

    public TxRequest flags(final int flags)
    {
        buffer.putShort(offset + FLAGS_OFFSET, (short)flags, LE);
        return this;
    }

    public int id()
    {
        return buffer.getShort(offset + ID_OFFSET, LE) & 0xFFFF;
    }

    public TxRequest id(final int id)
    {
        buffer.putShort(offset + ID_OFFSET, (short)id, LE);
        return this;
    }

    public int size()
    {
        return buffer.getShort(offset + SIZE_OFFSET, LE) & 0xFFFF;
    }

    public TxRequest size(final int size)
    {
        buffer.putShort(offset + SIZE_OFFSET, (short)size, LE);
        return this;
    }
}
