package io.pvring.stats;

/**
 * A trace file: a header naming the device and the time base, then {@link TraceRecordDescriptor} records back to
 * back until the end of the file.
 *
 * <pre>
 *    0  magic "PVTR" (LE int)
 *    4  version (LE int)
 *    8  record length (LE int)
 *   12  device kind (LE int)        {@link DeviceKind#code()}
 *   16  domid (LE int)
 *   20  devid (LE int)
 *   24  start, wall clock (LE long)  nanoseconds since the epoch when the trace began
 *   32  start, monotonic (LE long)   System.nanoTime() at the same moment: records' times are relative to it
 *   40  records (LE long)            records written, set when the trace ends (0 while it runs)
 *   48  dropped (LE long)            records lost because the trace buffer was full, set when the trace ends
 *   56  reserved
 *   64  records...
 * </pre>
 */
public final class TraceFileDescriptor
{
    public static final int MAGIC = 0x52545650; // "PVTR" little endian
    public static final int VERSION = 1;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int RECORD_LENGTH_OFFSET = 8;
    public static final int KIND_OFFSET = 12;
    public static final int DOMID_OFFSET = 16;
    public static final int DEVID_OFFSET = 20;
    public static final int START_EPOCH_NANOS_OFFSET = 24;
    public static final int START_MONOTONIC_NANOS_OFFSET = 32;
    public static final int RECORDS_OFFSET = 40;
    public static final int DROPPED_OFFSET = 48;
    public static final int HEADER_LENGTH = 64;

    private TraceFileDescriptor()
    {
    }
}
