package io.pvring.blkif;

/**
 * The i386 blkif layout ({@code x86_32-abi}): 64-bit fields are only 4-byte aligned, so everything after
 * {@code handle} moves up by 4 and the request is 108 bytes. Backends translate it (Linux and QEMU
 * {@code blkif_get_x86_32_req}).
 * <pre>
 *  blkif_request (108)            blkif_request_discard (28)    blkif_request_indirect (64)    blkif_response (12)
 *   0 operation u8                 0 operation u8                 0 operation u8                 0 id u64
 *   1 nr_segments u8               1 flag u8                      1 indirect_op u8               8 operation u8
 *   2 handle u16                   2 handle u16                   2 nr_segments u16             10 status s16
 *   4 id u64                       4 id u64                       4 id u64
 *  12 sector_number u64           12 sector_number u64           12 sector_number u64
 *  20 seg[11] (8 each)            20 nr_sectors u64              20 handle u16
 *                                                                24 indirect_grefs[8] u32
 *                                                                56 pad u64
 * </pre>
 */
public final class X8632BlkifAbi extends BlkifLayout
{
    public static final int REQUEST_LENGTH = 108;
    public static final int RESPONSE_LENGTH = 12;
    public static final int ID_OFFSET = 4;
    public static final int SECTOR_NUMBER_OFFSET = 12;
    public static final int SEG_OFFSET = 20;
    public static final int DISCARD_LENGTH = 28;
    public static final int DISCARD_NR_SECTORS_OFFSET = 20;
    public static final int INDIRECT_LENGTH = 64;
    public static final int INDIRECT_HANDLE_OFFSET = 20;
    public static final int INDIRECT_GREFS_OFFSET = 24;

    public static final X8632BlkifAbi INSTANCE = new X8632BlkifAbi();

    private X8632BlkifAbi()
    {
        super(BlkifDescriptor.PROTOCOL_X86_32, REQUEST_LENGTH, RESPONSE_LENGTH, ID_OFFSET, SECTOR_NUMBER_OFFSET,
            SEG_OFFSET, DISCARD_NR_SECTORS_OFFSET, INDIRECT_HANDLE_OFFSET, INDIRECT_GREFS_OFFSET);
    }
}
