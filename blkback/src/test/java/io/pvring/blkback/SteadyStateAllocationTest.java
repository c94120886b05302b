package io.pvring.blkback;

import java.lang.management.ManagementFactory;

import io.pvring.blkback.store.MemoryBlockStore;
import io.pvring.blkback.test.TestData;
import io.pvring.blkfront.BlkCompletionHandler;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontQueue;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The request path (blkfront submit, push, blkback doWork, blkfront poll) allocates nothing once warm, with and
 * without persistent grants, on the real grant table (measured per thread by the JVM; both ends stepped here).
 */
class SteadyStateAllocationTest
{
    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    @ParameterizedTest(name = "persistent={0}")
    @ValueSource(booleans = { true, false })
    void requestPathDoesNotAllocate(final boolean persistent)
    {
        final BlkBackConfig bc = new BlkBackConfig().persistentGrants(persistent);
        final BlkFrontConfig fc = new BlkFrontConfig().persistentGrants(persistent).maxIndirectSegments(32)
            .poolPages(400);
        try (CoreRig rig = new CoreRig(new MemoryBlockStore(16 << 20, 512), bc, fc))
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
                ring.doWork();
                queue.poll(handler);
            };
            for (int i = 0; i < 5_000; i++)
            {
                round.run();
            }
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 2_000; i++)
            {
                round.run();
            }
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertEquals(7_000 * 16, ok[0], "every request succeeded");
            // One allocation per request would be >= 16 bytes x 32k; the JIT may allocate a few bytes once.
            assertTrue(allocated < 10_000, "bytes allocated by 32k requests: " + allocated);
            rig.back.disconnect();
            assertEquals(0, rig.pair.liveMappings(), "no mapping left after disconnect");
        }
    }
}
