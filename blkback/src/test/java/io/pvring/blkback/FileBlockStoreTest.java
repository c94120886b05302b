package io.pvring.blkback;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.pvring.aio.CacheMode;
import io.pvring.uring.IoUringSupport;
import io.pvring.blkback.store.BlockStore;
import io.pvring.blkback.store.FileBlockStore;
import io.pvring.blkback.test.TestData;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.event.WaitMode;
import io.pvring.runner.RunnerPool;
import io.pvring.runner.RunnerPoolConfig;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_READ;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_WRITE;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_ERROR;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * blkfront to blkback to a {@link FileBlockStore} on real ring threads sleeping between events (so every
 * completion from an engine thread must wake its ring), on every engine and cache mode: the random
 * write/flush/discard/read workload against a byte model, guest segments that are not aligned under
 * {@code cache=none}, I/O errors answered with {@code BLKIF_RSP_ERROR} while the device keeps serving, and teardown
 * with I/O in flight.
 */
class FileBlockStoreTest
{
    private static final int DISK = 64 << 20;
    /** The runners every test's rings share, as a host's devices do. */
    private static RunnerPool runners;

    @BeforeAll
    static void startRunners()
    {
        runners = new RunnerPool(new RunnerPoolConfig().runners(2));
    }

    @AfterAll
    static void stopRunners()
    {
        runners.close();
    }

    @TempDir
    Path dir;

    static Stream<Arguments> enginesAndCaches()
    {
        final List<Arguments> args = new ArrayList<>();
        int seed = 11;
        for (final String engine : new String[]{ "threads", "io_uring" })
        {
            for (final CacheMode cache : CacheMode.values())
            {
                args.add(Arguments.of(engine, cache, seed++));
            }
        }
        return args.stream();
    }

    /** io_uring is required on this machine kind in CI, skipped elsewhere (as the engine's own tests do). */
    static void requireEngine(final String engine)
    {
        if (!"io_uring".equals(engine))
        {
            return;
        }
        final String reason = IoUringSupport.unavailableReason();
        if ("1".equals(System.getenv("PVRING_REQUIRE_TOOLS")))
        {
            assertTrue(reason == null, "io_uring must be available on this machine kind: " + reason);
        }
        else
        {
            assumeTrue(reason == null, "io_uring unavailable, skipping: " + reason);
        }
    }

    private Path image(final long bytes) throws Exception
    {
        final Path image = dir.resolve("disk-" + System.nanoTime() + ".img");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw"))
        {
            file.setLength(bytes);
        }
        return image;
    }

    private static Rig threadedRig(final BlockStore store, final int queues)
    {
        final BlkBackConfig bc = BlkBackConfig.builder().waitMode(WaitMode.NOTIFY).build();
        final BlkFrontConfig fc = BlkFrontConfig.builder().maxIndirectSegments(256).poolPages(600).queues(queues)
            .ringPageOrder(1).build();
        final Rig rig = new Rig(store, bc, fc);
        rig.back.start(runners);
        return rig;
    }

    @ParameterizedTest(name = "aio={0} cache={1}")
    @MethodSource("enginesAndCaches")
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void randomWorkloadMatchesTheModel(final String engine, final CacheMode cache, final int seed) throws Exception
    {
        requireEngine(engine);
        try (FileBlockStore store = FileBlockStore.open(image(DISK), cache, engine, 512, false, 5_000);
            Rig rig = threadedRig(store, 2))
        {
            assertEquals("io_uring".equals(engine), store.canDiscard(), "feature-discard iff the engine punches holes");
            new DataIntegrityTest.Workload(rig, new Random(seed)).threaded(true).run(25);
            rig.back.disconnect();
        }
    }

    /** Under O_DIRECT a guest segment starting mid-page goes through a bounce buffer: never an error to the guest. */
    @ParameterizedTest(name = "aio={0}")
    @ValueSource(strings = { "threads", "io_uring" })
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void unalignedGuestSegmentsUnderCacheNoneSucceed(final String engine) throws Exception
    {
        requireEngine(engine);
        try (FileBlockStore store = FileBlockStore.open(image(1 << 20), CacheMode.NONE, engine, 512, false, 5_000);
            Rig rig = threadedRig(store, 1))
        {
            final BlkFrontQueue queue = rig.q(0);
            final UnsafeBuffer data = TestData.pattern(3 * 512, 5);
            // Sector 3, 1.5 KiB, starting 512 bytes into the page: offset, length and address all unaligned.
            assertTrue(queue.submit(BLKIF_OP_WRITE, 3, 3, 1, null, 0, data, 0, 1));
            assertEquals(BLKIF_RSP_OKAY, answer(queue, 1), "unaligned write");
            final UnsafeBuffer back = new UnsafeBuffer(new byte[3 * 512]);
            assertTrue(queue.submit(BLKIF_OP_READ, 3, 3, 5, back, 0, null, 0, 2));
            assertEquals(BLKIF_RSP_OKAY, answer(queue, 2), "unaligned read");
            assertEquals(0, back.compareTo(data), "the bytes written come back");
            rig.back.disconnect();
        }
    }

    /**
     * The image shrinks behind the store's back: a read past the new end comes back short, which is an I/O error to
     * the guest ({@code BLKIF_RSP_ERROR}), and the same ring serves the next request normally. Then the store's file
     * is closed: every request fails, none hangs.
     */
    @ParameterizedTest(name = "aio={0}")
    @ValueSource(strings = { "threads", "io_uring" })
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void ioErrorsAreAnsweredAndTheDeviceKeepsServing(final String engine) throws Exception
    {
        requireEngine(engine);
        final Path image = image(8 << 20);
        final FileBlockStore store = FileBlockStore.open(image, CacheMode.WRITEBACK, engine, 512, false, 5_000);
        try (Rig rig = threadedRig(store, 1))
        {
            final BlkFrontQueue queue = rig.q(0);
            try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw"))
            {
                file.setLength(4 << 20);
            }
            final UnsafeBuffer into = new UnsafeBuffer(new byte[4096]);
            assertTrue(queue.read((6 << 20) >> 9, 8, into, 0, 1));
            assertEquals(BLKIF_RSP_ERROR, answer(queue, 1), "a short read is an I/O error");
            final UnsafeBuffer data = TestData.pattern(4096, 9);
            assertTrue(queue.write(8, 8, data, 0, 2));
            assertEquals(BLKIF_RSP_OKAY, answer(queue, 2), "the device keeps serving");
            assertTrue(queue.read(8, 8, into, 0, 3));
            assertEquals(BLKIF_RSP_OKAY, answer(queue, 3));
            assertEquals(0, into.compareTo(data));

            store.close(); // the image goes away under the device
            for (int i = 0; i < 3; i++)
            {
                assertTrue(queue.read(8, 8, into, 0, 10 + i));
                assertEquals(BLKIF_RSP_ERROR, answer(queue, 10 + i), "a closed image fails request " + i);
            }
            assertTrue(queue.flush(20));
            assertEquals(BLKIF_RSP_ERROR, answer(queue, 20), "and so does a flush");
            rig.back.disconnect();
        }
        finally
        {
            store.close(); // again: closing is idempotent
        }
    }

    /**
     * A request of more segments than one engine request may carry ({@code IOV_MAX} = 1024) goes out in parts and
     * is answered once, after all of them: 2048 indirect segments (8 MiB) written and read back.
     */
    @ParameterizedTest(name = "aio={0}")
    @ValueSource(strings = { "threads", "io_uring" })
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void requestsBeyondIovMaxGoOutInPartsAndCompleteOnce(final String engine) throws Exception
    {
        requireEngine(engine);
        final BlkBackConfig bc = BlkBackConfig.builder().waitMode(WaitMode.NOTIFY).maxIndirectSegments(4096).build();
        final BlkFrontConfig fc = BlkFrontConfig.builder().maxIndirectSegments(2048).poolPages(2100).build();
        try (FileBlockStore store = FileBlockStore.open(image(16 << 20), CacheMode.WRITEBACK, engine, 512, false,
            5_000); Rig rig = new Rig(store, bc, fc))
        {
            rig.back.start(runners);
            final BlkFrontQueue queue = rig.q(0);
            final UnsafeBuffer data = TestData.pattern(8 << 20, 12);
            assertTrue(queue.write(16, (8 << 20) >> 9, data, 0, 1));
            assertEquals(BLKIF_RSP_OKAY, answer(queue, 1), "8 MiB write in two parts");
            final UnsafeBuffer back = new UnsafeBuffer(new byte[8 << 20]);
            assertTrue(queue.read(16, (8 << 20) >> 9, back, 0, 2));
            assertEquals(BLKIF_RSP_OKAY, answer(queue, 2), "8 MiB read in two parts");
            assertEquals(0, back.compareTo(data), "every byte of both parts");
            rig.back.disconnect();
        }
    }

    /** A device torn down with writes in flight waits for them before unmapping (the rig checks no mapping is left). */
    @ParameterizedTest(name = "aio={0}")
    @ValueSource(strings = { "threads", "io_uring" })
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void teardownWithIoInFlightWaitsForIt(final String engine) throws Exception
    {
        requireEngine(engine);
        try (FileBlockStore store = FileBlockStore.open(image(DISK), CacheMode.WRITETHROUGH, engine, 512, false,
            5_000); Rig rig = threadedRig(store, 2))
        {
            final UnsafeBuffer data = TestData.pattern(256 * 1024, 3);
            int queued = 0;
            for (int q = 0; q < 2; q++)
            {
                for (int i = 0; i < 16 && rig.q(q).write((q * 16L + i) * 512, 512, data, 0, i); i++)
                {
                    queued++;
                }
                rig.q(q).push();
            }
            assertTrue(queued > 8, "writes queued: " + queued);
            rig.back.disconnect();
            for (final BlkRing ring : rig.back.rings())
            {
                assertEquals(0, ring.inFlight(), ring + ": nothing left in flight after teardown");
                assertEquals(0, ring.strayCompletions(), ring + ": nothing abandoned");
            }
        }
    }

    /** The status of request {@code cookie}, the only one outstanding on {@code queue}, waited for with a bound. */
    static int answer(final BlkFrontQueue queue, final long cookie)
    {
        queue.push();
        final int[] status = { Integer.MIN_VALUE };
        final long[] seen = { -1 };
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (status[0] == Integer.MIN_VALUE)
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("request " + cookie + " not answered in 20 s");
            }
            if (queue.poll((c, op, s) ->
            {
                seen[0] = c;
                status[0] = s;
            }) == 0)
            {
                Thread.onSpinWait();
            }
        }
        assertEquals(cookie, seen[0], "the answer is for request " + cookie);
        return status[0];
    }
}
