package io.pvring.netback.packet;

import java.nio.ByteOrder;

import io.pvring.netback.test.TestFrames;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EchoResponderTest
{
    private static final int IP_B = 0x0A00_0002;
    private final EchoResponder responder = new EchoResponder(TestFrames.MAC_B, IP_B);
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[2000]);
    private final PacketInfo info = new PacketInfo();

    @Test
    void answersArpForItsAddressOnly()
    {
        TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, Ethernet.TYPE_ARP);
        frame.putInt(14, 0x0001_0800, ByteOrder.BIG_ENDIAN);
        frame.putShort(18, (short)0x0604, ByteOrder.BIG_ENDIAN);
        frame.putShort(20, (short)1, ByteOrder.BIG_ENDIAN);
        Ethernet.putMac(frame, 22, TestFrames.MAC_A);
        frame.putInt(28, 0x0A00_0001, ByteOrder.BIG_ENDIAN);
        Ethernet.putMac(frame, 32, 0);
        frame.putInt(38, IP_B, ByteOrder.BIG_ENDIAN);
        frame.setMemory(42, 18, (byte)0x55);
        assertEquals(60, responder.respond(frame, 0, 60));
        assertEquals(TestFrames.MAC_A, Ethernet.destination(frame, 0));
        assertEquals(TestFrames.MAC_B, Ethernet.source(frame, 0));
        assertEquals(2, frame.getShort(20, ByteOrder.BIG_ENDIAN));
        assertEquals(TestFrames.MAC_B, Ethernet.mac(frame, 22));
        assertEquals(IP_B, frame.getInt(28, ByteOrder.BIG_ENDIAN));
        assertEquals(TestFrames.MAC_A, Ethernet.mac(frame, 32));
        assertEquals(0x0A00_0001, frame.getInt(38, ByteOrder.BIG_ENDIAN));
        assertEquals(0, frame.getByte(59), "padding is zeroed");
        frame.putShort(20, (short)1, ByteOrder.BIG_ENDIAN);
        frame.putInt(38, IP_B + 1, ByteOrder.BIG_ENDIAN);
        assertEquals(0, responder.respond(frame, 0, 60));
        assertEquals(1, responder.arpReplies());
    }

    @Test
    void answersPingWithValidChecksums()
    {
        TestFrames.ethernet(frame, TestFrames.MAC_B, TestFrames.MAC_A, Ethernet.TYPE_IPV4);
        TestFrames.ipv4(frame, 14, PacketInfo.PROTO_ICMP, 64);
        frame.putByte(34, (byte)8);
        frame.putByte(35, (byte)0);
        frame.putShort(36, (short)0);
        frame.putInt(38, 0x1234_0001, ByteOrder.BIG_ENDIAN);
        TestFrames.fillPayload(frame, 42, 56, 9);
        frame.putShort(36, (short)Checksum.compute(frame, 34, 64), ByteOrder.BIG_ENDIAN);
        assertEquals(98, responder.respond(frame, 0, 98));
        assertEquals(0, frame.getByte(34));
        assertEquals(0xFFFF, Checksum.fold(Checksum.add(0, frame, 34, 64)));
        assertEquals(0xFFFF, Checksum.fold(Checksum.add(0, frame, 14, 20)));
        assertEquals(0x0A00_0001, frame.getInt(30, ByteOrder.BIG_ENDIAN));
        assertEquals(1, responder.echoReplies());
    }

    @Test
    void echoesUdpOnlyWithAGoodChecksum()
    {
        int length = TestFrames.udp(frame, false, 20);
        frame.putShort(36, (short)EchoResponder.UDP_ECHO_PORT, ByteOrder.BIG_ENDIAN);
        assertTrue(info.parse(frame, 0, length));
        Offloads.completeChecksum(frame, info);
        frame.putByte(50, (byte)(frame.getByte(50) + 1));
        assertEquals(0, responder.respond(frame, 0, length));
        assertEquals(1, responder.badChecksums());

        length = TestFrames.udp(frame, false, 20);
        frame.putShort(36, (short)EchoResponder.UDP_ECHO_PORT, ByteOrder.BIG_ENDIAN);
        info.parse(frame, 0, length);
        Offloads.completeChecksum(frame, info);
        assertEquals(length, responder.respond(frame, 0, length));
        assertEquals(EchoResponder.UDP_ECHO_PORT, frame.getShort(34, ByteOrder.BIG_ENDIAN));
        assertEquals(5000, frame.getShort(36, ByteOrder.BIG_ENDIAN));
        assertTrue(info.parse(frame, 0, length));
        assertTrue(Offloads.verifyChecksum(frame, info));
        assertEquals(1, responder.udpReplies());
    }
}
