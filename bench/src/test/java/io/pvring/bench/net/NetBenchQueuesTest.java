package io.pvring.bench.net;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.pvring.bench.run.BenchRecord;
import io.pvring.bench.run.Progress;
import io.pvring.event.WaitMode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code pvring bench net --queues N} runs one backend and one guest thread per queue, each queue's frames stay on
 * that queue, and what each queue sends arrives exactly once. Runs of a fraction of a second; the counters are
 * compared once the run stopped and what was in flight has been drained on the test's thread.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NetBenchQueuesTest
{
    private static final long DURATION_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    @ParameterizedTest(name = "wait {0}")
    @ValueSource(strings = {"notify", "poll", "adaptive"})
    void twoQueuesRunOneBackendAndOneGuestThreadEachAndLoseNothing(final String wait)
    {
        final NetProbe probe = new NetProbe(null);
        final BenchRecord record = NetBench.run(config(64, 2, WaitMode.parse(wait), 0), DURATION_NANOS,
            Progress.silent(), probe);

        assertEquals(List.of("netback-q0", "netback-q1", "netfront-q0", "netfront-q1"), names(probe));
        assertAllStopped(probe);
        assertEquals(2, record.params().get("queues"));
        assertTrue(record.ops() > 0, record.toString());
        for (int q = 0; q < 2; q++)
        {
            assertTrue(probe.atStop.txPackets[q] > probe.base.txPackets[q], "A's netback sent on queue " + q);
            assertTrue(probe.atStop.received[q] > 0, "B's guest thread received on queue " + q);
        }
        assertExactlyOnce(probe, 2);
    }

    @Test
    void oneQueueKeepsOneBackendAndOneGuestThread()
    {
        final NetProbe probe = new NetProbe(null);
        final BenchRecord record = NetBench.run(config(1500, 1, WaitMode.NOTIFY, 0), DURATION_NANOS, Progress.silent(),
            probe);

        assertEquals(List.of("netback-q0", "netfront-q0"), names(probe));
        assertAllStopped(probe);
        assertEquals(1, record.params().get("queues"));
        assertTrue(record.ops() > 0, record.toString());
        assertExactlyOnce(probe, 1);
    }

    @Test
    void fourQueuesWithGsoSuperFramesEachKeepTheirFlow()
    {
        final NetProbe probe = new NetProbe(null);
        NetBench.run(new NetBenchConfig(20000, 4, true, true, true, WaitMode.NOTIFY, 0), DURATION_NANOS,
            Progress.silent(),
            probe);

        assertEquals(List.of("netback-q0", "netback-q1", "netback-q2", "netback-q3", "netfront-q0", "netfront-q1",
            "netfront-q2", "netfront-q3"), names(probe));
        for (int q = 0; q < 4; q++)
        {
            assertTrue(probe.atStop.received[q] > 0, "B received on queue " + q);
        }
        assertExactlyOnce(probe, 4);
    }

    @Test
    void anOfferedRateIsSharedOutOverTheQueues()
    {
        final NetProbe probe = new NetProbe(null);
        final BenchRecord record = NetBench.run(config(64, 2, WaitMode.NOTIFY, 20_000), DURATION_NANOS,
            Progress.silent(),
            probe);

        // Each queue's sender keeps its share of the schedule, so the two never send before the rate's time
        // whatever the machine's speed; a ring of frames per queue may be in flight as the measurement starts.
        assertTrue(record.ops() <= Math.floor(20_000 * record.durationSec()) + 2 + 2 * 256,
            "two queues offer the rate between them: " + record);
        for (int q = 0; q < 2; q++)
        {
            assertTrue(probe.atStop.received[q] > 0, "B received on queue " + q);
        }
        assertExactlyOnce(probe, 2);
    }

    @ParameterizedTest(name = "{0} fails")
    @ValueSource(strings = {"netfront-q1", "netback-q1", "netback-q0"})
    void aFailureInAnyThreadStopsEveryThreadAndTheRunReportsIt(final String failing)
    {
        final NetProbe probe = new NetProbe(failing);
        final IllegalStateException error = assertThrows(IllegalStateException.class,
            () -> NetBench.run(config(64, 2, WaitMode.NOTIFY, 0), TimeUnit.SECONDS.toNanos(30), Progress.silent(),
                probe));

        assertTrue(error.getMessage().contains("probe failure in " + failing), error.getMessage());
        assertEquals(4, probe.threads.size(), names(probe).toString());
        assertAllStopped(probe);
    }

    private static NetBenchConfig config(final int frame, final int queues, final WaitMode wait, final long rate)
    {
        return new NetBenchConfig(frame, queues, true, false, true, wait, rate);
    }

    private static List<String> names(final NetProbe probe)
    {
        final List<String> names = new ArrayList<>();
        for (final Thread thread : probe.threads)
        {
            names.add(thread.getName());
        }
        names.sort(null);
        return names;
    }

    private static void assertAllStopped(final NetProbe probe)
    {
        for (final Thread thread : probe.threads)
        {
            assertFalse(thread.isAlive(), thread.getName() + " still runs after the run returned");
        }
    }

    /** Per queue, after the drain: every frame A's guest thread sent crossed both netbacks and arrived once. */
    private static void assertExactlyOnce(final NetProbe probe, final int queues)
    {
        for (int q = 0; q < queues; q++)
        {
            final long sent = probe.drained.sent[q];
            assertTrue(sent > 0, "queue " + q + " sent");
            assertEquals(sent, probe.drained.received[q], "queue " + q + ": sent by A = received by B");
            assertEquals(sent, probe.drained.txPackets[q] - probe.base.txPackets[q],
                "queue " + q + ": sent by A = A's netback TX on that queue");
            assertEquals(sent, probe.drained.rxPackets[q] - probe.base.rxPackets[q],
                "queue " + q + ": sent by A = B's netback RX on that queue");
            assertEquals(probe.base.rxDrops[q], probe.drained.rxDrops[q], "queue " + q + ": no drops");
        }
    }
}
