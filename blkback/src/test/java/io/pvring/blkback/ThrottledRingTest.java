package io.pvring.blkback;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import io.pvring.blkback.qos.ThrottleLimits;
import io.pvring.blkback.store.MemoryBlockStore;
import io.pvring.blkback.test.TestData;
import io.pvring.blkfront.BlkCompletionHandler;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.event.WaitMode;
import io.pvring.runner.AgentWaker;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A device with I/O limits, its ring stepped by hand on logical time (the config's injectable clock): a
 * backlogged frontend gets the completions the leaky bucket predicts, counted, at every step; a refused request is
 * held parsed while the rest stays in the shared ring, and the ring asks its runner to wake it when the budget
 * returns instead of waiting; limits that change apply to the request held.
 */
class ThrottledRingTest
{
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000_000_000L;
    private static final int SLOTS = 32;

    private final AtomicLong now = new AtomicLong();
    private final UnsafeBuffer data = TestData.pattern(4096, 7);

    private Rig rig(final Map<String, String> limits)
    {
        final BlkBackConfig config = BlkBackConfig.builder().waitMode(WaitMode.NOTIFY).nanoClock(now::get)
            .throttle(ThrottleLimits.parse(limits::get, "")).build();
        return new Rig(new MemoryBlockStore(8 << 20, 512), config, BlkFrontConfig.defaults());
    }

    /** Fills the ring with 4 KiB writes (a guest that always has more to do). */
    private static int fill(final BlkFrontQueue queue, final UnsafeBuffer data, final long cookie)
    {
        int queued = 0;
        while (queue.write((cookie + queued) % 1024 * 8, 8, data, 0, cookie + queued))
        {
            queued++;
        }
        return queued;
    }

    /** Runs the backlogged guest from the clock's time to {@code untilNs} in 1 ms steps; checks every step. */
    private long backlogged(final Rig rig, final long untilNs, final long avg, final double bucket, final long done)
    {
        long completed = done;
        for (; now.get() <= untilNs; now.addAndGet(MS))
        {
            fill(rig.q(0), data, completed);
            rig.completions.clear();
            rig.run();
            for (final long[] c : rig.completions)
            {
                assertEquals(BLKIF_RSP_OKAY, c[2], "every throttled write succeeds");
            }
            completed += rig.completions.size();
            // Never more than the bucket and its leak so far allow (+1: the request that fills it still starts).
            final double allowed = avg * (double)now.get() / SECOND + bucket + 1;
            assertTrue(completed <= allowed + 1e-6, completed + " completions at " + now.get() / MS + " ms, the " +
                "limit allows " + allowed);
        }
        now.addAndGet(-MS);
        return completed;
    }

    @Test
    void aLimitedDeviceCompletesWhatTheBucketPredictsAndCountsTheTimeItHeldRequests()
    {
        try (Rig rig = rig(Map.of("iops-total", "100")))
        {
            final BlkRing ring = rig.ring(0);
            fill(rig.q(0), data, 0);
            rig.run();
            assertEquals(11, rig.completions.size(), "a tenth of a second's worth at once, and the one filling it");
            assertTrue(ring.isThrottled(), "the next write is held");
            assertEquals(SLOTS - 12, ring.backRing().unconsumedRequests(),
                "the ring is read no further than the request held");

            final long completed = backlogged(rig, 2 * SECOND, 100, 10, 11);
            // Predicted: the 11 at once, then every operation the bucket leaked in 2 s.
            assertTrue(Math.abs(completed - (11 + 200)) <= 1, "completions in 2 s: " + completed);
            final long held = ring.throttledRequests();
            assertTrue(Math.abs(held - 200) <= 1, "every request after the first 11 waited: " + held);
            // Each waited one operation's leak, 10 ms, measured on the ring's clock from refusal to start.
            assertTrue(Math.abs(ring.throttledNanos() - held * 10 * MS) <= held * MS,
                "throttled time " + ring.throttledNanos() + " ns for " + held + " requests");
        }
    }

    @Test
    void aBurstRunsAtItsRateForItsLengthThenTheAverageHolds()
    {
        try (Rig rig = rig(Map.of("iops-total", "50", "iops-total-max", "200", "iops-total-max-length", "2")))
        {
            final long atOne = backlogged(rig, SECOND, 200, 20, 0);
            // The burst bucket: 200 per second, and a tenth of that at once (+1 filling it).
            assertTrue(Math.abs(atOne - (200 + 20 + 1)) <= 2, "completions in the first second: " + atOne);
            now.addAndGet(MS);
            final long atFour = backlogged(rig, 4 * SECOND, 50, 200 * 2, atOne);
            now.addAndGet(MS);
            final long atSix = backlogged(rig, 6 * SECOND, 50, 200 * 2, atFour);
            assertTrue(Math.abs(atSix - atFour - 100) <= 2, "4 s to 6 s at the average rate: " + (atSix - atFour));
            assertTrue(Math.abs(atSix - (50 * 6 + 400 + 1)) <= 2,
                "after the burst the total is the average's leak plus the burst bucket: " + atSix);
        }
    }

    @Test
    void aThrottledRingAsksItsRunnerToWakeItWhenTheBudgetReturns()
    {
        final long[] within = { -1 };
        final AgentWaker waker = new AgentWaker()
        {
            public void wakeWithin(final long nanos)
            {
                within[0] = nanos;
            }

            public void wake()
            {
            }
        };
        try (Rig rig = rig(Map.of("iops-total", "100")))
        {
            final BlkRing ring = rig.ring(0);
            ring.waker(waker);
            fill(rig.q(0), data, 0);
            rig.run();
            assertTrue(ring.isThrottled());
            now.addAndGet(4 * MS);
            assertFalse(ring.armAndCheck(), "a throttled ring sleeps, requests waiting in its ring or not");
            assertEquals(6 * MS, within[0], "woken when the held write's 10 ms are over, 4 ms of them gone");
            ring.waker(null);
        }
    }

    @Test
    void limitsLiftedWhileARequestIsHeldLetEverythingThrough()
    {
        try (Rig rig = rig(Map.of("bps-write", "4096")))
        {
            final int queued = fill(rig.q(0), data, 0);
            rig.run();
            assertEquals(1, rig.completions.size(), "4 KiB per second: one write, then the bucket is full");
            now.addAndGet(3 * MS);
            rig.back.throttleLimits(ThrottleLimits.NONE);
            rig.completions.clear();
            rig.run();
            assertEquals(queued - 1, rig.completions.size(), "no limit: the held write and all behind it complete");
            assertEquals(1, rig.ring(0).throttledRequests(), "the held write was counted once");
            assertEquals(3 * MS, rig.ring(0).throttledNanos(), "held from its refusal until the limits went");
        }
    }

    @Test
    void holdingAndStartingRequestsAllocatesNothing()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final BlkBackConfig config = BlkBackConfig.builder().nanoClock(now::get)
            .throttle(ThrottleLimits.parse(Map.of("iops-total", "1000")::get, "")).build();
        try (CoreRig rig = new CoreRig(new MemoryBlockStore(8 << 20, 512), config, BlkFrontConfig.defaults()))
        {
            final BlkFrontQueue queue = rig.front.queue(0);
            final BlkRing ring = rig.back.rings().get(0);
            final long[] ok = new long[1];
            final BlkCompletionHandler handler = (cookie, op, status) -> ok[0] += status == BLKIF_RSP_OKAY ? 1 : 0;
            final Runnable round = () ->
            {
                for (int i = 0; i < 16; i++)
                {
                    queue.write(i * 8L, 8, data, 0, i);
                }
                queue.push();
                int answered = 0;
                for (int step = 0; answered < 16; step++)
                {
                    ring.doWork();
                    answered += queue.poll(handler);
                    now.addAndGet(MS); // logical time: the bucket leaks one write per step
                    if (step > 1000)
                    {
                        throw new AssertionError(answered + " of 16 answered in 1000 logical ms");
                    }
                }
            };
            for (int i = 0; i < 2_000; i++)
            {
                round.run();
            }
            final long heldBefore = ring.throttledRequests();
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 1_000; i++)
            {
                round.run();
            }
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertEquals(3_000 * 16L, ok[0], "every write succeeded");
            assertTrue(ring.throttledRequests() - heldBefore > 1_000, "requests were held and started again");
            // One allocation per request would be >= 16 bytes x 16k; the JIT may allocate a few bytes once.
            assertTrue(allocated < 10_000, "bytes allocated by 16000 throttled writes: " + allocated);
            rig.back.disconnect();
        }
    }

    @Test
    void flushesAndReadsFollowTheirOwnBuckets()
    {
        try (Rig rig = rig(Map.of("iops-write", "1")))
        {
            assertTrue(rig.q(0).write(0, 8, data, 0, 1));
            assertTrue(rig.q(0).flush(2));
            assertTrue(rig.q(0).read(0, 8, new UnsafeBuffer(new byte[4096]), 0, 3));
            assertTrue(rig.q(0).write(8, 8, data, 0, 4));
            rig.run();
            assertEquals(3, rig.completions.size(), "the write, the flush (never throttled) and the read (no read " +
                "limit); the second write waits");
            assertTrue(rig.ring(0).isThrottled());
        }
    }
}
