package io.pvring.netif;

import java.nio.ByteOrder;

import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over {@code struct xen_netif_ctrl_response}: {@code id} u16 at 0, {@code type} u16 at 2,
 * {@code status} u32 at 4, {@code data} u32 at 8 (12 bytes, in a 16-byte ring slot).
 */
public final class CtrlResponse
{
    public static final int ID_OFFSET = 0;
    public static final int TYPE_OFFSET = 2;
    public static final int STATUS_OFFSET = 4;
    public static final int DATA_OFFSET = 8;
    public static final int LENGTH = 12;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private MutableDirectBuffer buffer;
    private int offset;

    public CtrlResponse wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public int id()
    {
        return buffer.getShort(offset + ID_OFFSET, LE) & 0xFFFF;
    }

    public CtrlResponse id(final int id)
    {
        buffer.putShort(offset + ID_OFFSET, (short)id, LE);
        return this;
    }

    public int type()
    {
        return buffer.getShort(offset + TYPE_OFFSET, LE) & 0xFFFF;
    }

    public CtrlResponse type(final int type)
    {
        buffer.putShort(offset + TYPE_OFFSET, (short)type, LE);
        return this;
    }

    public long status()
    {
        return buffer.getInt(offset + STATUS_OFFSET, LE) & 0xFFFF_FFFFL;
    }

    public CtrlResponse status(final long status)
    {
        buffer.putInt(offset + STATUS_OFFSET, (int)status, LE);
        return this;
    }

    public long data()
    {
        return buffer.getInt(offset + DATA_OFFSET, LE) & 0xFFFF_FFFFL;
    }

    public CtrlResponse data(final long data)
    {
        buffer.putInt(offset + DATA_OFFSET, (int)data, LE);
        return this;
    }
}
