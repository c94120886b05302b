package io.pvring.blkif;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * One blkif ring ABI ({@code protocol} key): the request and response layouts of {@code io/blkif.h} as a given
 * guest architecture lays them out. Stateless accessors over (buffer, offset), so one instance serves every ring;
 * readers widen unsigned fields, writers store little endian. The backend reads requests only from its private
 * copy of a slot; responses are written field by field into the shared slot, so the padding stays as the guest
 * left it (XSA-216).
 */
public interface BlkifAbi
{
    /** The {@code protocol} xenstore value, e.g. {@code x86_64-abi}. */
    String protocol();

    /** {@code sizeof(struct blkif_request)}. */
    int requestLength();

    /** {@code sizeof(struct blkif_response)}. */
    int responseLength();

    /** {@code sizeof(union blkif_sring_entry)}: the ring slot size. */
    int slotBytes();

    int operation(DirectBuffer buffer, int offset);

    int nrSegments(DirectBuffer buffer, int offset);

    int handle(DirectBuffer buffer, int offset);

    /** {@code id}: at the same offset in every request variant of one ABI. */
    long id(DirectBuffer buffer, int offset);

    long sectorNumber(DirectBuffer buffer, int offset);

    /** Offset of {@code seg[index]} from the start of a read/write request. */
    int segmentOffset(int index);

    int discardFlag(DirectBuffer buffer, int offset);

    long discardNrSectors(DirectBuffer buffer, int offset);

    int indirectOp(DirectBuffer buffer, int offset);

    int indirectNrSegments(DirectBuffer buffer, int offset);

    long indirectSectorNumber(DirectBuffer buffer, int offset);

    int indirectHandle(DirectBuffer buffer, int offset);

    int indirectGref(DirectBuffer buffer, int offset, int index);

    /** Writes the header of a read/write/flush/barrier request; segments follow with {@link #putSegment}. */
    void putRequest(
        MutableDirectBuffer buffer, int offset, int operation, int nrSegments, int handle, long id, long sectorNumber);

    void putSegment(MutableDirectBuffer buffer, int offset, int index, int gref, int firstSect, int lastSect);

    void putDiscard(
        MutableDirectBuffer buffer, int offset, int flag, int handle, long id, long sectorNumber, long nrSectors);

    /** Writes an indirect request header; grefs follow with {@link #putIndirectGref}. */
    void putIndirect(
        MutableDirectBuffer buffer,
        int offset,
        int indirectOp,
        int nrSegments,
        int handle,
        long id,
        long sectorNumber);

    void putIndirectGref(MutableDirectBuffer buffer, int offset, int index, int gref);

    /** Writes {@code id}, {@code operation} and {@code status} one by one; padding is left untouched. */
    void putResponse(MutableDirectBuffer buffer, int offset, long id, int operation, int status);

    long responseId(DirectBuffer buffer, int offset);

    int responseOperation(DirectBuffer buffer, int offset);

    /** Signed {@code status}: {@code BLKIF_RSP_*}. */
    int responseStatus(DirectBuffer buffer, int offset);

    /** The ABI named by a {@code protocol} value; a missing value means the native x86_64 ABI. */
    static BlkifAbi forProtocol(final String protocol)
    {
        if (protocol == null || protocol.isEmpty() || BlkifDescriptor.PROTOCOL_X86_64.equals(protocol))
        {
            return X8664BlkifAbi.INSTANCE;
        }
        if (BlkifDescriptor.PROTOCOL_X86_32.equals(protocol))
        {
            return X8632BlkifAbi.INSTANCE;
        }
        return null;
    }
}
