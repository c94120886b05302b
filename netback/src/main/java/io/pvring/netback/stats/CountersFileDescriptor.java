package io.pvring.netback.stats;

import org.agrona.concurrent.status.CountersReader;

/**
 * Layout of a counters file: a header, then an Agrona counters metadata region and its values region, so another
 * process maps the file and reads the counters live with a {@link CountersReader}.
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
 *  |                  padding to HEADER_LENGTH                    ...| 16
 *  +---------------------------------------------------------------+
 *  |        metadata: counters * METADATA_LENGTH (512) bytes      ...| 128
 *  +---------------------------------------------------------------+
 *  |          values: counters * COUNTER_LENGTH (128) bytes       ...|
 *  +---------------------------------------------------------------+
 * </pre>
 * The writer stores the magic last (release), so a reader that sees it sees the lengths.
 */
public final class CountersFileDescriptor
{
    public static final int MAGIC = 0x434E5650; // "PVNC" little endian
    public static final int VERSION = 1;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int METADATA_LENGTH_OFFSET = 8;
    public static final int VALUES_LENGTH_OFFSET = 12;
    /** A multiple of the counter record length, so the values region stays aligned to it. */
    public static final int HEADER_LENGTH = 128;
    public static final int MAX_COUNTERS = 1 << 20;

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

    public static long fileLength(final int counters)
    {
        return (long)HEADER_LENGTH + metadataLength(counters) + valuesLength(counters);
    }

    public static int metadataOffset()
    {
        return HEADER_LENGTH;
    }

    public static int valuesOffset(final int metadataLength)
    {
        return HEADER_LENGTH + metadataLength;
    }

    private static void checkCounters(final int counters)
    {
        if (counters < 1 || counters > MAX_COUNTERS)
        {
            throw new IllegalArgumentException("counters=" + counters + " not in 1.." + MAX_COUNTERS);
        }
    }
}
