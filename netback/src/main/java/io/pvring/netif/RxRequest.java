package io.pvring.netif;

import java.nio.ByteOrder;

import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over {@code struct netif_rx_request}: {@code id} u16 at 0, {@code pad} u16 at 2, {@code gref} u32 at 4
 * (8 bytes, the RX ring slot size). The granted page receives packet data from offset 0 chosen by the backend.
 */
public final class RxRequest
{
    public static final int ID_OFFSET = 0;
    public static final int PAD_OFFSET = 2;
    public static final int GREF_OFFSET = 4;
    public static final int LENGTH = 8;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private MutableDirectBuffer buffer;
    private int offset;

    public RxRequest wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public int id()
    {
        return buffer.getShort(offset + ID_OFFSET, LE) & 0xFFFF;
    }

    public RxRequest id(final int id)
    {
        buffer.putShort(offset + ID_OFFSET, (short)id, LE);
        buffer.putShort(offset + PAD_OFFSET, (short)0, LE);
        return this;
    }

    public int gref()
    {
        return buffer.getInt(offset + GREF_OFFSET, LE);
    }

    public RxRequest gref(final int gref)
    {
        buffer.putInt(offset + GREF_OFFSET, gref, LE);
        return this;
    }
}
