package io.pvring.stats;

import org.agrona.concurrent.status.CountersReader;

/**
 * Layout of a pvring counters file: a header, an Agrona counters metadata region and its values region (so any
 * process maps the file and reads the counters live with a {@link CountersReader}), then a region of fixed-size
 * device slots ({@link DeviceSlotDescriptor}: a latency histogram under a seqlock and the trace control words).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                     magic "PVNC" (LE int)                     |  0
 *  +---------------------------------------------------------------+
 *  |                            version                            |  4
 *  +---------------------------------------------------------------+
 *  |                        metadata length                        |  8
 *  +---------------------------------------------------------------+
 *  |                         values length                         | 12
 *  +---------------------------------------------------------------+
 *  |                        device slot count                      | 16
 *  +---------------------------------------------------------------+
 *  |                       device slot length                      | 20
 *  +---------------------------------------------------------------+
 *  |                  owner pid (LE long)                          | 24
 *  +---------------------------------------------------------------+
 *  |                  owner start, epoch ms (LE long)              | 32
 *  +---------------------------------------------------------------+
 *  |                  heartbeat, epoch ms (LE long)                | 40
 *  +---------------------------------------------------------------+
 *  |                  padding to HEADER_LENGTH                    ...| 48
 *  +---------------------------------------------------------------+
 *  |        metadata: counters * METADATA_LENGTH (512) bytes      ...| 128
 *  +---------------------------------------------------------------+
 *  |          values: counters * COUNTER_LENGTH (128) bytes       ...|
 *  +---------------------------------------------------------------+
 *  |          device slots: slot count * slot length              ...|
 *  +---------------------------------------------------------------+
 * </pre>
 * The writer stores the magic last (release), so a reader that sees it sees the lengths. The owner refreshes the
 * heartbeat about once a second: a reader tells a live file from one a dead process left behind by the pid.
 */
public final class CountersFileDescriptor
{
    public static final int MAGIC = 0x434E5650; // "PVNC" little endian
    /** 2: device slots and the owner fields (1 was netback's counters-only file). */
    public static final int VERSION = 2;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int METADATA_LENGTH_OFFSET = 8;
    public static final int VALUES_LENGTH_OFFSET = 12;
    public static final int SLOT_COUNT_OFFSET = 16;
    public static final int SLOT_LENGTH_OFFSET = 20;
    public static final int PID_OFFSET = 24;
    public static final int START_MS_OFFSET = 32;
    public static final int HEARTBEAT_MS_OFFSET = 40;
    /** A multiple of the counter record length, so the values region stays aligned to it. */
    public static final int HEADER_LENGTH = 128;
    public static final int MAX_COUNTERS = 1 << 20;
    public static final int MAX_SLOTS = 1 << 12;
    /** Conventional name of the file in a serve directory. */
    public static final String FILE_NAME = "counters.dat";

    private CountersFileDescriptor()
    {
    }

    public static int metadataLength(final int counters)
    {
        checkCounters(counters);
        return counters * CountersReader.METADATA_LENGTH;
    }

    public static int valuesLength(final int counters)
    {
        checkCounters(counters);
        return counters * CountersReader.COUNTER_LENGTH;
    }

    public static long slotsLength(final int slots)
    {
        checkSlots(slots);
        return (long)slots * DeviceSlotDescriptor.SLOT_LENGTH;
    }

    public static long fileLength(final int counters, final int slots)
    {
        return (long)HEADER_LENGTH + metadataLength(counters) + valuesLength(counters) + slotsLength(slots);
    }

    public static int valuesOffset(final int metadataLength)
    {
        return HEADER_LENGTH + metadataLength;
    }

    public static long slotsOffset(final int metadataLength, final int valuesLength)
    {
        return (long)HEADER_LENGTH + metadataLength + valuesLength;
    }

    private static void checkCounters(final int counters)
    {
        if (counters < 1 || counters > MAX_COUNTERS)
        {
            throw new IllegalArgumentException("counters=" + counters + " not in 1.." + MAX_COUNTERS);
        }
    }

    private static void checkSlots(final int slots)
    {
        if (slots < 0 || slots > MAX_SLOTS)
        {
            throw new IllegalArgumentException("slots=" + slots + " not in 0.." + MAX_SLOTS);
        }
    }
}
