package io.pvring.blkif;

import java.nio.ByteOrder;

/**
 * Constants of {@code xen/include/public/io/blkif.h} shared by every ABI: operation and status codes, limits, the
 * segment layout and the {@code info} bits. The per-ABI request and response layouts are in {@link BlkifAbi}
 * implementations ({@link X8664BlkifAbi}, {@link X8632BlkifAbi}).
 * <pre>
 *  struct blkif_request_segment (8 bytes, identical in both ABIs, also the indirect-page entry)
 *  +--------------------------------+----------------+----------------+--------------------------------+
 *  |          gref (u32) 0          | first_sect  4  |  last_sect  5  |          pad (u16) 6           |
 *  +--------------------------------+----------------+----------------+--------------------------------+
 * </pre>
 * Sector fields are always 512-byte units, whatever {@code sector-size} says.
 */
public final class BlkifDescriptor
{
    /** Every field of the protocol is little endian (x86). */
    public static final ByteOrder BYTE_ORDER = ByteOrder.LITTLE_ENDIAN;

    public static final int BLKIF_OP_READ = 0;
    public static final int BLKIF_OP_WRITE = 1;
    public static final int BLKIF_OP_WRITE_BARRIER = 2;
    public static final int BLKIF_OP_FLUSH_DISKCACHE = 3;
    public static final int BLKIF_OP_RESERVED_1 = 4;
    public static final int BLKIF_OP_DISCARD = 5;
    public static final int BLKIF_OP_INDIRECT = 6;

    public static final int BLKIF_RSP_OKAY = 0;
    public static final int BLKIF_RSP_ERROR = -1;
    public static final int BLKIF_RSP_EOPNOTSUPP = -2;

    /** {@code BLKIF_DISCARD_SECURE}: flag bit of a discard request. */
    public static final int BLKIF_DISCARD_SECURE = 1;

    public static final int BLKIF_MAX_SEGMENTS_PER_REQUEST = 11;
    public static final int BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST = 8;

    public static final int SEGMENT_LENGTH = 8;
    public static final int SEGMENT_GREF_OFFSET = 0;
    public static final int SEGMENT_FIRST_SECT_OFFSET = 4;
    public static final int SEGMENT_LAST_SECT_OFFSET = 5;

    /** Segments per indirect page: {@code PAGE_SIZE / sizeof(struct blkif_request_segment)} = 512. */
    public static final int SEGMENTS_PER_INDIRECT_FRAME = 4096 / SEGMENT_LENGTH;
    /** The protocol's ceiling on {@code feature-max-indirect-segments}: 8 pages of 512 descriptors. */
    public static final int MAX_INDIRECT_SEGMENTS = SEGMENTS_PER_INDIRECT_FRAME * BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST;

    /** Sector fields of the protocol count 512-byte units. */
    public static final int SECTOR_SHIFT = 9;
    public static final int SECTOR_SIZE = 1 << SECTOR_SHIFT;
    /** {@code last_sect} must stay inside the 4 KiB page: at most 7. */
    public static final int MAX_SECT_IN_PAGE = (4096 >> SECTOR_SHIFT) - 1;

    public static final int VDISK_CDROM = 0x1;
    public static final int VDISK_REMOVABLE = 0x2;
    public static final int VDISK_READONLY = 0x4;

    /** {@code XEN_IO_PROTO_ABI_X86_32} of {@code io/protocols.h}. */
    public static final String PROTOCOL_X86_32 = "x86_32-abi";
    /** {@code XEN_IO_PROTO_ABI_X86_64}. */
    public static final String PROTOCOL_X86_64 = "x86_64-abi";

    private BlkifDescriptor()
    {
    }

    /** Number of indirect pages a request of {@code nrSegments} segments carries. */
    public static int indirectPages(final int nrSegments)
    {
        return (nrSegments + SEGMENTS_PER_INDIRECT_FRAME - 1) / SEGMENTS_PER_INDIRECT_FRAME;
    }

    /** Operation name for logs. */
    public static String operationName(final int operation)
    {
        switch (operation)
        {
            case BLKIF_OP_READ: return "READ";
            case BLKIF_OP_WRITE: return "WRITE";
            case BLKIF_OP_WRITE_BARRIER: return "WRITE_BARRIER";
            case BLKIF_OP_FLUSH_DISKCACHE: return "FLUSH_DISKCACHE";
            case BLKIF_OP_RESERVED_1: return "RESERVED_1";
            case BLKIF_OP_DISCARD: return "DISCARD";
            case BLKIF_OP_INDIRECT: return "INDIRECT";
            default: return "op" + operation;
        }
    }
}
