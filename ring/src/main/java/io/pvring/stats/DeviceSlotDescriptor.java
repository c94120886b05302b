package io.pvring.stats;

import org.HdrHistogram.Histogram;

/**
 * Layout of one device slot in a counters file ({@link CountersFileDescriptor}): the device's latency histogram,
 * published under a seqlock, and the words through which another process turns the device's trace on and off.
 * The owner (the process serving the device) writes the first cache lines, the tracing client only the request
 * line and the path.
 *
 * <pre>
 *    0  histogram sequence (LE long)   owner; odd while it rewrites the histogram
 *    8  histogram length (LE int)      owner; bytes of HdrHistogram's encoding at HISTOGRAM_OFFSET
 *   12  generation (LE int)            owner; bumped each time the slot is given to a device
 *   16  trace state (LE int)           owner; TRACE_OFF, TRACE_ON or TRACE_FAILED
 *   24  trace records (LE long)        owner; records written to the trace file so far
 *   32  trace dropped (LE long)        owner; records lost because the trace buffer was full
 *   64  trace request (LE int)         client; TRACE_START or 0 (stop), set with a compare-and-set from 0
 *   68  trace path length (LE int)     client; UTF-8 bytes at TRACE_PATH_OFFSET
 *   72  trace client pid (LE long)     client; the owner stops a trace whose client has exited
 *  128  trace path (MAX_PATH bytes)    client
 *  384  trace message (MAX_MESSAGE)    owner; why TRACE_FAILED, as "length (LE int), UTF-8 bytes"
 *  640  histogram (HISTOGRAM_CAPACITY) owner
 * </pre>
 */
public final class DeviceSlotDescriptor
{
    public static final int HISTOGRAM_SEQUENCE_OFFSET = 0;
    public static final int HISTOGRAM_LENGTH_OFFSET = 8;
    public static final int GENERATION_OFFSET = 12;
    public static final int TRACE_STATE_OFFSET = 16;
    public static final int TRACE_RECORDS_OFFSET = 24;
    public static final int TRACE_DROPPED_OFFSET = 32;
    public static final int TRACE_REQUEST_OFFSET = 64;
    public static final int TRACE_PATH_LENGTH_OFFSET = 68;
    public static final int TRACE_CLIENT_PID_OFFSET = 72;
    public static final int TRACE_PATH_OFFSET = 128;
    public static final int MAX_PATH = 256;
    public static final int TRACE_MESSAGE_OFFSET = 384;
    public static final int MAX_MESSAGE = 252;
    public static final int HISTOGRAM_OFFSET = 640;

    public static final int TRACE_OFF = 0;
    public static final int TRACE_ON = 1;
    public static final int TRACE_FAILED = 2;
    public static final int TRACE_START = 1;

    /** Latencies are nanoseconds from 1 ns to 60 s at two significant digits (1% resolution). */
    public static final long LOWEST_NANOS = 1;
    public static final long HIGHEST_NANOS = 60_000_000_000L;
    public static final int SIGNIFICANT_DIGITS = 2;
    /** Room for the worst case of HdrHistogram's encoding at these settings. */
    public static final int HISTOGRAM_CAPACITY;
    public static final int SLOT_LENGTH;

    static
    {
        final int needed = newHistogram().getNeededByteBufferCapacity();
        HISTOGRAM_CAPACITY = (needed + 63) & ~63;
        SLOT_LENGTH = HISTOGRAM_OFFSET + HISTOGRAM_CAPACITY;
    }

    private DeviceSlotDescriptor()
    {
    }

    /** A histogram with the slot's settings (cumulative on the owner side, decoded on the reader side). */
    public static Histogram newHistogram()
    {
        return new Histogram(LOWEST_NANOS, HIGHEST_NANOS, SIGNIFICANT_DIGITS);
    }
}
