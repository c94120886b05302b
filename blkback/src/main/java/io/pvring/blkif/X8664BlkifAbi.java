package io.pvring.blkif;

/**
 * The native x86_64 blkif layout ({@code x86_64-abi}); 64-bit fields are 8-byte aligned.
 * <pre>
 *  blkif_request (112)            blkif_request_discard (32)    blkif_request_indirect (64)    blkif_response (16)
 *   0 operation u8                 0 operation u8                 0 operation u8                 0 id u64
 *   1 nr_segments u8               1 flag u8                      1 indirect_op u8               8 operation u8
 *   2 handle u16                   2 handle u16                   2 nr_segments u16             10 status s16
 *   8 id u64                       8 id u64                       8 id u64
 *  16 sector_number u64           16 sector_number u64           16 sector_number u64
 *  24 seg[11] (8 each)            24 nr_sectors u64              24 handle u16
 *                                                                28 indirect_grefs[8] u32
 * </pre>
 */
public final class X8664BlkifAbi extends BlkifLayout
{
    public static final int REQUEST_LENGTH = 112;
    public static final int RESPONSE_LENGTH = 16;
    public static final int ID_OFFSET = 8;
    public static final int SECTOR_NUMBER_OFFSET = 16;
    public static final int SEG_OFFSET = 24;
    public static final int DISCARD_LENGTH = 32;
    public static final int DISCARD_NR_SECTORS_OFFSET = 24;
    public static final int INDIRECT_LENGTH = 64;
    public static final int INDIRECT_HANDLE_OFFSET = 24;
    public static final int INDIRECT_GREFS_OFFSET = 28;

    public static final X8664BlkifAbi INSTANCE = new X8664BlkifAbi();

    private X8664BlkifAbi()
    {
        super(BlkifDescriptor.PROTOCOL_X86_64, REQUEST_LENGTH, RESPONSE_LENGTH, ID_OFFSET, SECTOR_NUMBER_OFFSET,
            SEG_OFFSET, DISCARD_NR_SECTORS_OFFSET, INDIRECT_HANDLE_OFFSET, INDIRECT_GREFS_OFFSET);
    }
}
