package io.pvring.blkback;

import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.LongStream;

import io.pvring.aio.CacheMode;

import io.netty.util.ResourceLeakDetector;
import io.pvring.blkback.store.BlockStore;
import io.pvring.blkback.store.FileBlockStore;
import io.pvring.blkback.store.MemoryBlockStore;
import io.pvring.blkback.store.NbdBlockStore;
import io.pvring.blkback.test.ControlledBlockStore;
import io.pvring.blkback.test.ExternalTools;
import io.pvring.blkback.test.TestData;
import io.pvring.blkfront.BlkCompletionHandler;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.nbd.NbdClientConfig;
import io.pvring.nbd.NbdkitServer;
import io.pvring.uring.ThreadRing;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The request path (blkfront submit, push, blkback doWork, blkfront poll) allocates nothing once warm, with and
 * without persistent grants, on the real grant table (measured per thread by the JVM; both ends stepped here), on
 * a store that completes inline (the direct path) and on one that completes after submit returned (the
 * completion queue).
 */
class SteadyStateAllocationTest
{
    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    @ParameterizedTest(name = "persistent={0}")
    @ValueSource(booleans = { true, false })
    void requestPathDoesNotAllocate(final boolean persistent)
    {
        requestPathDoesNotAllocate(persistent, new MemoryBlockStore(16 << 20, 512), null, 5_000, 2_000);
    }

    /** The ring's own path on a file store: submitting to the engine, starting the batch, reaping completions. */
    @ParameterizedTest(name = "aio={0}")
    @ValueSource(strings = { "threads", "io_uring" })
    void requestPathOnAFileStoreDoesNotAllocate(final String engine, @TempDir final Path dir) throws Exception
    {
        FileBlockStoreTest.requireEngine(engine);
        final Path image = dir.resolve("disk.img");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw"))
        {
            file.setLength(16 << 20);
        }
        try (FileBlockStore store = FileBlockStore.open(image, CacheMode.WRITEBACK, engine, 512, false, 5_000))
        {
            requestPathDoesNotAllocate(true, store, null, 1_500, 500);
        }
    }

    @ParameterizedTest(name = "persistent={0}")
    @ValueSource(booleans = { true, false })
    void requestPathWithLateCompletionsDoesNotAllocate(final boolean persistent)
    {
        final ControlledBlockStore store = new ControlledBlockStore(16 << 20);
        requestPathDoesNotAllocate(persistent, store, store, 5_000, 2_000);
    }

    private void requestPathDoesNotAllocate(
        final boolean persistent, final BlockStore store, final ControlledBlockStore late, final int warmRounds,
        final int rounds)
    {
        final BlkBackConfig bc = BlkBackConfig.builder().persistentGrants(persistent).build();
        final BlkFrontConfig fc = BlkFrontConfig.builder().persistentGrants(persistent).maxIndirectSegments(32)
            .poolPages(400).build();
        try (CoreRig rig = new CoreRig(store, bc, fc))
        {
            final BlkFrontQueue queue = rig.front.queue(0);
            final BlkRing ring = rig.back.rings().get(0);
            final UnsafeBuffer data = TestData.pattern(128 * 1024, 1);
            final long[] ok = new long[1];
            final BlkCompletionHandler handler = (cookie, op, status) -> ok[0] += status == 0 ? 1 : 0;
            final Runnable round = () ->
            {
                for (int i = 0; i < 16; i++)
                {
                    final int sectors = 8 << (i & 3); // 4 KiB (direct) .. 32 KiB; every 4th is 128 KiB (indirect)
                    final int n = i % 4 == 3 ? 256 : sectors;
                    if ((i & 1) == 0)
                    {
                        queue.write(i * 512L, n, data, 0, i);
                    }
                    else
                    {
                        queue.read(i * 512L, n, data, 0, i);
                    }
                }
                queue.push();
                final long deadline = System.nanoTime() + 10_000_000_000L;
                int answered = 0;
                while (true)
                {
                    ring.doWork();
                    if (late != null)
                    {
                        late.completeAll(BlockStore.OK); // after submit returned: through the completion queue
                        ring.doWork();
                    }
                    answered += queue.poll(handler);
                    if (answered == 16)
                    {
                        break;
                    }
                    if (System.nanoTime() - deadline > 0)
                    {
                        throw new AssertionError("only " + answered + " of 16 requests answered in 10 s");
                    }
                }
            };
            for (int i = 0; i < warmRounds; i++)
            {
                round.run();
            }
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < rounds; i++)
            {
                round.run();
            }
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertEquals((warmRounds + rounds) * 16L, ok[0], "every request succeeded");
            // One allocation per request would be >= 16 bytes per request; the JIT may allocate a few bytes once.
            // A file store on io_uring submits and reaps without Netty's allocating loop (ThreadRing).
            assertTrue(allocated < 10_000, "bytes allocated by " + rounds * 16 + " requests: " + allocated);
            rig.back.disconnect();
            assertEquals(0, rig.pair.liveMappings(), "no mapping left after disconnect");
        }
    }

    /**
     * An NBD disk (nbdkit's memory plugin over a Unix socket): nothing allocated per request on the ring's thread
     * (the test thread here) nor, on the event-loop data path, on the client's event loop, where completions then
     * arrive, for requests of 4 to 32 KiB. Netty's leak detector, which samples one buffer in 128 with a stack
     * trace, is off while measuring.
     */
    @ParameterizedTest
    @EnumSource(value = NbdClientConfig.DataPath.class, names = {"RING", "EVENT_LOOP"})
    void nbdRequestPathDoesNotAllocate(final NbdClientConfig.DataPath path, @TempDir final Path dir) throws Exception
    {
        ExternalTools.require("nbdkit", "nbdkit");
        final ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        final BlkFrontConfig fc = BlkFrontConfig.builder().maxIndirectSegments(32).poolPages(400).build();
        try (NbdkitServer server = NbdkitServer.unix(dir, List.of(), List.of("memory", "size=16M"));
            NbdBlockStore store = NbdBlockStore.open(server.uri(), new NbdClientConfig().dataPath(path), null, 512,
                false, false, 256);
            CoreRig rig = new CoreRig(store, BlkBackConfig.defaults(), fc))
        {
            final BlkFrontQueue queue = rig.front.queue(0);
            final BlkRing ring = rig.back.rings().get(0);
            final UnsafeBuffer data = TestData.pattern(128 * 1024, 1);
            final long[] ok = new long[2];
            final BlkCompletionHandler handler = (cookie, op, status) ->
            {
                ok[0]++;
                ok[1] += status == 0 ? 1 : 0;
            };
            final Runnable round = () ->
            {
                final long expected = ok[0] + 16;
                for (int i = 0; i < 16; i++)
                {
                    final int n = 8 << (i & 3);
                    if ((i & 1) == 0)
                    {
                        queue.write(i * 512L, n, data, 0, i);
                    }
                    else
                    {
                        queue.read(i * 512L, n, data, 0, i);
                    }
                }
                queue.push();
                final long deadline = System.nanoTime() + 20_000_000_000L;
                while (ok[0] < expected)
                {
                    ring.doWork();
                    queue.poll(handler);
                    if (System.nanoTime() - deadline > 0)
                    {
                        fail((expected - ok[0]) + " of 16 requests unanswered within 20 s: " + store);
                    }
                }
            };
            for (int i = 0; i < 1500; i++)
            {
                round.run();
            }
            final long[] loops = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("pvring-nbd")).mapToLong(Thread::getId).toArray();
            assertEquals(path == NbdClientConfig.DataPath.EVENT_LOOP, loops.length > 0,
                "an event loop thread named pvring-nbd-* only on the event-loop path");
            final long loopBefore = LongStream.of(threads.getThreadAllocatedBytes(loops)).sum();
            final long passesBefore = ThreadRing.passesOnThisThread();
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 1000; i++)
            {
                round.run();
            }
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            final long passes = ThreadRing.passesOnThisThread() - passesBefore;
            final long loopAllocated = LongStream.of(threads.getThreadAllocatedBytes(loops)).sum() - loopBefore;
            assertEquals(2500 * 16, ok[1], "every request succeeded");
            // One object per request would be >= 16 bytes x 16k = 256k bytes. Not per request: Netty's task queue
            // takes a new chunk now and then for the wake-ups, and its receive path new pooled chunks (measured
            // 0-35k on the ring thread and up to ~160k on the loop on a loaded machine). On the io_uring path the
            // ring thread sends each turn's batch and reaps replies in its own ring, without Netty's allocating
            // loop (ThreadRing's NonAllocatingPass): nothing of pvring's or Netty's is allocated per request.
            assertEquals(0, passes, "passes through Netty's allocating loop");
            assertTrue(allocated < 100_000, "bytes allocated by the ring thread for 16k requests: " + allocated);
            assertTrue(loopAllocated < 200_000, "bytes allocated by the event loop for 16k requests: " +
                loopAllocated);
            rig.back.disconnect();
        }
        finally
        {
            ResourceLeakDetector.setLevel(level);
        }
    }
}
