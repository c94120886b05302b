package io.pvring.blkback.test;

import java.nio.file.Path;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;

/** Data patterns and file facts shared by blk tests. */
public final class TestData
{
    private TestData()
    {
    }

    public static UnsafeBuffer pattern(final int length, final int seed)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[length]);
        for (int i = 0; i < length; i++)
        {
            b.putByte(i, (byte)(i * 31 + seed * 17 + (i >> 9)));
        }
        return b;
    }

    public static long allocatedBytes(final Path file) throws Exception
    {
        final String blocks = ExternalTools.run(List.of("stat", "-c", "%b %B", file.toString())).trim();
        final String[] parts = blocks.split(" ");
        return Long.parseLong(parts[0]) * Long.parseLong(parts[1]);
    }
}
