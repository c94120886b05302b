package io.pvring.netif;

import java.nio.ByteOrder;

import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over {@code struct xen_netif_ctrl_request}: {@code id} u16 at 0, {@code type} u16 at 2,
 * {@code data[3]} u32 at 4, 8, 12 (16 bytes).
 */
public final class CtrlRequest
{
    public static final int ID_OFFSET = 0;
    public static final int TYPE_OFFSET = 2;
    public static final int DATA_OFFSET = 4;
    public static final int DATA_COUNT = 3;
    public static final int LENGTH = 16;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private MutableDirectBuffer buffer;
    private int offset;

    public CtrlRequest wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public int id()
    {
        return buffer.getShort(offset + ID_OFFSET, LE) & 0xFFFF;
    }

    public CtrlRequest id(final int id)
    {
        buffer.putShort(offset + ID_OFFSET, (short)id, LE);
        return this;
    }

    public int type()
    {
        return buffer.getShort(offset + TYPE_OFFSET, LE) & 0xFFFF;
    }

    public CtrlRequest type(final int type)
    {
        buffer.putShort(offset + TYPE_OFFSET, (short)type, LE);
        return this;
    }

    /** {@code data[index]} as an unsigned 32-bit value. */
    public long data(final int index)
    {
        return buffer.getInt(offset + DATA_OFFSET + 4 * checkIndex(index), LE) & 0xFFFF_FFFFL;
    }

    public CtrlRequest data(final int index, final long value)
    {
        buffer.putInt(offset + DATA_OFFSET + 4 * checkIndex(index), (int)value, LE);
        return this;
    }

    private static int checkIndex(final int index)
    {
        if (index < 0 || index >= DATA_COUNT)
        {
            throw new IndexOutOfBoundsException("index=" + index);
        }
        return index;
    }
}
