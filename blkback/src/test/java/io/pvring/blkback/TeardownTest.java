package io.pvring.blkback;

import java.util.concurrent.TimeUnit;

import io.pvring.blkback.store.MemoryBlockStore;
import io.pvring.blkback.store.NullBlockStore;
import io.pvring.blkback.test.TestData;
import io.pvring.blkfront.BlkFront;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.testing.BoundedSpin;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Teardown in any state leaves no thread, mapping or grant behind, and the device can connect again. */
class TeardownTest
{
    private static boolean ringThreadsAlive()
    {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("blkback-7"));
    }

    @Test
    void disconnectIsIdempotentAndWorksBeforeConnect()
    {
        try (TestGuest guest = new TestGuest(64, 128))
        {
            final BlkBack back = new BlkBack("blkback-7-1", new NullBlockStore(1 << 20, 512), BlkBackConfig.defaults(),
                guest.mapper, null);
            back.disconnect();
            back.disconnect();
            assertFalse(back.isConnected());
            back.close();
        }
    }

    @Test
    void badTransportParametersConnectNothing()
    {
        try (TestGuest guest = new TestGuest(64, 128))
        {
            final BlkBack back = new BlkBack("blkback-7-2", new NullBlockStore(1 << 20, 512),
                BlkBackConfig.builder().maxRingPageOrder(1).maxQueues(1).build(), guest.mapper, null);
            final int ref = guest.grants.grantAccess(TestGuest.BACK_DOMID, 3, false);
            assertNull(back.connectRing(0, new int[]{ ref }, 0, "arm-abi", null, true), "unknown protocol");
            assertNull(back.connectRing(0, new int[]{ ref, ref, ref, ref }, 2, null, null, true), "order 2 > max 1");
            assertNull(back.connectRing(1, new int[]{ ref }, 0, null, null, true), "queue 1 > max queues");
            assertNull(back.connectRing(0, new int[]{ 9999 }, 0, null, null, true), "bad ring grant");
            final int second = guest.grants.grantAccess(TestGuest.BACK_DOMID, 10, false);
            assertNull(back.connectRing(0, new int[]{ ref, second }, 1, null, null, true), "pages not contiguous");
            assertEquals(0, guest.mapper.liveMappings(), "a failed ring map leaves nothing mapped");
            assertNotNull(back.connectRing(0, new int[]{ ref }, 0, null, null, true));
            back.close();
            assertEquals(0, guest.mapper.liveMappings());
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void repeatedConnectDisconnectUnderIo()
    {
        final BlkBackConfig bc = BlkBackConfig.defaults();
        final BlkFrontConfig fc = BlkFrontConfig.builder().queues(2).poolPages(64).build();
        final BlkFrontConfig nonPersistent = BlkFrontConfig.builder().queues(2).poolPages(64).persistentGrants(false)
            .build();
        final long frames = BlkFront.framesNeeded(fc);
        try (TestGuest guest = new TestGuest((int)(3 * frames) + 16, (int)(3 * frames) + 64))
        {
            final MemoryBlockStore store = new MemoryBlockStore(4 << 20, 512);
            final BlkBack back = new BlkBack("blkback-7-3", store, bc, guest.mapper, null);
            final int refsBefore = guest.grants.claimedRefs();
            for (int cycle = 0; cycle < 20; cycle++)
            {
                final BlkFrontConfig config = cycle % 4 < 2 ? fc : nonPersistent;
                final BlkFront front = new BlkFront(guest.memory, guest.grants, TestGuest.BACK_DOMID, config,
                    16 + (cycle % 3) * frames, null);
                for (int q = 0; q < 2; q++)
                {
                    assertNotNull(back.connectRing(q, front.queue(q).ringRefs(), 0, null, null,
                        config.persistentGrants()));
                }
                back.start(cycle % 2 + 1, BusySpinIdleStrategy::new);
                final UnsafeBuffer data = TestData.pattern(8192, cycle);
                int completed = 0;
                final int[] ok = new int[1];
                for (int q = 0; q < 2; q++)
                {
                    for (int i = 0; i < 8; i++)
                    {
                        assertTrue(front.queue(q).write((q * 8 + i) * 16L, 16, data, 0, i));
                    }
                    front.queue(q).push();
                }
                // Disconnect with requests still in flight on odd cycles; wait for all answers on even ones.
                for (final BoundedSpin spin = BoundedSpin.upTo(() -> "cycle % 2 == 0 && completed < 16");
                    cycle % 2 == 0 && completed < 16; spin.pause())
                {
                    for (int q = 0; q < 2; q++)
                    {
                        completed += front.queue(q).poll((c, op, status) -> ok[0] += status == BLKIF_RSP_OKAY ? 1 : 0);
                    }
                }
                back.disconnect();
                assertFalse(ringThreadsAlive(), "cycle " + cycle + ": no ring thread left");
                assertEquals(0, guest.mapper.liveMappings(), "cycle " + cycle + ": no mapping left");
                front.close();
                assertEquals(cycle % 2 == 0 ? 16 : ok[0], ok[0]);
            }
            assertEquals(refsBefore, guest.grants.claimedRefs(), "every grant the drivers made was ended");
            back.close();
        }
    }
}
