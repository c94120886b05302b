package io.pvring.netback.uplink;

import java.net.InetSocketAddress;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ResourceLeakDetector;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.packet.Offloads;
import io.pvring.netback.packet.PacketInfo;
import io.pvring.netback.test.RecordingSink;
import io.pvring.netback.test.TestFrames;
import io.pvring.netback.vswitch.Offload;
import io.pvring.netback.vswitch.SwitchPort;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.netif.Netif;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VxlanHandlerTest
{
    private static final InetSocketAddress REMOTE = new InetSocketAddress("127.0.0.1", 4789);
    private static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 14789);
    private static ResourceLeakDetector.Level previous;

    private final VirtualSwitch vswitch = new VirtualSwitch();
    private final RecordingSink recorder = new RecordingSink();
    private final VxlanHandler handler = new VxlanHandler(42, REMOTE);
    private final SwitchPort port = vswitch.attach("vxlan", handler, Offload.CAP_NONE);
    private final EmbeddedChannel channel;

    VxlanHandlerTest()
    {
        handler.port(port);
        channel = new EmbeddedChannel(handler);
        vswitch.attach("recorder", recorder, Offload.CAP_ALL);
    }

    @BeforeAll
    static void paranoid()
    {
        previous = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    @AfterAll
    static void restore()
    {
        ResourceLeakDetector.setLevel(previous);
    }

    private static ByteBuf encapsulated(final int flags, final int vni, final byte[] inner, final int length)
    {
        return Unpooled.directBuffer().writeInt(flags << 24).writeInt(vni << 8).writeBytes(inner, 0, length);
    }

    private static byte[] innerFrame()
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[200]);
        final int length = TestFrames.udp(b, false, 100);
        final byte[] frame = new byte[length];
        b.getBytes(0, frame);
        return frame;
    }

    @Test
    void decapsulatesOurVniAtEveryLength()
    {
        final byte[] inner = innerFrame();
        for (int length = 0; length <= inner.length; length++)
        {
            final ByteBuf content = encapsulated(VxlanHeader.FLAG_I, 42, inner, length);
            channel.writeInbound(new DatagramPacket(content, LOCAL, REMOTE));
            assertEquals(0, content.refCnt());
            if (length < Ethernet.HEADER_LENGTH)
            {
                assertNull(recorder.poll(), "length " + length);
            }
            else
            {
                final byte[] got = recorder.poll();
                assertEquals(length, got.length);
                for (int i = 0; i < length; i++)
                {
                    assertEquals(inner[i], got[i]);
                }
            }
        }
        assertEquals(Ethernet.HEADER_LENGTH, handler.malformed());
        assertFalse(channel.finish());
    }

    @Test
    void reservedBitsAreIgnoredButTheIFlagAndVniAreChecked()
    {
        final byte[] inner = innerFrame();
        channel.writeInbound(new DatagramPacket(encapsulated(0xF7, 42, inner, inner.length), LOCAL, REMOTE));
        channel.writeInbound(new DatagramPacket(encapsulated(VxlanHeader.FLAG_I, 43, inner, inner.length), LOCAL,
            REMOTE));
        assertNull(recorder.poll());
        assertEquals(1, handler.malformed());
        assertEquals(1, handler.foreignVni());
        final ByteBuf ok = Unpooled.directBuffer().writeInt(0xFF00_00FF).writeInt((42 << 8) | 0xFF).writeBytes(inner);
        channel.writeInbound(new DatagramPacket(ok, LOCAL, REMOTE));
        assertArrayEquals(inner, recorder.poll());
        assertFalse(channel.finish());
    }

    @Test
    void switchFramesAreEncapsulatedWithFinishedChecksumsAndSegmented()
    {
        final SwitchPort vif = vswitch.attach("vif", new RecordingSink(), Offload.CAP_ALL);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[10000]);
        final int length = TestFrames.tcp(buffer, true, 3000, 0x18);
        TestFrames.ethernet(buffer, Ethernet.BROADCAST, TestFrames.MAC_A, Ethernet.TYPE_IPV6);
        vif.transmit(buffer, 0, length, Offload.CSUM_BLANK, Netif.XEN_NETIF_GSO_TYPE_TCPV6, 1440);
        final PacketInfo info = new PacketInfo();
        for (int i = 0; i < 3; i++)
        {
            final DatagramPacket packet = channel.readOutbound();
            try
            {
                assertEquals(REMOTE, packet.recipient());
                final ByteBuf content = packet.content();
                assertEquals(VxlanHeader.FLAG_I << 24, content.readInt());
                assertEquals(42 << 8, content.readInt());
                final byte[] inner = new byte[content.readableBytes()];
                content.readBytes(inner);
                final UnsafeBuffer view = new UnsafeBuffer(inner);
                assertTrue(info.parse(view, 0, inner.length));
                assertTrue(Offloads.verifyChecksum(view, info));
                assertTrue(inner.length <= 14 + 40 + 20 + 1440);
            }
            finally
            {
                packet.release();
            }
        }
        assertNull(channel.readOutbound());
        assertFalse(channel.finish());
    }
}
