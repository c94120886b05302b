package io.pvring.netback.vif;

import io.pvring.netback.CreditShaper;
import io.pvring.netback.FrontendFeatures;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.test.NetRig;
import io.pvring.netback.test.TestFrames;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

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
    void guestTxStopsWhenCreditRunsOutAndResumesLater()
    {
        try (NetRig rig = new NetRig())
        {
            final NetRig.Guest a = rig.addGuest("a", NetBackConfig.builder().rate(150_000, 100_000).build(),
                FrontendFeatures.LINUX);
            final NetRig.Guest b = rig.addGuest("b", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[1500]);
            TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, 0x88B5);
            for (int i = 0; i < 200; i++)
            {
                assertTrue(a.front.send(frame, 0, 1500, 0, 0, 0));
            }
            a.front.flush();
            rig.pump(100); // a credit-stalled queue reports work (it has no timer): step it a fixed number of times
            assertEquals(100, a.vif.queue(0).counters().txPackets(), "150000 bytes of credit = 100 frames");
            assertTrue(a.vif.queue(0).counters().txCreditStalls() > 0);
            rig.nanos += 100_000_000L;
            rig.pump(100);
            assertEquals(200, a.vif.queue(0).counters().txPackets());
            assertTrue(b.vif.queue(0).counters().rxPackets() + b.vif.queue(0).counters().rxDrops() >= 200);
        }
    }
}
