package io.pvring.netback.vif;

import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

import io.pvring.event.WaitMode;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.test.NetRig;
import io.pvring.netback.test.TestFrames;
import io.pvring.netfront.FrameHandler;
import io.pvring.netif.FrontendFeatures;
import io.pvring.runner.RunnerPool;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No lost wake-up for net queues that sleep: many short bursts both ways (A's TX becomes B's RX, then back), each
 * after a random gap that lands sometimes inside the adaptive polling window, sometimes after the queues armed their
 * rings and slept. Every frame must arrive; a lost wake-up shows as a burst that never does, within its own bound.
 * On one runner the frames take the direct placement path (the sender's runner places them and must wake the
 * sleeping receiver); on two, the RX backlog filled from the other runner wakes the receiver through its waker.
 */
class AdaptiveWakeupStressTest
{
    private static final int BURSTS = 1_500;
    private static final long WAIT_NANOS = 10_000_000_000L;
    private static final FrameHandler IGNORE = (buf, o, l, f, t, s) ->
    {
    };

    @ParameterizedTest(name = "{0} on {1} runner(s)")
    @CsvSource({"ADAPTIVE, 1", "ADAPTIVE, 2", "NOTIFY, 2"})
    @Timeout(120)
    void everyFrameOfRandomlySpacedBurstsArrives(final WaitMode mode, final int runners)
    {
        try (NetRig rig = new NetRig())
        {
            final NetRig.Guest a = rig.addGuest("a", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
            final NetRig.Guest b = rig.addGuest("b", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
            final RunnerPool pool = rig.runOn(runners, mode);
            final UnsafeBuffer fromA = new UnsafeBuffer(new byte[128]);
            final UnsafeBuffer fromB = new UnsafeBuffer(new byte[128]);
            final int length = TestFrames.udp(fromA, false, 64);
            TestFrames.udp(fromB, false, 64);
            TestFrames.ethernet(fromA, Ethernet.BROADCAST, TestFrames.MAC_A, Ethernet.TYPE_IPV4);
            TestFrames.ethernet(fromB, Ethernet.BROADCAST, TestFrames.MAC_B, Ethernet.TYPE_IPV4);
            final SplittableRandom random = new SplittableRandom(0x5EED);
            long toB = 0;
            long toA = 0;
            for (int burst = 0; burst < BURSTS; burst++)
            {
                gap(random);
                toB += send(a, fromA, length, 1 + random.nextInt(8));
                toB = awaitReceived(b, toB, burst, "A to B", pool);
                gap(random);
                toA += send(b, fromB, length, 1 + random.nextInt(8));
                toA = awaitReceived(a, toA, burst, "B to A", pool);
            }
            assertEquals(0, b.vif.queue(0).counters().rxDrops() + a.vif.queue(0).counters().rxDrops(), "no drops");
            assertTrue(rig.agentErrors.isEmpty(), "no agent error: " + rig.agentErrors);
            assertTrue(a.vif.agent(0).handle().sleeps() > 0 && b.vif.agent(0).handle().sleeps() > 0,
                "the queues slept between bursts: " + a.vif.agent(0).handle() + " " + b.vif.agent(0).handle());
        }
    }

    /** Up to ~0.4 ms: about a third land inside the default 128 us window, the rest after the queues slept. */
    private static void gap(final SplittableRandom random)
    {
        final int kind = random.nextInt(3);
        if (kind == 0)
        {
            return;
        }
        LockSupport.parkNanos(kind == 1 ? random.nextInt(100_000) : 100_000 + random.nextInt(300_000));
    }

    private static int send(final NetRig.Guest from, final UnsafeBuffer frame, final int length, final int frames)
    {
        from.front.reclaimTx();
        for (int i = 0; i < frames; i++)
        {
            assertTrue(from.front.send(frame, 0, length, 0, 0, 0), "TX ring has room");
        }
        from.front.flush();
        return frames;
    }

    /** Receives the {@code expected} frames in flight to {@code to}; returns 0 (nothing left in flight). */
    private static long awaitReceived(
        final NetRig.Guest to, final long expected, final int burst, final String direction, final RunnerPool pool)
    {
        long got = 0;
        final long deadline = System.nanoTime() + WAIT_NANOS;
        while (got < expected)
        {
            final int frames = to.front.receive(IGNORE, 64);
            if (frames > 0)
            {
                to.front.flush();
                got += frames;
            }
            else if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("burst " + burst + " " + direction + ": " + got + " of " + expected
                    + " frames after 10 s (a lost wake-up?) " + to.vif.agent(0).handle() + " "
                    + to.vif.queue(0).counters() + " " + pool);
            }
            else
            {
                Thread.onSpinWait();
            }
        }
        assertEquals(expected, got, "burst " + burst + " " + direction + ": no frame twice");
        return 0;
    }
}
