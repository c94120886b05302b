package io.pvring.netif;

import java.nio.ByteOrder;

import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over {@code struct netif_tx_response}: {@code id} u16 at 0, {@code status} s16 at 2 (4 bytes, in a
 * 12-byte ring slot). Responses are written field by field so no stale bytes of the slot's request travel back.
 */
public final class TxResponse
{
    public static final int ID_OFFSET = 0;
    public static final int STATUS_OFFSET = 2;
    public static final int LENGTH = 4;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private MutableDirectBuffer buffer;
    private int offset;

    public TxResponse wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public int id()
    {
        return buffer.getShort(offset + ID_OFFSET, LE) & 0xFFFF;
    }

    public TxResponse id(final int id)
    {
        buffer.putShort(offset + ID_OFFSET, (short)id, LE);
        return this;
    }

    /** Signed: {@link Netif#NETIF_RSP_OKAY}, {@code _ERROR}, {@code _DROPPED} or {@code _NULL}. */
    public int status()
    {
        return buffer.getShort(offset + STATUS_OFFSET, LE);
    }

    public TxResponse status(final int status)
    {
        buffer.putShort(offset + STATUS_OFFSET, (short)status, LE);
        return this;
    }
}
