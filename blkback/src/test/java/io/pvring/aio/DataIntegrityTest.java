package io.pvring.aio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random reads and writes (plain and vectored; page-aligned, sector-aligned and byte-unaligned memory, offsets and
 * lengths) in batches of up to 16 in flight, checked against an in-memory model on every engine and cache mode;
 * the file is compared with the model at the end through an independent channel.
 */
class DataIntegrityTest
{
    private static final int FILE_BYTES = 4 << 20;
    private static final int REGION = 64 * 1024;
    private static final int REGIONS = FILE_BYTES / REGION;
    private static final int AREA = 80 * 1024;
    private static final int DEPTH = 16;

    @TempDir
    Path dir;

    static Stream<Arguments> engines()
    {
        return Stream.of(ThreadPoolEngine.NAME, IoUringEngine.NAME).flatMap(
            engine -> Arrays.stream(CacheMode.values()).map(mode -> Arguments.of(engine, mode)));
    }

    @ParameterizedTest(name = "aio={0} cache={1}")
    @MethodSource("engines")
    void randomWorkloadMatchesModel(final String engineName, final CacheMode mode) throws IOException
    {
        final Path path = EngineRig.newFile(dir, FILE_BYTES);
        final byte[] model = new byte[FILE_BYTES];
        final ByteBuffer memory = EngineRig.nativeMemory(DEPTH * AREA);
        final long base = EngineRig.address(memory);
        final UnsafeBuffer view = new UnsafeBuffer(memory);
        final Random random = new Random(42 + mode.ordinal());
        final IoVector vector = new IoVector(8);
        final int[] kinds = new int[DEPTH];
        final long[] positions = new long[DEPTH];
        final int[][] segments = new int[DEPTH][];
        final int[] lengths = new int[DEPTH];
        final int[] memoryOffsets = new int[DEPTH];
        final AioConfig config = new AioConfig().queueDepth(DEPTH).maxSegments(8).maxIoBytes(REGION);
        int reads = 0;
        int writes = 0;
        try (AioFile file = AioFile.open(path, mode, false);
            EngineRig rig = new EngineRig(engineName, config, DEPTH))
        {
            for (int batch = 0; batch < 150; batch++)
            {
                final int[] regions = shuffledRegions(random);
                final int ops = 1 + random.nextInt(DEPTH);
                for (int i = 0; i < ops; i++)
                {
                    rig.clear(i);
                    final int granule = granule(random);
                    final int length = granule * (1 + random.nextInt(Math.min(32, REGION / granule / 2)));
                    final long position = (long)regions[i] * REGION +
                        granule * (long)random.nextInt((REGION - length) / granule + 1);
                    final int memoryOffset = granule == 1 ? 3 : granule == 512 ? 512 : 0;
                    final long area = base + (long)i * AREA;
                    final boolean write = random.nextBoolean();
                    final boolean vectored = random.nextInt(3) == 0 && length >= 2 * granule;
                    kinds[i] = (write ? 1 : 0) | (vectored ? 2 : 0);
                    positions[i] = position;
                    memoryOffsets[i] = memoryOffset;
                    lengths[i] = length;
                    if (vectored)
                    {
                        // Two or three segments, each in its own part of the area, with gaps between them.
                        final int first = granule * (1 + random.nextInt(length / granule - 1));
                        segments[i] = new int[]{ first, length - first };
                        vector.clear()
                            .add(area + memoryOffset, first)
                            .add(area + memoryOffset + first + 4096, length - first);
                    }
                    if (write)
                    {
                        final byte[] data = new byte[length];
                        random.nextBytes(data);
                        System.arraycopy(data, 0, model, (int)position, length);
                        if (vectored)
                        {
                            view.putBytes(i * AREA + memoryOffset, data, 0, segments[i][0]);
                            view.putBytes(i * AREA + memoryOffset + segments[i][0] + 4096, data, segments[i][0],
                                segments[i][1]);
                            assertTrue(rig.engine.writev(file, i, position, vector));
                        }
                        else
                        {
                            view.putBytes(i * AREA + memoryOffset, data);
                            assertTrue(rig.engine.write(file, i, position, area + memoryOffset, length));
                        }
                        writes++;
                    }
                    else
                    {
                        view.setMemory(i * AREA, AREA, (byte)0x5A);
                        assertTrue(vectored ?
                            rig.engine.readv(file, i, position, vector) :
                            rig.engine.read(file, i, position, area + memoryOffset, length));
                        reads++;
                    }
                }
                rig.engine.submitBatch();
                rig.await(ops);
                for (int i = 0; i < ops; i++)
                {
                    assertEquals(lengths[i], rig.results[i], "batch " + batch + " op " + i + " kind " + kinds[i] +
                        " at " + positions[i] + " length " + lengths[i] + ": " + Errno.name(rig.results[i]));
                    if ((kinds[i] & 1) == 0)
                    {
                        final int memoryOffset = memoryOffsets[i];
                        final byte[] got = new byte[lengths[i]];
                        if ((kinds[i] & 2) != 0)
                        {
                            view.getBytes(i * AREA + memoryOffset, got, 0, segments[i][0]);
                            view.getBytes(i * AREA + memoryOffset + segments[i][0] + 4096, got, segments[i][0],
                                segments[i][1]);
                        }
                        else
                        {
                            view.getBytes(i * AREA + memoryOffset, got);
                        }
                        assertArrayEquals(Arrays.copyOfRange(model, (int)positions[i], (int)positions[i] +
                            lengths[i]), got, "batch " + batch + " read " + i + " at " + positions[i]);
                    }
                }
                if (batch % 10 == 9)
                {
                    assertTrue(rig.engine.sync(file, 0, batch % 20 == 9));
                    assertEquals(0, rig.one(0), "sync");
                }
            }
        }
        assertTrue(reads > 100 && writes > 100, "workload mixed: reads=" + reads + " writes=" + writes);
        assertArrayEquals(model, Files.readAllBytes(path), "file content equals the model");
    }

    /** Granule 4096 (aligned), 512 (sector) or 1 (bytes): a length that is a multiple of 4096 may be either. */
    private static int granule(final Random random)
    {
        final int pick = random.nextInt(10);
        return pick < 5 ? 4096 : pick < 9 ? 512 : 1;
    }

    private static int[] shuffledRegions(final Random random)
    {
        final int[] regions = new int[REGIONS];
        for (int i = 0; i < REGIONS; i++)
        {
            regions[i] = i;
        }
        for (int i = REGIONS - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final int t = regions[i];
            regions[i] = regions[j];
            regions[j] = t;
        }
        return regions;
    }
}
