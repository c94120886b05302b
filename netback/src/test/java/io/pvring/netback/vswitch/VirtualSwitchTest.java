package io.pvring.netback.vswitch;

import java.util.ArrayList;
import java.util.List;

import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.packet.Offloads;
import io.pvring.netback.packet.PacketInfo;
import io.pvring.netback.test.TestFrames;
import io.pvring.netif.Netif;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VirtualSwitchTest
{
    private static final long MAC_C = 0x02_00_00_00_00_0CL;

    private long now = 1_000;
    private final VirtualSwitch vswitch = new VirtualSwitch(64, 1_000_000, () -> now);
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[70000]);

    /** A sink that records what it got. */
    static final class Recorder implements PortSink
    {
        final List<byte[]> frames = new ArrayList<>();
        final List<int[]> meta = new ArrayList<>();
        boolean accept = true;

        @Override
        public boolean deliver(
            final DirectBuffer buffer, final int offset, final int length, final int flags, final int gsoType,
            final int gsoSize)
        {
            if (!accept)
            {
                return false;
            }
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            frames.add(copy);
            meta.add(new int[]{flags, gsoType, gsoSize});
            return true;
        }
    }

    private int ethernetFrame(final long dst, final long src)
    {
        TestFrames.ethernet(frame, dst, src, 0x88B5);
        frame.setMemory(14, 46, (byte)1);
        return 60;
    }

    @Test
    void learnsFloodsUnknownAndForwardsKnownUnicast()
    {
        final Recorder a = new Recorder();
        final Recorder b = new Recorder();
        final Recorder c = new Recorder();
        final SwitchPort pa = vswitch.attach("a", a, Offload.CAP_ALL);
        final SwitchPort pb = vswitch.attach("b", b, Offload.CAP_ALL);
        vswitch.attach("c", c, Offload.CAP_ALL);

        assertEquals(2, pa.transmit(frame, 0, ethernetFrame(TestFrames.MAC_B, TestFrames.MAC_A), 0, 0, 0));
        assertEquals(0, a.frames.size());
        assertEquals(1, b.frames.size());
        assertEquals(1, c.frames.size(), "unknown unicast is flooded");
        assertEquals(pa.id(), vswitch.lookup(TestFrames.MAC_A));

        assertEquals(1, pb.transmit(frame, 0, ethernetFrame(TestFrames.MAC_A, TestFrames.MAC_B), 0, 0, 0));
        assertEquals(1, a.frames.size());
        assertEquals(1, c.frames.size(), "known unicast reaches only its port");

        assertEquals(1, pa.transmit(frame, 0, ethernetFrame(TestFrames.MAC_B, TestFrames.MAC_A), 0, 0, 0));
        assertEquals(2, b.frames.size());
        assertEquals(1, c.frames.size());

        assertEquals(2, pb.transmit(frame, 0, ethernetFrame(Ethernet.BROADCAST, TestFrames.MAC_B), 0, 0, 0));
        assertEquals(2, pb.transmit(frame, 0, ethernetFrame(0x0100_5E00_0001L, TestFrames.MAC_B), 0, 0, 0));
        assertEquals(3, a.frames.size());
        assertEquals(3, c.frames.size());

        assertEquals(2, pa.counters().inPackets());
        assertEquals(120, pa.counters().inBytes());
        assertEquals(3, pa.counters().outPackets());
        assertEquals(2, pb.counters().floods());
        assertEquals(1, pa.counters().floods());
    }

    @Test
    void framesForTheIngressPortAreFilteredAndMulticastSourcesNotLearnt()
    {
        final Recorder a = new Recorder();
        final Recorder b = new Recorder();
        final SwitchPort pa = vswitch.attach("a", a, Offload.CAP_ALL);
        vswitch.attach("b", b, Offload.CAP_ALL);
        pa.transmit(frame, 0, ethernetFrame(Ethernet.BROADCAST, TestFrames.MAC_A), 0, 0, 0);
        assertEquals(0, pa.transmit(frame, 0, ethernetFrame(TestFrames.MAC_A, MAC_C), 0, 0, 0));
        assertEquals(1, b.frames.size());
        pa.transmit(frame, 0, ethernetFrame(TestFrames.MAC_B, Ethernet.BROADCAST), 0, 0, 0);
        assertEquals(-1, vswitch.lookup(Ethernet.BROADCAST));
    }

    @Test
    void entriesAgeOutAndStationsMove()
    {
        final Recorder a = new Recorder();
        final Recorder b = new Recorder();
        final Recorder c = new Recorder();
        final SwitchPort pa = vswitch.attach("a", a, Offload.CAP_ALL);
        final SwitchPort pb = vswitch.attach("b", b, Offload.CAP_ALL);
        vswitch.attach("c", c, Offload.CAP_ALL);
        pa.transmit(frame, 0, ethernetFrame(Ethernet.BROADCAST, TestFrames.MAC_A), 0, 0, 0);
        now += 999_999;
        assertEquals(pa.id(), vswitch.lookup(TestFrames.MAC_A));
        now += 2;
        assertEquals(-1, vswitch.lookup(TestFrames.MAC_A));
        assertEquals(0, vswitch.macTableSize());
        assertEquals(2, pb.transmit(frame, 0, ethernetFrame(TestFrames.MAC_A, TestFrames.MAC_B), 0, 0, 0));

        pa.transmit(frame, 0, ethernetFrame(Ethernet.BROADCAST, TestFrames.MAC_A), 0, 0, 0);
        pb.transmit(frame, 0, ethernetFrame(Ethernet.BROADCAST, TestFrames.MAC_A), 0, 0, 0);
        assertEquals(pb.id(), vswitch.lookup(TestFrames.MAC_A), "the station moved to b");
    }

    @Test
    void detachedPortReceivesNothingAndIsForgotten()
    {
        final Recorder a = new Recorder();
        final Recorder b = new Recorder();
        final SwitchPort pa = vswitch.attach("a", a, Offload.CAP_ALL);
        final SwitchPort pb = vswitch.attach("b", b, Offload.CAP_ALL);
        pb.transmit(frame, 0, ethernetFrame(Ethernet.BROADCAST, TestFrames.MAC_B), 0, 0, 0);
        pb.detach();
        pb.detach();
        assertFalse(pb.isAttached());
        assertEquals(-1, vswitch.lookup(TestFrames.MAC_B));
        assertEquals(0, pa.transmit(frame, 0, ethernetFrame(TestFrames.MAC_B, TestFrames.MAC_A), 0, 0, 0));
        assertEquals(0, b.frames.size());
        assertEquals(0, pb.transmit(frame, 0, ethernetFrame(TestFrames.MAC_A, TestFrames.MAC_B), 0, 0, 0));
        assertEquals(1, vswitch.ports().length);
    }

    @Test
    void refusedDeliveryAndBadIngressAreCounted()
    {
        final Recorder a = new Recorder();
        final Recorder b = new Recorder();
        b.accept = false;
        final SwitchPort pa = vswitch.attach("a", a, Offload.CAP_ALL);
        final SwitchPort pb = vswitch.attach("b", b, Offload.CAP_ALL);
        assertEquals(0, pa.transmit(frame, 0, ethernetFrame(Ethernet.BROADCAST, TestFrames.MAC_A), 0, 0, 0));
        assertEquals(1, pb.counters().outDrops());
        assertEquals(0, pa.transmit(frame, 0, 13, 0, 0, 0));
        assertEquals(0, pa.transmit(frame, 0, 60, 0, Netif.XEN_NETIF_GSO_TYPE_TCPV4, 0));
        assertEquals(0, pa.transmit(frame, 0, VirtualSwitch.MAX_FRAME_LENGTH + 1, 0, 0, 0));
        assertEquals(3, pa.counters().inDrops());
    }

    @Test
    void macTableFloodEvictsButNeverGrows()
    {
        final Recorder a = new Recorder();
        final SwitchPort pa = vswitch.attach("a", a, Offload.CAP_ALL);
        vswitch.attach("b", new Recorder(), Offload.CAP_ALL);
        for (int i = 0; i < 10_000; i++)
        {
            now++;
            pa.transmit(frame, 0, ethernetFrame(Ethernet.BROADCAST, 0x0200_0000_0000L + i), 0, 0, 0);
        }
        assertTrue(vswitch.macTableSize() <= 64);
        assertEquals(pa.id(), vswitch.lookup(0x0200_0000_0000L + 9_999), "the newest address is learnt");
    }

    @Test
    void blankChecksumIsCompletedOnlyForPortsWithoutOffload()
    {
        final Recorder capable = new Recorder();
        final Recorder wire = new Recorder();
        final Recorder v4only = new Recorder();
        final SwitchPort in = vswitch.attach("in", new Recorder(), Offload.CAP_ALL);
        vswitch.attach("capable", capable, Offload.CAP_ALL);
        vswitch.attach("wire", wire, Offload.CAP_NONE);
        vswitch.attach("v4only", v4only, Offload.CAP_CSUM_IPV4);
        final int length = TestFrames.udp(frame, true, 500);
        TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, Ethernet.TYPE_IPV6);
        assertEquals(3, in.transmit(frame, 0, length, Offload.CSUM_BLANK, 0, 0));

        final PacketInfo info = new PacketInfo();
        final UnsafeBuffer got = new UnsafeBuffer(capable.frames.get(0));
        assertTrue(info.parse(got, 0, length));
        assertFalse(Offloads.verifyChecksum(got, info), "passed through blank");
        assertEquals(Offload.CSUM_BLANK, capable.meta.get(0)[0]);
        for (final Recorder r : List.of(wire, v4only))
        {
            final UnsafeBuffer done = new UnsafeBuffer(r.frames.get(0));
            assertTrue(info.parse(done, 0, length));
            assertTrue(Offloads.verifyChecksum(done, info));
            assertEquals(Offload.DATA_VALIDATED, r.meta.get(0)[0]);
        }
        assertFalse(Offloads.verifyChecksum(frame, new PacketInfo()), "the sender's buffer is untouched");
    }

    @Test
    void gsoFrameIsSegmentedForPortsWithoutGso()
    {
        final Recorder capable = new Recorder();
        final Recorder wire = new Recorder();
        final SwitchPort in = vswitch.attach("in", new Recorder(), Offload.CAP_ALL);
        vswitch.attach("capable", capable, Offload.CAP_ALL);
        vswitch.attach("wire", wire, Offload.CAP_NONE);
        final int length = TestFrames.tcp(frame, false, 20_000, 0x18);
        TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, Ethernet.TYPE_IPV4);
        assertEquals(2, in.transmit(frame, 0, length, Offload.CSUM_BLANK, Netif.XEN_NETIF_GSO_TYPE_TCPV4, 1448));
        assertEquals(1, capable.frames.size());
        assertEquals(Netif.XEN_NETIF_GSO_TYPE_TCPV4, capable.meta.get(0)[1]);
        assertEquals(1448, capable.meta.get(0)[2]);
        assertEquals(14, wire.frames.size());
        final PacketInfo info = new PacketInfo();
        int payload = 0;
        for (final byte[] segment : wire.frames)
        {
            final UnsafeBuffer s = new UnsafeBuffer(segment);
            assertTrue(info.parse(s, 0, segment.length));
            assertTrue(Offloads.verifyChecksum(s, info));
            assertTrue(segment.length <= 14 + 20 + 20 + 1448);
            payload += segment.length - 54;
        }
        assertEquals(20_000, payload);
        final SwitchPort wirePort = vswitch.ports()[2];
        assertEquals(14, wirePort.counters().outPackets());
    }
}
