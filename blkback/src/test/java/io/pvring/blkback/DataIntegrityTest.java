package io.pvring.blkback;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.pvring.blkback.store.MemoryBlockStore;
import io.pvring.blkback.store.RawFileBlockStore;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.testing.BoundedSpin;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_READ;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_WRITE;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random mixed workloads (512 B to 1 MiB, random offsets and in-page starts, reads, writes, flushes, discards)
 * through blkfront, the ring and blkback into a memory store, every byte read checked against a model, for every
 * combination of persistent grants, indirect segments, queue count, ring order and ABI.
 */
class DataIntegrityTest
{
    private static final int DISK = 64 << 20;
    private static final int MAX_BYTES = 1 << 20;

    static Stream<Arguments> configurations()
    {
        final List<Arguments> args = new ArrayList<>();
        int seed = 1;
        for (final String protocol : new String[]{ "x86_64-abi", "x86_32-abi" })
        {
            for (final boolean persistent : new boolean[]{ true, false })
            {
                for (final int indirect : new int[]{ 0, 256 })
                {
                    for (final int queues : new int[]{ 1, 3 })
                    {
                        args.add(Arguments.of(protocol, persistent, indirect, queues, seed % 5, seed));
                        seed++;
                    }
                }
            }
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0} persistent={1} indirect={2} queues={3} order={4}")
    @MethodSource("configurations")
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void randomMixedWorkloadMatchesTheModel(
        final String protocol,
        final boolean persistent,
        final int indirect,
        final int queues,
        final int order,
        final int seed)
    {
        final BlkBackConfig bc = BlkBackConfig.builder().persistentGrants(persistent).maxIndirectSegments(
            indirect == 0 ? 0 : BlkBackConfig.DEFAULT_MAX_INDIRECT_SEGMENTS).maxPersistentGrants(300).build();
        final BlkFrontConfig fc = BlkFrontConfig.builder().protocol(protocol).persistentGrants(persistent)
            .maxIndirectSegments(indirect).queues(queues).ringPageOrder(order).poolPages(indirect == 0 ? 200 : 600)
                .build();
        try (Rig rig = new Rig(new MemoryBlockStore(DISK, 512), bc, fc))
        {
            new Workload(rig, new Random(seed)).run(60);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void rawFileStoreMatchesTheModel() throws Exception
    {
        final java.nio.file.Path image = java.nio.file.Files.createTempFile("pvring-integrity", ".img");
        try
        {
            try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(image.toFile(), "rw"))
            {
                file.setLength(DISK);
            }
            final BlkFrontConfig fc = BlkFrontConfig.builder().maxIndirectSegments(256).poolPages(600).queues(2)
                .ringPageOrder(2).build();
            try (RawFileBlockStore store = RawFileBlockStore.open(image, 512, false, true);
                Rig rig = new Rig(store, BlkBackConfig.defaults(), fc))
            {
                new Workload(rig, new Random(7)).run(40);
            }
        }
        finally
        {
            java.nio.file.Files.deleteIfExists(image);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void threadedBackendWithNotifications()
    {
        final BlkBackConfig bc = BlkBackConfig.builder().polling(false).build();
        final BlkFrontConfig fc = BlkFrontConfig.builder().maxIndirectSegments(256).poolPages(600).queues(2)
            .ringPageOrder(1).build();
        try (Rig rig = new Rig(new MemoryBlockStore(DISK, 512), bc, fc))
        {
            rig.back.start(2, () -> new BackoffIdleStrategy(1, 1, 1000, 100_000));
            new Workload(rig, new Random(99)).threaded(true).run(40);
            long sent = 0;
            for (final BlkRing ring : rig.back.rings())
            {
                sent += ring.counters().notificationsSent.get();
            }
            assertTrue(sent > 0, "a notification-driven backend notifies");
            rig.back.disconnect();
            assertFalse(Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().startsWith("blkback-1-51712")), "no ring thread left");
        }
    }

    /** Rounds of non-overlapping requests over all queues, checked against a byte model of the disk. */
    static final class Workload
    {
        final Rig rig;
        final Random random;
        final byte[] model = new byte[DISK];
        final UnsafeBuffer disk = new UnsafeBuffer(model);
        boolean threaded;

        Workload(final Rig rig, final Random random)
        {
            this.rig = rig;
            this.random = random;
        }

        Workload threaded(final boolean value)
        {
            threaded = value;
            return this;
        }

        void run(final int rounds)
        {
            for (int round = 0; round < rounds; round++)
            {
                runRound();
            }
        }

        private void runRound()
        {
            final List<long[]> ranges = new ArrayList<>();
            final List<UnsafeBuffer> readBuffers = new ArrayList<>();
            final List<long[]> reads = new ArrayList<>();
            int submitted = 0;
            for (int q = 0; q < rig.front.queueCount(); q++)
            {
                final BlkFrontQueue queue = rig.q(q);
                final int perQueue = 1 + random.nextInt(6);
                for (int i = 0; i < perQueue; i++)
                {
                    final int kind = random.nextInt(20);
                    if (kind == 0)
                    {
                        if (queue.flush(-1))
                        {
                            submitted++;
                        }
                        continue;
                    }
                    final int maxSectors = Math.min(MAX_BYTES >> 9, queue.maxSectors() - 8);
                    final int sectors = 1 + (random.nextBoolean() ? random.nextInt(maxSectors) : random.nextInt(16));
                    final long sector = random.nextInt(DISK / 512 - sectors + 1);
                    if (overlaps(ranges, sector, sectors))
                    {
                        continue;
                    }
                    final int firstSect = random.nextInt(8);
                    final int length = sectors << 9;
                    if (kind == 1 && rig.store.canDiscard())
                    {
                        if (queue.discard(sector, sectors, false, -2))
                        {
                            ranges.add(new long[]{ sector, sectors });
                            disk.setMemory((int)sector << 9, length, (byte)0);
                            submitted++;
                        }
                    }
                    else if (kind > 1 && kind < 10)
                    {
                        final UnsafeBuffer data = new UnsafeBuffer(new byte[length]);
                        random.nextBytes(data.byteArray());
                        if (queue.submit(BLKIF_OP_WRITE, sector, sectors, firstSect, null, 0, data, 0, -3))
                        {
                            ranges.add(new long[]{ sector, sectors });
                            disk.putBytes((int)sector << 9, data, 0, length);
                            submitted++;
                        }
                    }
                    else
                    {
                        final UnsafeBuffer into = new UnsafeBuffer(new byte[length + 512]);
                        into.setMemory(0, into.capacity(), (byte)0x5C);
                        final long cookie = reads.size();
                        if (queue.submit(BLKIF_OP_READ, sector, sectors, firstSect, into, 256, null, 0, cookie))
                        {
                            ranges.add(new long[]{ sector, sectors });
                            readBuffers.add(into);
                            reads.add(new long[]{ sector, sectors });
                            submitted++;
                        }
                    }
                }
            }
            final List<long[]> completions = complete(submitted);
            for (final long[] c : completions)
            {
                assertEquals(BLKIF_RSP_OKAY, c[2], "status of cookie " + c[0] + " op " + c[1]);
            }
            for (int r = 0; r < reads.size(); r++)
            {
                final UnsafeBuffer into = readBuffers.get(r);
                final int offset = (int)reads.get(r)[0] << 9;
                final int length = (int)reads.get(r)[1] << 9;
                for (int i = 0; i < length; i++)
                {
                    if (into.getByte(256 + i) != model[offset + i])
                    {
                        throw new AssertionError("read of sector " + reads.get(r)[0] + " differs at byte " + i);
                    }
                }
                assertEquals(0x5C, into.getByte(255));
                assertEquals(0x5C, into.getByte(256 + length));
            }
        }

        private List<long[]> complete(final int expected)
        {
            if (!threaded)
            {
                rig.completions.clear();
                rig.run();
                assertEquals(expected, rig.completions.size());
                return new ArrayList<>(rig.completions);
            }
            final List<long[]> done = new ArrayList<>();
            for (int q = 0; q < rig.front.queueCount(); q++)
            {
                rig.q(q).push();
            }
            final BoundedSpin spin = BoundedSpin.upTo(() -> done.size() + " of " + expected + " responses");
            while (done.size() < expected)
            {
                boolean any = false;
                for (int q = 0; q < rig.front.queueCount(); q++)
                {
                    any |= rig.q(q).poll((cookie, op, status) -> done.add(new long[]{ cookie, op, status })) > 0;
                }
                if (!any)
                {
                    spin.pause();
                }
            }
            return done;
        }

        private static boolean overlaps(final List<long[]> ranges, final long sector, final int sectors)
        {
            for (final long[] r : ranges)
            {
                if (sector < r[0] + r[1] && r[0] < sector + sectors)
                {
                    return true;
                }
            }
            return false;
        }
    }
}
