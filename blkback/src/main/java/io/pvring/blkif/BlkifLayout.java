package io.pvring.blkif;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.pvring.blkif.BlkifDescriptor.SEGMENT_FIRST_SECT_OFFSET;
import static io.pvring.blkif.BlkifDescriptor.SEGMENT_GREF_OFFSET;
import static io.pvring.blkif.BlkifDescriptor.SEGMENT_LAST_SECT_OFFSET;
import static io.pvring.blkif.BlkifDescriptor.SEGMENT_LENGTH;

/**
 * The accessors both ABIs share, parameterised by the offsets that differ; the offsets are the descriptors'
 * constants ({@link X8664BlkifAbi}, {@link X8632BlkifAbi}).
 */
abstract class BlkifLayout implements BlkifAbi
{
    static final ByteOrder LE = BlkifDescriptor.BYTE_ORDER;

    static final int OPERATION_OFFSET = 0;
    static final int NR_SEGMENTS_OFFSET = 1;
    static final int HANDLE_OFFSET = 2;
    static final int DISCARD_FLAG_OFFSET = 1;
    static final int INDIRECT_OP_OFFSET = 1;
    static final int INDIRECT_NR_SEGMENTS_OFFSET = 2;
    static final int RESPONSE_ID_OFFSET = 0;
    static final int RESPONSE_OPERATION_OFFSET = 8;
    static final int RESPONSE_STATUS_OFFSET = 10;

    private final String protocol;
    private final int requestLength;
    private final int responseLength;
    private final int idOffset;
    private final int sectorNumberOffset;
    private final int segOffset;
    private final int discardNrSectorsOffset;
    private final int indirectHandleOffset;
    private final int indirectGrefsOffset;

    BlkifLayout(
        final String protocol,
        final int requestLength,
        final int responseLength,
        final int idOffset,
        final int sectorNumberOffset,
        final int segOffset,
        final int discardNrSectorsOffset,
        final int indirectHandleOffset,
        final int indirectGrefsOffset)
    {
        this.protocol = protocol;
        this.requestLength = requestLength;
        this.responseLength = responseLength;
        this.idOffset = idOffset;
        this.sectorNumberOffset = sectorNumberOffset;
        this.segOffset = segOffset;
        this.discardNrSectorsOffset = discardNrSectorsOffset;
        this.indirectHandleOffset = indirectHandleOffset;
        this.indirectGrefsOffset = indirectGrefsOffset;
    }

    public final String protocol()
    {
        return protocol;
    }

    public final int requestLength()
    {
        return requestLength;
    }

    public final int responseLength()
    {
        return responseLength;
    }

    public final int slotBytes()
    {
        return Math.max(requestLength, responseLength);
    }

    public final int operation(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + OPERATION_OFFSET) & 0xFF;
    }

    public final int nrSegments(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + NR_SEGMENTS_OFFSET) & 0xFF;
    }

    public final int handle(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + HANDLE_OFFSET, LE) & 0xFFFF;
    }

    public final long id(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + idOffset, LE);
    }

    public final long sectorNumber(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + sectorNumberOffset, LE);
    }

    public final int segmentOffset(final int index)
    {
        return segOffset + index * SEGMENT_LENGTH;
    }

    public final int discardFlag(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + DISCARD_FLAG_OFFSET) & 0xFF;
    }

    public final long discardNrSectors(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + discardNrSectorsOffset, LE);
    }

    public final int indirectOp(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + INDIRECT_OP_OFFSET) & 0xFF;
    }

    public final int indirectNrSegments(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + INDIRECT_NR_SEGMENTS_OFFSET, LE) & 0xFFFF;
    }

    public final long indirectSectorNumber(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + sectorNumberOffset, LE);
    }

    public final int indirectHandle(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + indirectHandleOffset, LE) & 0xFFFF;
    }

    public final int indirectGref(final DirectBuffer buffer, final int offset, final int index)
    {
        return buffer.getInt(offset + indirectGrefsOffset + index * Integer.BYTES, LE);
    }

    public final void putRequest(
        final MutableDirectBuffer buffer,
        final int offset,
        final int operation,
        final int nrSegments,
        final int handle,
        final long id,
        final long sectorNumber)
    {
        buffer.putByte(offset + OPERATION_OFFSET, (byte)operation);
        buffer.putByte(offset + NR_SEGMENTS_OFFSET, (byte)nrSegments);
        buffer.putShort(offset + HANDLE_OFFSET, (short)handle, LE);
        buffer.putLong(offset + idOffset, id, LE);
        buffer.putLong(offset + sectorNumberOffset, sectorNumber, LE);
    }

    public final void putSegment(
        final MutableDirectBuffer buffer,
        final int offset,
        final int index,
        final int gref,
        final int firstSect,
        final int lastSect)
    {
        final int segment = offset + segmentOffset(index);
        buffer.putInt(segment + SEGMENT_GREF_OFFSET, gref, LE);
        buffer.putByte(segment + SEGMENT_FIRST_SECT_OFFSET, (byte)firstSect);
        buffer.putByte(segment + SEGMENT_LAST_SECT_OFFSET, (byte)lastSect);
    }

    public final void putDiscard(
        final MutableDirectBuffer buffer,
        final int offset,
        final int flag,
        final int handle,
        final long id,
        final long sectorNumber,
        final long nrSectors)
    {
        buffer.putByte(offset + OPERATION_OFFSET, (byte)BlkifDescriptor.BLKIF_OP_DISCARD);
        buffer.putByte(offset + DISCARD_FLAG_OFFSET, (byte)flag);
        buffer.putShort(offset + HANDLE_OFFSET, (short)handle, LE);
        buffer.putLong(offset + idOffset, id, LE);
        buffer.putLong(offset + sectorNumberOffset, sectorNumber, LE);
        buffer.putLong(offset + discardNrSectorsOffset, nrSectors, LE);
    }

    public final void putIndirect(
        final MutableDirectBuffer buffer,
        final int offset,
        final int indirectOp,
        final int nrSegments,
        final int handle,
        final long id,
        final long sectorNumber)
    {
        buffer.putByte(offset + OPERATION_OFFSET, (byte)BlkifDescriptor.BLKIF_OP_INDIRECT);
        buffer.putByte(offset + INDIRECT_OP_OFFSET, (byte)indirectOp);
        buffer.putShort(offset + INDIRECT_NR_SEGMENTS_OFFSET, (short)nrSegments, LE);
        buffer.putLong(offset + idOffset, id, LE);
        buffer.putLong(offset + sectorNumberOffset, sectorNumber, LE);
        buffer.putShort(offset + indirectHandleOffset, (short)handle, LE);
    }

    public final void putIndirectGref(
        final MutableDirectBuffer buffer, final int offset, final int index, final int gref)
    {
        buffer.putInt(offset + indirectGrefsOffset + index * Integer.BYTES, gref, LE);
    }

    public final void putResponse(
        final MutableDirectBuffer buffer, final int offset, final long id, final int operation, final int status)
    {
        buffer.putLong(offset + RESPONSE_ID_OFFSET, id, LE);
        buffer.putByte(offset + RESPONSE_OPERATION_OFFSET, (byte)operation);
        buffer.putShort(offset + RESPONSE_STATUS_OFFSET, (short)status, LE);
    }

    public final long responseId(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + RESPONSE_ID_OFFSET, LE);
    }

    public final int responseOperation(final DirectBuffer buffer, final int offset)
    {
        return buffer.getByte(offset + RESPONSE_OPERATION_OFFSET) & 0xFF;
    }

    public final int responseStatus(final DirectBuffer buffer, final int offset)
    {
        return buffer.getShort(offset + RESPONSE_STATUS_OFFSET, LE);
    }

    public String toString()
    {
        return protocol;
    }
}
