package io.pvring.event.remote;

import java.nio.ByteOrder;

import org.agrona.MutableDirectBuffer;

import static io.pvring.event.remote.EvtchnMessageDescriptor.DOMID_OFFSET;
import static io.pvring.event.remote.EvtchnMessageDescriptor.ID_OFFSET;
import static io.pvring.event.remote.EvtchnMessageDescriptor.MESSAGE_LENGTH;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_OFFSET;
import static io.pvring.event.remote.EvtchnMessageDescriptor.PORT_OFFSET;
import static io.pvring.event.remote.EvtchnMessageDescriptor.REMOTE_PORT_OFFSET;
import static io.pvring.event.remote.EvtchnMessageDescriptor.SIZE_OFFSET;
import static io.pvring.event.remote.EvtchnMessageDescriptor.STATUS_OFFSET;
import static io.pvring.event.remote.EvtchnMessageDescriptor.VALUE_OFFSET;

/**
 * Flyweight over one {@link EvtchnMessageDescriptor} message in a buffer: getters widen unsigned fields, setters
 * are fluent, everything little endian.
 */
public final class EvtchnMessage
{
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private MutableDirectBuffer buffer;
    private int offset;

    public EvtchnMessage wrap(final MutableDirectBuffer buffer, final int offset)
    {
        if (offset < 0 || offset > buffer.capacity() - MESSAGE_LENGTH)
        {
            throw new IllegalArgumentException("offset=" + offset + " capacity=" + buffer.capacity());
        }
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    public int offset()
    {
        return offset;
    }

    /** Zeroes the message and sets its size: the start of every message the server writes. */
    public EvtchnMessage clear()
    {
        buffer.setMemory(offset, MESSAGE_LENGTH, (byte)0);
        buffer.putShort(offset + SIZE_OFFSET, (short)MESSAGE_LENGTH, LE);
        return this;
    }

    public int size()
    {
        return buffer.getShort(offset + SIZE_OFFSET, LE) & 0xFFFF;
    }

    public EvtchnMessage size(final int value)
    {
        buffer.putShort(offset + SIZE_OFFSET, (short)value, LE);
        return this;
    }

    public int op()
    {
        return buffer.getShort(offset + OP_OFFSET, LE) & 0xFFFF;
    }

    public EvtchnMessage op(final int value)
    {
        buffer.putShort(offset + OP_OFFSET, (short)value, LE);
        return this;
    }

    /** The client's request id, kept as the raw 32 bits (it is only echoed). */
    public int id()
    {
        return buffer.getInt(offset + ID_OFFSET, LE);
    }

    public EvtchnMessage id(final int value)
    {
        buffer.putInt(offset + ID_OFFSET, value, LE);
        return this;
    }

    public long port()
    {
        return buffer.getInt(offset + PORT_OFFSET, LE) & 0xFFFF_FFFFL;
    }

    public EvtchnMessage port(final long value)
    {
        buffer.putInt(offset + PORT_OFFSET, (int)value, LE);
        return this;
    }

    public long domid()
    {
        return buffer.getInt(offset + DOMID_OFFSET, LE) & 0xFFFF_FFFFL;
    }

    public EvtchnMessage domid(final long value)
    {
        buffer.putInt(offset + DOMID_OFFSET, (int)value, LE);
        return this;
    }

    public long remotePort()
    {
        return buffer.getInt(offset + REMOTE_PORT_OFFSET, LE) & 0xFFFF_FFFFL;
    }

    public EvtchnMessage remotePort(final long value)
    {
        buffer.putInt(offset + REMOTE_PORT_OFFSET, (int)value, LE);
        return this;
    }

    /** 0 or a negative errno. */
    public int status()
    {
        return buffer.getInt(offset + STATUS_OFFSET, LE);
    }

    public EvtchnMessage status(final int value)
    {
        buffer.putInt(offset + STATUS_OFFSET, value, LE);
        return this;
    }

    public long value()
    {
        return buffer.getLong(offset + VALUE_OFFSET, LE);
    }

    public EvtchnMessage value(final long v)
    {
        buffer.putLong(offset + VALUE_OFFSET, v, LE);
        return this;
    }

    /** {@code guest_phys_addr} of an {@link EvtchnMessageDescriptor#OP_MEM_REGION} request. */
    public long regionGuestPhysAddr()
    {
        return buffer.getLong(offset + EvtchnMemRegionDescriptor.GUEST_PHYS_ADDR_OFFSET, LE);
    }

    public EvtchnMessage regionGuestPhysAddr(final long v)
    {
        buffer.putLong(offset + EvtchnMemRegionDescriptor.GUEST_PHYS_ADDR_OFFSET, v, LE);
        return this;
    }

    /** {@code memory_size} of an {@link EvtchnMessageDescriptor#OP_MEM_REGION} request. */
    public long regionMemorySize()
    {
        return buffer.getLong(offset + EvtchnMemRegionDescriptor.MEMORY_SIZE_OFFSET, LE);
    }

    public EvtchnMessage regionMemorySize(final long v)
    {
        buffer.putLong(offset + EvtchnMemRegionDescriptor.MEMORY_SIZE_OFFSET, v, LE);
        return this;
    }

    /** {@code mmap_offset} of an {@link EvtchnMessageDescriptor#OP_MEM_REGION} request. */
    public long regionMmapOffset()
    {
        return buffer.getLong(offset + EvtchnMemRegionDescriptor.MMAP_OFFSET_OFFSET, LE);
    }

    public EvtchnMessage regionMmapOffset(final long v)
    {
        buffer.putLong(offset + EvtchnMemRegionDescriptor.MMAP_OFFSET_OFFSET, v, LE);
        return this;
    }

    @Override
    public String toString()
    {
        return null == buffer ? "EvtchnMessage{unwrapped}" : "EvtchnMessage{op=" +
            EvtchnMessageDescriptor.opName(op()) + ", id=" + id() + ", port=" + port() + ", domid=" + domid() +
            ", remotePort=" + remotePort() + ", status=" + status() + ", value=" + value() + '}';
    }
}
