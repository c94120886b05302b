package io.pvring.netback.uplink;

import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.packet.Offloads;
import io.pvring.netback.packet.PacketInfo;
import io.pvring.netback.test.RecordingSink;
import io.pvring.netback.test.TestFrames;
import io.pvring.netback.vswitch.Offload;
import io.pvring.netback.vswitch.SwitchPort;
import io.pvring.netback.vswitch.VirtualSwitch;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StreamHandlerTest
{
    private static ResourceLeakDetector.Level previous;

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

    private static byte[] frame(final int length, final int seed)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[length]);
        TestFrames.ethernet(b, Ethernet.BROADCAST, TestFrames.MAC_A + seed, 0x88B5);
        TestFrames.fillPayload(b, 14, length - 14, seed);
        return b.byteArray();
    }

    private static byte[] stream(final byte[]... frames)
    {
        int total = 0;
        for (final byte[] f : frames)
        {
            total += 4 + f.length;
        }
        final ByteBuf buf = Unpooled.buffer(total);
        for (final byte[] f : frames)
        {
            buf.writeInt(f.length).writeBytes(f);
        }
        final byte[] bytes = new byte[total];
        buf.readBytes(bytes);
        buf.release();
        return bytes;
    }

    @Test
    void framesSurviveASplitAtEveryBoundary()
    {
        final byte[][] frames = {frame(60, 1), frame(1514, 2), frame(9014, 3)};
        final byte[] bytes = stream(frames);
        final VirtualSwitch vswitch = new VirtualSwitch();
        final RecordingSink recorder = new RecordingSink();
        vswitch.attach("recorder", recorder, Offload.CAP_ALL);
        for (int split = 0; split <= bytes.length; split++)
        {
            final EmbeddedChannel channel = new EmbeddedChannel(new StreamFrameDecoder(),
                new StreamHandler(vswitch, "peer"));
            final ByteBuf first = Unpooled.directBuffer(split).writeBytes(bytes, 0, split);
            final ByteBuf second = Unpooled.buffer(bytes.length - split).writeBytes(bytes, split, bytes.length - split);
            channel.writeInbound(first);
            channel.writeInbound(second);
            assertEquals(0, first.refCnt(), "split " + split);
            assertEquals(0, second.refCnt(), "split " + split);
            for (final byte[] expected : frames)
            {
                assertArrayEquals(expected, recorder.poll(), "split " + split);
            }
            assertNull(recorder.poll());
            assertFalse(channel.finish());
        }
        assertEquals(1, vswitch.ports().length, "every closed connection detached its port");
    }

    @Test
    void aFrameByteByByteAndCompositeInput()
    {
        final byte[] bytes = stream(frame(100, 4), frame(200, 5));
        final VirtualSwitch vswitch = new VirtualSwitch();
        final RecordingSink recorder = new RecordingSink();
        vswitch.attach("recorder", recorder, Offload.CAP_ALL);
        final EmbeddedChannel channel = new EmbeddedChannel(new StreamFrameDecoder(), new StreamHandler(vswitch, "p"));
        final List<ByteBuf> inputs = new ArrayList<>();
        for (final byte b : bytes)
        {
            final ByteBuf one = Unpooled.buffer(1).writeByte(b);
            inputs.add(one);
            channel.writeInbound(one);
        }
        assertEquals(100, recorder.poll().length);
        assertEquals(200, recorder.poll().length);
        for (final ByteBuf in : inputs)
        {
            assertEquals(0, in.refCnt());
        }
        assertFalse(channel.finish());
    }

    @Test
    void switchFramesGoOutLengthPrefixed()
    {
        final VirtualSwitch vswitch = new VirtualSwitch();
        final SwitchPort local = vswitch.attach("local", new RecordingSink(), Offload.CAP_ALL);
        final StreamHandler handler = new StreamHandler(vswitch, "peer");
        final EmbeddedChannel channel = new EmbeddedChannel(new StreamFrameDecoder(), handler);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[2000]);
        final int length = TestFrames.udp(buffer, false, 100);
        TestFrames.ethernet(buffer, Ethernet.BROADCAST, TestFrames.MAC_A, Ethernet.TYPE_IPV4);
        assertEquals(1, local.transmit(buffer, 0, length, Offload.CSUM_BLANK, 0, 0));
        final ByteBuf out = channel.readOutbound();
        try
        {
            assertEquals(length, out.readInt());
            assertEquals(length, out.readableBytes());
            final byte[] sent = new byte[length];
            out.readBytes(sent);
            final UnsafeBuffer view = new UnsafeBuffer(sent);
            final PacketInfo info = new PacketInfo();
            assertTrue(info.parse(view, 0, length));
            assertTrue(Offloads.verifyChecksum(view, info), "the UDP checksum was completed for the wire");
        }
        finally
        {
            out.release();
        }
        assertEquals(1, handler.port().counters().outPackets());
        assertFalse(channel.finish());
    }

    @Test
    void oversizeLengthClosesOnlyThatConnection()
    {
        final VirtualSwitch vswitch = new VirtualSwitch();
        vswitch.attach("other", new RecordingSink(), Offload.CAP_ALL);
        final EmbeddedChannel channel = new EmbeddedChannel(new StreamFrameDecoder(), new StreamHandler(vswitch, "p"));
        assertEquals(2, vswitch.ports().length);
        final ByteBuf evil = Unpooled.buffer(8).writeInt(0x7FFF_FFFF).writeInt(0);
        channel.writeInbound(evil);
        assertEquals(0, evil.refCnt());
        assertFalse(channel.isActive());
        assertEquals(1, vswitch.ports().length);
        channel.finishAndReleaseAll();
    }

    @Test
    void emptyFrameIsCountedAsIngressDrop()
    {
        final VirtualSwitch vswitch = new VirtualSwitch();
        final StreamHandler handler = new StreamHandler(vswitch, "p");
        final EmbeddedChannel channel = new EmbeddedChannel(new StreamFrameDecoder(), handler);
        channel.writeInbound(Unpooled.buffer(4).writeInt(0));
        assertEquals(1, handler.port().counters().inDrops());
        assertTrue(channel.isActive());
        assertFalse(channel.finish());
    }
}
