package io.pvring.netback.vif;

import io.pvring.netback.NetBackConfig;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.test.NetRig;
import io.pvring.netback.test.TestFrames;
import io.pvring.netif.FrontendFeatures;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** netfront consumes responses a budget at a time, from one snapshot of {@code rsp_prod} per pass. */
class NetFrontBudgetTest
{
    private final NetRig rig = new NetRig();
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[1514]);

    @AfterEach
    void close()
    {
        rig.close();
    }

    @Test
    void txResponsesAreReclaimedWithinTheBudget()
    {
        final NetRig.Guest a = rig.addGuest("a", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
        rig.addGuest("b", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
        TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, 0x88B5);
        for (int i = 0; i < 5; i++)
        {
            a.front.send(frame, 0, 100, 0, 0, 0);
        }
        a.front.flush();
        a.vif.doWork();
        assertEquals(2, a.front.reclaimTx(2));
        assertEquals(3, a.front.reclaimTx(10), "the rest, no more than were published");
        assertEquals(0, a.front.reclaimTx(10));
        assertEquals(NetFrontSlots.slots(100), a.front.txFreeSlots());
        assertNull(a.front.brokenReason());
    }

    @Test
    void rxFramesAreReceivedWithinTheLimitAndTheRestWait()
    {
        final NetRig.Guest a = rig.addGuest("a", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
        final NetRig.Guest b = rig.addGuest("b", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
        TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, 0x88B5);
        for (int i = 0; i < 4; i++)
        {
            frame.putInt(14, i);
            a.front.send(frame, 0, i == 3 ? 1514 : 100, 0, 0, 0);
        }
        a.front.flush();
        rig.pump();
        final int[] seen = new int[8];
        final int[] count = new int[1];
        assertEquals(3, b.front.receive((buf, o, l, f, t, s) -> seen[count[0]++] = buf.getInt(o + 14), 3));
        assertEquals(1, b.front.receive((buf, o, l, f, t, s) -> seen[count[0]++] = buf.getInt(o + 14), 3));
        assertEquals(4, count[0]);
        for (int i = 0; i < 4; i++)
        {
            assertEquals(i, seen[i], "in ring order");
        }
        assertEquals(4, b.front.rxPackets());
        assertEquals(0, b.front.rxErrors());
    }
}
