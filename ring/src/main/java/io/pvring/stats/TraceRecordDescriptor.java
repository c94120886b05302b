package io.pvring.stats;

/**
 * One fixed-size trace record: a request's completion on a ring (a block request, or a network packet), written by
 * the ring's thread into its trace buffer and copied as is into the trace file ({@link TraceFileDescriptor}).
 *
 * <pre>
 *    0  time (LE long)       completion, System.nanoTime() of the serving process
 *    8  latency (LE long)    nanoseconds from accepting the request to its response (0 when not measured)
 *   16  sector (LE long)     blk: first sector (512 bytes); net: 0
 *   24  id (LE long)         the request's id as the frontend wrote it
 *   32  queue (LE u16)      ring (blk) or queue (net) index
 *   34  status (LE s16)     the response status (BLKIF_RSP_* / NETIF_RSP_*)
 *   36  operation (u8)      blk: BLKIF_OP_*; net: OP_TX or OP_RX
 *   37  segments (u8)       blk: data segments; net: slots
 *   38  reserved (u16)
 *   40  size (LE u32)       bytes: blk data, net packet
 *   44  flags (LE u32)      net: NETTXF_* / NETRXF_*; blk: 0
 * </pre>
 */
public final class TraceRecordDescriptor
{
    public static final int TIME_OFFSET = 0;
    public static final int LATENCY_OFFSET = 8;
    public static final int SECTOR_OFFSET = 16;
    public static final int ID_OFFSET = 24;
    public static final int QUEUE_OFFSET = 32;
    public static final int STATUS_OFFSET = 34;
    public static final int OPERATION_OFFSET = 36;
    public static final int SEGMENTS_OFFSET = 37;
    public static final int SIZE_OFFSET = 40;
    public static final int FLAGS_OFFSET = 44;
    public static final int LENGTH = 48;

    /** Net operations: the guest sent (TX ring) or received (RX ring) the packet. */
    public static final int OP_TX = 0;
    public static final int OP_RX = 1;

    private TraceRecordDescriptor()
    {
    }
}
