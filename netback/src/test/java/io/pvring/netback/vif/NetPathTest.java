package io.pvring.netback.vif;

import java.util.ArrayList;
import java.util.List;

import io.pvring.netif.FrontendFeatures;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.packet.Offloads;
import io.pvring.netback.packet.PacketInfo;
import io.pvring.netback.test.NetRig;
import io.pvring.netback.test.TestFrames;
import io.pvring.netif.Netif;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** netfront -> netback -> switch -> netback -> netfront, stepped by hand. */
class NetPathTest
{
    private final NetRig rig = new NetRig();
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[70000]);

    /** What a frontend received. */
    static final class Received
    {
        final List<byte[]> frames = new ArrayList<>();
        final List<int[]> meta = new ArrayList<>();

        void add(final org.agrona.DirectBuffer b, final int o, final int l, final int f, final int t, final int s)
        {
            final byte[] copy = new byte[l];
            b.getBytes(o, copy);
            frames.add(copy);
            meta.add(new int[]{f, t, s});
        }
    }

    @AfterEach
    void close()
    {
        rig.close();
    }

    private byte[] bytes(final int length)
    {
        final byte[] b = new byte[length];
        frame.getBytes(0, b);
        return b;
    }

    @ParameterizedTest
    @ValueSource(ints = {60, 1514, 4096, 4097, 9014, 65535})
    void framesOfEverySizeCrossTheSwitch(final int length)
    {
        final NetRig.Guest a = rig.addGuest("a", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
        final NetRig.Guest b = rig.addGuest("b", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
        TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, 0x88B5);
        TestFrames.fillPayload(frame, 14, length - 14, length);
        assertTrue(a.front.send(frame, 0, length, 0, 0, 0));
        a.front.flush();
        rig.pump();
        final Received got = new Received();
        assertEquals(1, b.front.receive(got::add, 10));
        assertArrayEquals(bytes(length), got.frames.get(0));
        assertEquals(1, a.vif.queue(0).counters().txPackets());
        assertEquals(1, b.vif.queue(0).counters().rxPackets());
        assertEquals(length, b.vif.queue(0).counters().rxBytes());
        assertEquals(0, a.front.txErrors());
        assertEquals(NetFrontSlots.slots(length), a.front.txFreeSlots(), "every TX slot answered and reclaimed");
        assertTrue(a.fatal.isEmpty());
    }

    @Test
    void zeroCopySendBuildsTheFrameInTheTxPage()
    {
        final NetRig.Guest a = rig.addGuest("a", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
        final NetRig.Guest b = rig.addGuest("b", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
        final org.agrona.MutableDirectBuffer page = a.front.claimSend();
        TestFrames.ethernet(page, Ethernet.BROADCAST, TestFrames.MAC_A, 0x88B5);
        TestFrames.fillPayload(page, 14, 1000, 9);
        a.front.commitSend(1014, 0);
        a.front.flush();
        rig.pump();
        final Received got = new Received();
        assertEquals(1, b.front.receive(got::add, 10));
        final byte[] expected = new byte[1014];
        page.getBytes(0, expected);
        assertArrayEquals(expected, got.frames.get(0));
    }

    @Test
    void manyFramesBothWaysWithRingWrap()
    {
        final NetRig.Guest a = rig.addGuest("a", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
        final NetRig.Guest b = rig.addGuest("b", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
        final Received atB = new Received();
        final Received atA = new Received();
        for (int i = 0; i < 3000; i++)
        {
            final int length = 60 + (i * 37) % 1454;
            TestFrames.ethernet(frame, i % 2 == 0 ? TestFrames.MAC_B : TestFrames.MAC_A,
                i % 2 == 0 ? TestFrames.MAC_A : TestFrames.MAC_B, 0x88B5);
            frame.putInt(14, i);
            final NetRig.Guest from = i % 2 == 0 ? a : b;
            while (!from.front.send(frame, 0, length, 0, 0, 0))
            {
                from.front.flush();
                rig.pump();
                a.front.receive(atA::add, 1000);
                b.front.receive(atB::add, 1000);
            }
            if (i % 7 == 0)
            {
                from.front.flush();
                rig.pump();
                a.front.receive(atA::add, 1000);
                b.front.receive(atB::add, 1000);
            }
        }
        a.front.flush();
        b.front.flush();
        rig.pump();
        a.front.receive(atA::add, 1000);
        b.front.receive(atB::add, 1000);
        assertEquals(1500, atB.frames.size());
        assertEquals(1500, atA.frames.size());
        for (int i = 0; i < 1500; i++)
        {
            assertEquals(2 * i, new UnsafeBuffer(atB.frames.get(i)).getInt(14), "order to b");
            assertEquals(2 * i + 1, new UnsafeBuffer(atA.frames.get(i)).getInt(14), "order to a");
        }
        assertEquals(0, a.vif.queue(0).counters().rxDrops() + b.vif.queue(0).counters().rxDrops());
    }

    @Test
    void gsoPassesToAGsoGuestAndIsSegmentedForAMinimalGuest()
    {
        final NetRig.Guest a = rig.addGuest("a", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
        final NetRig.Guest b = rig.addGuest("b", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
        final NetRig.Guest c = rig.addGuest("c", NetBackConfig.builder().build(), FrontendFeatures.MINIMAL);
        final int length = TestFrames.tcp(frame, false, 30000, 0x18);
        TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, Ethernet.TYPE_IPV4);
        assertTrue(a.front.send(frame, 0, length, Netif.NETTXF_CSUM_BLANK, Netif.XEN_NETIF_GSO_TYPE_TCPV4, 1448));
        a.front.flush();
        rig.pump();
        final Received atB = new Received();
        final Received atC = new Received();
        assertEquals(1, b.front.receive(atB::add, 100));
        assertEquals(length, atB.frames.get(0).length);
        assertEquals(Netif.XEN_NETIF_GSO_TYPE_TCPV4, atB.meta.get(0)[1]);
        assertEquals(1448, atB.meta.get(0)[2]);
        assertEquals(Netif.NETRXF_CSUM_BLANK | Netif.NETRXF_DATA_VALIDATED,
            atB.meta.get(0)[0] & (Netif.NETRXF_CSUM_BLANK | Netif.NETRXF_DATA_VALIDATED));
        int segments = 0;
        while (c.front.receive(atC::add, 100) > 0 || segments < 21)
        {
            rig.pump();
            segments++;
            if (segments > 100)
            {
                break;
            }
        }
        assertEquals(21, atC.frames.size());
        final PacketInfo info = new PacketInfo();
        for (final byte[] s : atC.frames)
        {
            final UnsafeBuffer v = new UnsafeBuffer(s);
            assertTrue(info.parse(v, 0, s.length));
            assertTrue(Offloads.verifyChecksum(v, info));
        }
    }

    @Test
    void blankChecksumIsCompletedForAGuestWithoutOffload()
    {
        final NetRig.Guest a = rig.addGuest("a", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
        final NetRig.Guest c = rig.addGuest("c", NetBackConfig.builder().build(), FrontendFeatures.MINIMAL);
        final int length = TestFrames.udp(frame, true, 700);
        TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, Ethernet.TYPE_IPV6);
        assertTrue(a.front.send(frame, 0, length, Netif.NETTXF_CSUM_BLANK, 0, 0));
        a.front.flush();
        rig.pump();
        final Received atC = new Received();
        assertEquals(1, c.front.receive(atC::add, 10));
        final UnsafeBuffer v = new UnsafeBuffer(atC.frames.get(0));
        final PacketInfo info = new PacketInfo();
        assertTrue(info.parse(v, 0, length));
        assertTrue(Offloads.verifyChecksum(v, info));
        assertEquals(Netif.NETRXF_DATA_VALIDATED, atC.meta.get(0)[0]);
    }

    @Test
    void multicastControlFiltersGroupsTheGuestDidNotJoin()
    {
        final FrontendFeatures filtering = new FrontendFeatures(true, true, true, true, true, true, true);
        final NetRig.Guest a = rig.addGuest("a", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
        final NetRig.Guest b = rig.addGuest("b", NetBackConfig.builder().build(), filtering);
        final long group = 0x0100_5E00_0001L;
        final Received atB = new Received();
        TestFrames.ethernet(frame, group, TestFrames.MAC_A, 0x88B5);
        assertTrue(a.front.send(frame, 0, 60, 0, 0, 0));
        a.front.flush();
        rig.pump();
        assertEquals(0, b.front.receive(atB::add, 10), "not joined: filtered");
        assertTrue(b.front.multicast(true, group));
        b.front.flush();
        rig.pump();
        assertEquals(0, b.front.txErrors());
        assertEquals(NetFrontSlots.slots(0), b.front.txFreeSlots());
        assertTrue(a.front.send(frame, 0, 60, 0, 0, 0));
        TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, 0x88B5);
        assertTrue(a.front.send(frame, 0, 60, 0, 0, 0));
        a.front.flush();
        rig.pump();
        assertEquals(2, b.front.receive(atB::add, 10), "joined group and broadcast");
        assertTrue(b.front.multicast(false, group));
        b.front.flush();
        rig.pump();
        TestFrames.ethernet(frame, group, TestFrames.MAC_A, 0x88B5);
        assertTrue(a.front.send(frame, 0, 60, 0, 0, 0));
        a.front.flush();
        rig.pump();
        assertEquals(0, b.front.receive(atB::add, 10), "left the group");
        assertEquals(0, b.vif.queue(0).counters().txErrors());
    }

    @Test
    void backlogIsCappedWhenTheGuestPostsNoBuffers()
    {
        final NetRig.Guest a = rig.addGuest("a", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
        final NetRig.Guest b = rig.addGuest("b", NetBackConfig.builder().rxBacklogBytes(256 << 10).build(),
            FrontendFeatures.LINUX);
        TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, 0x88B5);
        for (int i = 0; i < 2000; i++)
        {
            while (!a.front.send(frame, 0, 1514, 0, 0, 0))
            {
                a.front.flush();
                rig.pump();
            }
        }
        a.front.flush();
        rig.pump();
        // b never called receive: 256 frames fill its ring, at most 256 KiB wait, the rest are counted drops
        final long drops = b.vif.queue(0).counters().rxDrops();
        assertEquals(256, b.vif.queue(0).counters().rxPackets());
        assertTrue(b.vif.queue(0).rxBacklogBytes() <= 256 << 10);
        assertTrue(drops > 1500, "drops=" + drops);
        assertEquals(2000, a.vif.queue(0).counters().txPackets());
        assertFalse(b.vif.isDisabled());
        final Received atB = new Received();
        assertEquals(256, b.front.receive(atB::add, 1000));
        rig.pump();
        assertTrue(b.front.receive(atB::add, 1000) > 100, "backlog drains once buffers are posted again");
    }

    @Test
    void framesForwardedOnTheReceiversThreadSkipTheBacklogButNeverOvertakeIt()
    {
        final NetRig.Guest a = rig.addGuest("a", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
        final NetRig.Guest b = rig.addGuest("b", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
        TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, 0x88B5);
        // 300 frames for a 256-slot RX ring: 44 wait in b's backlog
        int sent = 0;
        for (; sent < 300; sent++)
        {
            frame.putInt(14, sent);
            while (!a.front.send(frame, 0, 1514, 0, 0, 0))
            {
                a.front.flush();
                rig.pump();
            }
        }
        a.front.flush();
        rig.pump();
        assertTrue(b.vif.queue(0).rxBacklogBytes() > 0, "b's ring is full: frames wait");
        final List<Integer> order = new ArrayList<>();
        final Received atB = new Received();
        assertEquals(256, b.front.receive(atB::add, 1000)); // posts the buffers again
        // sent now, with frames still in the backlog: they must queue behind them
        for (int i = 0; i < 10; i++, sent++)
        {
            frame.putInt(14, sent);
            assertTrue(a.front.send(frame, 0, 1514, 0, 0, 0));
        }
        a.front.flush();
        rig.pump();
        while (b.front.receive(atB::add, 1000) > 0)
        {
            rig.pump();
        }
        assertEquals(0, b.vif.queue(0).rxBacklogBytes());
        // b's buffers are posted and its backlog is empty: a's TX on this thread places the frame straight into them
        b.vif.doWork();
        frame.putInt(14, sent++);
        assertTrue(a.front.send(frame, 0, 1514, 0, 0, 0));
        a.front.flush();
        final long placedBefore = b.vif.queue(0).counters().rxPackets();
        a.vif.doWork();
        assertEquals(placedBefore + 1, b.vif.queue(0).counters().rxPackets(), "placed without the backlog");
        assertEquals(0, b.vif.queue(0).rxBacklogBytes());
        assertEquals(0, b.front.receive(atB::add, 1000), "responses are pushed by b's own duty cycle");
        b.vif.doWork();
        assertEquals(1, b.front.receive(atB::add, 1000));
        for (final byte[] got : atB.frames)
        {
            order.add(new UnsafeBuffer(got).getInt(14));
        }
        assertEquals(sent, order.size());
        for (int i = 0; i < sent; i++)
        {
            assertEquals(i, order.get(i), "frame " + i + " in order");
        }
        assertArrayEquals(bytes(1514), atB.frames.get(sent - 1));
        assertFalse(b.vif.isDisabled());
    }
}
