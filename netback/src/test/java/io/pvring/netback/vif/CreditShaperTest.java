package io.pvring.netback.vif;

import io.pvring.event.WaitMode;
import io.pvring.netback.CreditShaper;
import io.pvring.netback.QueueAgent;
import io.pvring.netif.FrontendFeatures;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.test.NetRig;
import io.pvring.netback.test.RecordingWaker;
import io.pvring.runner.AgentHandle;
import io.pvring.netback.test.TestFrames;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CreditShaperTest
{
    @Test
    void creditIsReplenishedPerPeriodAndCappedAtTheBurst()
    {
        final CreditShaper shaper = new CreditShaper(10_000, 1_000); // 10 kB per ms
        assertTrue(shaper.tryConsume(6_000, 0));
        assertTrue(shaper.tryConsume(4_000, 10));
        assertFalse(shaper.tryConsume(1, 20));
        assertEquals(1_000_000 - 20, shaper.nanosUntilCredit(20));
        assertTrue(shaper.tryConsume(10_000, 1_000_000));
        assertFalse(shaper.tryConsume(1, 1_000_001));
        // idle for a second: the credit is capped at max(131072, 10000), not 10 MB
        assertTrue(shaper.tryConsume(131_072, 1_000_000_000L));
        assertFalse(shaper.tryConsume(1, 1_000_000_001L));
        assertTrue(new CreditShaper(0, 0).tryConsume(Long.MAX_VALUE, 0));
    }

    @Test
    void rateIsValidated()
    {
        assertThrows(IllegalArgumentException.class, () -> NetBackConfig.builder().rate("10").build());
        assertThrows(IllegalArgumentException.class, () -> NetBackConfig.builder().rate(10, 0).build());
        assertEquals(50_000, NetBackConfig.builder().rate("1000,50000").build().creditUsec());
    }

    @Test
    void guestTxStopsWhenCreditRunsOutAndResumesLater() throws Exception
    {
        try (NetRig rig = new NetRig())
        {
            final NetRig.Guest a = rig.addGuest("a", NetBackConfig.builder().rate(150_000, 100_000).build(),
                FrontendFeatures.LINUX);
            final NetRig.Guest b = rig.addGuest("b", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
            final RecordingWaker timer = new RecordingWaker();
            final QueueAgent agent = a.vif.agent(0);
            agent.waker(timer);
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[1500]);
            TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, 0x88B5);
            for (int i = 0; i < 200; i++)
            {
                assertTrue(a.front.send(frame, 0, 1500, 0, 0, 0));
            }
            a.front.flush();
            assertEquals(Long.MAX_VALUE, a.vif.nanosUntilWork(), "nothing held back before the first duty cycle");
            rig.pump(); // settles: a credit-stalled queue reports no work, so the runner may sleep
            assertEquals(100, a.vif.queue(0).counters().txPackets(), "150000 bytes of credit = 100 frames");
            assertTrue(a.vif.queue(0).counters().txCreditStalls() > 0);
            assertEquals(100_000_000L, a.vif.nanosUntilWork(), "the next top-up is one period after the first");

            rig.nanos += 40_000_000L;
            timer.reset();
            assertEquals(0, agent.doWork(), "still throttled: no work");
            assertFalse(agent.armAndCheck(), "a throttled TX ring does not keep the queue awake");
            assertEquals(60_000_000L, timer.within, "the queue asks its runner to wake it at the top-up");
            assertEquals(100, a.vif.queue(0).counters().txPackets());

            rig.nanos += 60_000_000L;
            timer.reset();
            assertTrue(agent.doWork() > 0, "credit topped up: the held requests move");
            rig.pump();
            assertEquals(200, a.vif.queue(0).counters().txPackets());
            assertEquals(Long.MAX_VALUE, a.vif.nanosUntilWork(), "nothing waits for credit any more");
            assertEquals(0, agent.doWork());
            assertFalse(agent.armAndCheck());
            assertEquals(-1, timer.within, "no timer when nothing waits for credit");
            assertTrue(b.vif.queue(0).counters().rxPackets() + b.vif.queue(0).counters().rxDrops() >= 200);
        }
    }

    @ParameterizedTest
    @EnumSource(value = WaitMode.class, names = {"NOTIFY", "ADAPTIVE"})
    @Timeout(60)
    void aSleepingQueueWakesForTheTopUp(final WaitMode mode)
    {
        // real threads and the real clock: the runner lets the throttled queue sleep and still moves the second
        // burst once the (10 ms) period tops the credit up, with no event from the frontend
        try (NetRig rig = new NetRig())
        {
            final NetRig.Guest a = rig.addGuest("a", NetBackConfig.builder().rate(15_000, 10_000).build(),
                FrontendFeatures.LINUX);
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[1500]);
            TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, 0x88B5);
            for (int i = 0; i < 20; i++)
            {
                assertTrue(a.front.send(frame, 0, 1500, 0, 0, 0));
            }
            rig.runOn(1, mode);
            a.front.flush();
            final long deadline = System.nanoTime() + 30_000_000_000L;
            while (a.vif.queue(0).counters().txPackets() < 20 && System.nanoTime() < deadline)
            {
                Thread.yield();
            }
            final AgentHandle handle = a.vif.agent(0).handle();
            assertEquals(20, a.vif.queue(0).counters().txPackets(), "the throttled burst completed: " + handle);
            assertTrue(a.vif.queue(0).counters().txCreditStalls() > 0, "it was throttled");
            assertTrue(handle.sleeps() > 0, "the queue slept while throttled: " + handle);
            assertTrue(rig.agentErrors.isEmpty(), "no agent error: " + rig.agentErrors);
        }
    }
}
