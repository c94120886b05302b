package io.pvring.netif;

import java.nio.ByteOrder;

import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over {@code struct netif_rx_response}: {@code id} u16 at 0, {@code offset} u16 at 2, {@code flags} u16
 * at 4, {@code status} s16 at 6 (8 bytes). {@code status} is the fragment's byte count when positive, an error when
 * negative. Linux netfront ignores {@code id}: the backend answers in the slot the request was posted in.
 */
public final class RxResponse
{
    public static final int ID_OFFSET = 0;
    public static final int OFFSET_OFFSET = 2;
    public static final int FLAGS_OFFSET = 4;
    public static final int STATUS_OFFSET = 6;
    public static final int LENGTH = 8;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private MutableDirectBuffer buffer;
    private int offset;

    public RxResponse wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public int id()
    {
        return buffer.getShort(offset + ID_OFFSET, LE) & 0xFFFF;
    }

    public RxResponse id(final int id)
    {
        buffer.putShort(offset + ID_OFFSET, (short)id, LE);
        return this;
    }

    public int pageOffset()
    {
        return buffer.getShort(offset + OFFSET_OFFSET, LE) & 0xFFFF;
    }

    public RxResponse pageOffset(final int pageOffset)
    {
        buffer.putShort(offset + OFFSET_OFFSET, (short)pageOffset, LE);
        return this;
    }

    public int flags()
    {
        return buffer.getShort(offset + FLAGS_OFFSET, LE) & 0xFFFF;
    }

    public RxResponse flags(final int flags)
    {
        buffer.putShort(offset + FLAGS_OFFSET, (short)flags, LE);
        return this;
    }

    public int status()
    {
        return buffer.getShort(offset + STATUS_OFFSET, LE);
    }

    public RxResponse status(final int status)
    {
        buffer.putShort(offset + STATUS_OFFSET, (short)status, LE);
        return this;
    }
}
