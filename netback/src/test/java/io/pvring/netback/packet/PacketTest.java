package io.pvring.netback.packet;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import io.pvring.netback.test.TestFrames;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PacketTest
{
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[70000]);
    private final PacketInfo info = new PacketInfo();

    @Test
    void ipv4HeaderChecksumMatchesTheTextbookExample()
    {
        // RFC 1071 style example (Wikipedia "IPv4 header checksum"): the checksum is 0xB861.
        final byte[] header = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
            (byte)0xC0, (byte)0xA8, 0x00, 0x01, (byte)0xC0, (byte)0xA8, 0x00, (byte)0xC7};
        assertEquals(0xB861, Checksum.compute(new UnsafeBuffer(header), 0, header.length));
    }

    @Test
    void checksumPiecesAddUpAtEvenBoundaries()
    {
        TestFrames.fillPayload(frame, 0, 1001, 5);
        final long whole = Checksum.add(0, frame, 0, 1001);
        final long pieces = Checksum.add(Checksum.add(0, frame, 0, 600), frame, 600, 401);
        assertEquals(Checksum.fold(whole), Checksum.fold(pieces));
    }

    @Test
    void udpChecksumOfAKnownDatagram()
    {
        // IPv4 UDP 10.0.0.1:5000 -> 10.0.0.2:6000, payload "hi": checksum computed by hand from RFC 768.
        final int length = TestFrames.ethernet(frame, TestFrames.MAC_B, TestFrames.MAC_A, Ethernet.TYPE_IPV4);
        TestFrames.ipv4(frame, length, PacketInfo.PROTO_UDP, 10);
        frame.putShort(34, (short)5000, ByteOrder.BIG_ENDIAN);
        frame.putShort(36, (short)6000, ByteOrder.BIG_ENDIAN);
        frame.putShort(38, (short)10, ByteOrder.BIG_ENDIAN);
        frame.putShort(40, (short)0);
        frame.putByte(42, (byte)'h');
        frame.putByte(43, (byte)'i');
        assertTrue(info.parse(frame, 0, 44));
        assertTrue(Offloads.completeChecksum(frame, info));
        // pseudo: 0a00+0001+0a00+0002+0011+000a; udp: 1388+1770+000a+0000+6869
        final long sum = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 0x0011 + 0x000a + 0x1388 + 0x1770 + 0x000a + 0x6869;
        assertEquals(~Checksum.fold(sum) & 0xFFFF, frame.getShort(40, ByteOrder.BIG_ENDIAN) & 0xFFFF);
        assertTrue(Offloads.verifyChecksum(frame, info));
        frame.putByte(43, (byte)'j');
        assertFalse(Offloads.verifyChecksum(frame, info));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void parsesTcpAndUdpOverBothIpVersions(final boolean ipv6)
    {
        int length = TestFrames.tcp(frame, ipv6, 100, 0x18);
        assertTrue(info.parse(frame, 0, length));
        assertEquals(PacketInfo.PROTO_TCP, info.l4Protocol());
        assertEquals(ipv6 ? 54 : 34, info.l4Offset());
        assertEquals(120, info.l4Length());
        assertEquals(ipv6 ? 74 : 54, info.headersLength());
        length = TestFrames.udp(frame, ipv6, 33);
        assertTrue(info.parse(frame, 0, length));
        assertEquals(PacketInfo.PROTO_UDP, info.l4Protocol());
        assertEquals(41, info.l4Length());
        assertTrue(Offloads.completeChecksum(frame, info));
        assertTrue(Offloads.verifyChecksum(frame, info));
    }

    @Test
    void ethernetPaddingIsNotChecksummed()
    {
        final int length = TestFrames.udp(frame, false, 2);
        frame.setMemory(length, 20, (byte)0x77);
        assertTrue(info.parse(frame, 0, 60));
        assertEquals(length, info.l3End());
        Offloads.completeChecksum(frame, info);
        assertTrue(Offloads.verifyChecksum(frame, info));
    }

    @Test
    void vlanTaggedFrameIsParsed()
    {
        final int inner = TestFrames.udp(frame, false, 10);
        frame.putBytes(18, frame, 14, inner - 14);
        frame.putShort(12, (short)Ethernet.TYPE_VLAN, ByteOrder.BIG_ENDIAN);
        frame.putShort(14, (short)5, ByteOrder.BIG_ENDIAN);
        frame.putShort(16, (short)Ethernet.TYPE_IPV4, ByteOrder.BIG_ENDIAN);
        assertTrue(info.parse(frame, 0, inner + 4));
        assertEquals(18, info.l3Offset());
        assertEquals(PacketInfo.PROTO_UDP, info.l4Protocol());
    }

    @ParameterizedTest
    @CsvSource({"13", "20", "33", "41"})
    void truncatedFramesAreRejectedWithoutThrowing(final int length)
    {
        TestFrames.tcp(frame, false, 0, 0);
        assertFalse(info.parse(frame, 0, length));
        assertEquals(-1, info.l4Protocol());
    }

    @Test
    void lyingLengthsAreRejected()
    {
        final int length = TestFrames.tcp(frame, false, 10, 0);
        frame.putShort(16, (short)9000, ByteOrder.BIG_ENDIAN); // IPv4 total length beyond the frame
        assertFalse(info.parse(frame, 0, length));
        TestFrames.tcp(frame, false, 10, 0);
        frame.putByte(46, (byte)0xF0); // TCP data offset 60 > segment
        assertFalse(info.parse(frame, 0, length));
        TestFrames.tcp(frame, false, 10, 0);
        frame.putByte(14, (byte)0x4F); // IHL 60 > total length
        assertFalse(info.parse(frame, 0, length));
        TestFrames.tcp(frame, false, 10, 0);
        frame.putShort(20, (short)0x2000, ByteOrder.BIG_ENDIAN); // more fragments
        assertFalse(info.parse(frame, 0, length));
    }

    @Test
    void ipv6ExtensionHeadersAreSkipped()
    {
        final int base = TestFrames.udp(frame, true, 16);
        // insert an 8-byte hop-by-hop header between the IPv6 header and UDP
        frame.putBytes(62, frame, 54, base - 54);
        frame.putByte(54, (byte)PacketInfo.PROTO_UDP);
        frame.putByte(55, (byte)0);
        frame.setMemory(56, 6, (byte)0);
        frame.putByte(20, (byte)0);
        frame.putShort(18, (short)(24 + 8), ByteOrder.BIG_ENDIAN);
        assertTrue(info.parse(frame, 0, base + 8));
        assertEquals(62, info.l4Offset());
        assertEquals(48, info.l3HeaderLength());
    }

    @ParameterizedTest
    @CsvSource({"false,1448,10000", "true,1428,10000", "false,536,536", "false,100,1", "true,1000,65000",
        "false,1460,63000"})
    void tcpSegmentationReassemblesToTheOriginal(final boolean ipv6, final int mss, final int payload)
    {
        final int length = TestFrames.tcp(frame, ipv6, payload, PacketInfo.TCP_FIN | PacketInfo.TCP_PSH
            | PacketInfo.TCP_CWR | 0x10);
        assertTrue(info.parse(frame, 0, length));
        final int headers = info.headersLength();
        final List<byte[]> segments = new ArrayList<>();
        final TcpSegmenter segmenter = new TcpSegmenter();
        final int count = segmenter.segment(frame, info, mss, (buffer, offset, len) ->
        {
            final byte[] copy = new byte[len];
            buffer.getBytes(offset, copy);
            segments.add(copy);
            return true;
        });
        assertEquals((payload + mss - 1) / mss, count);
        assertEquals(count, segments.size());
        final byte[] reassembled = new byte[payload];
        int position = 0;
        final PacketInfo segmentInfo = new PacketInfo();
        for (int i = 0; i < count; i++)
        {
            final UnsafeBuffer segment = new UnsafeBuffer(segments.get(i));
            assertTrue(segmentInfo.parse(segment, 0, segment.capacity()), "segment " + i);
            assertTrue(Offloads.verifyChecksum(segment, segmentInfo), "tcp checksum of segment " + i);
            if (!ipv6)
            {
                assertEquals(0xFFFF, Checksum.fold(Checksum.add(0, segment, 14, 20)), "ip checksum " + i);
                assertEquals(0x1234 + i, segment.getShort(18, ByteOrder.BIG_ENDIAN) & 0xFFFF);
            }
            final int l4 = segmentInfo.l4Offset();
            assertEquals(0xFFFF_FF00 + position, segment.getInt(l4 + 4, ByteOrder.BIG_ENDIAN), "seq " + i);
            final int flags = segment.getByte(l4 + 13) & 0xFF;
            assertEquals(i == count - 1, (flags & PacketInfo.TCP_FIN) != 0);
            assertEquals(i == count - 1, (flags & PacketInfo.TCP_PSH) != 0);
            assertEquals(i == 0, (flags & PacketInfo.TCP_CWR) != 0);
            final int chunk = segment.capacity() - headers;
            assertTrue(chunk <= mss && chunk > 0);
            segment.getBytes(headers, reassembled, position, chunk);
            position += chunk;
        }
        assertEquals(payload, position);
        final byte[] original = new byte[payload];
        frame.getBytes(headers, original);
        assertArrayEquals(original, reassembled);
    }

    @Test
    void segmentationRefusesNonTcpAndBadMss()
    {
        final int length = TestFrames.udp(frame, false, 3000);
        assertTrue(info.parse(frame, 0, length));
        assertEquals(-1, new TcpSegmenter().segment(frame, info, 1000, (b, o, l) -> true));
        final int tcpLength = TestFrames.tcp(frame, false, 3000, 0);
        assertTrue(info.parse(frame, 0, tcpLength));
        assertEquals(-1, new TcpSegmenter().segment(frame, info, 0, (b, o, l) -> true));
    }

    @Test
    void macHelpersRoundTrip()
    {
        assertEquals(0x0016_3E01_02FFL, Ethernet.parse("00:16:3e:01:02:ff"));
        assertEquals("00:16:3e:01:02:ff", Ethernet.format(0x0016_3E01_02FFL));
        assertTrue(Ethernet.isMulticast(Ethernet.BROADCAST));
        assertTrue(Ethernet.isMulticast(0x0100_5E00_0001L));
        assertFalse(Ethernet.isMulticast(TestFrames.MAC_A));
    }
}
