package io.pvring.netback.test;

import java.nio.ByteOrder;

import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.packet.PacketInfo;
import org.agrona.MutableDirectBuffer;

/** Builds Ethernet/IPv4/IPv6/TCP/UDP frames for tests; checksum fields are left zero unless stated. */
public final class TestFrames
{
    public static final long MAC_A = 0x02_00_00_00_00_0AL;
    public static final long MAC_B = 0x02_00_00_00_00_0BL;
    public static final byte[] IP4_A = {10, 0, 0, 1};
    public static final byte[] IP4_B = {10, 0, 0, 2};
    public static final byte[] IP6_A = ip6(1);
    public static final byte[] IP6_B = ip6(2);

    private TestFrames()
    {
    }

    private static byte[] ip6(final int last)
    {
        final byte[] address = new byte[16];
        address[0] = (byte)0xFD;
        address[15] = (byte)last;
        return address;
    }

    public static int ethernet(final MutableDirectBuffer b, final long dst, final long src, final int type)
    {
        Ethernet.putMac(b, 0, dst);
        Ethernet.putMac(b, 6, src);
        b.putShort(12, (short)type, ByteOrder.BIG_ENDIAN);
        return Ethernet.HEADER_LENGTH;
    }

    /** Writes an IPv4 header (no options) at {@code l3}; returns the header length. */
    public static int ipv4(final MutableDirectBuffer b, final int l3, final int protocol, final int l4Length)
    {
        b.putByte(l3, (byte)0x45);
        b.putByte(l3 + 1, (byte)0);
        b.putShort(l3 + 2, (short)(20 + l4Length), ByteOrder.BIG_ENDIAN);
        b.putShort(l3 + 4, (short)0x1234, ByteOrder.BIG_ENDIAN);
        b.putShort(l3 + 6, (short)0x4000, ByteOrder.BIG_ENDIAN);
        b.putByte(l3 + 8, (byte)64);
        b.putByte(l3 + 9, (byte)protocol);
        b.putShort(l3 + 10, (short)0);
        b.putBytes(l3 + 12, IP4_A);
        b.putBytes(l3 + 16, IP4_B);
        io.pvring.netback.packet.Offloads.completeIpv4HeaderChecksum(b, l3, 20);
        return 20;
    }

    public static int ipv6(final MutableDirectBuffer b, final int l3, final int protocol, final int l4Length)
    {
        b.putInt(l3, 0x6000_0000, ByteOrder.BIG_ENDIAN);
        b.putShort(l3 + 4, (short)l4Length, ByteOrder.BIG_ENDIAN);
        b.putByte(l3 + 6, (byte)protocol);
        b.putByte(l3 + 7, (byte)64);
        b.putBytes(l3 + 8, IP6_A);
        b.putBytes(l3 + 24, IP6_B);
        return 40;
    }

    public static void fillPayload(final MutableDirectBuffer b, final int offset, final int length, final int seed)
    {
        for (int i = 0; i < length; i++)
        {
            b.putByte(offset + i, (byte)(seed + i * 7));
        }
    }

    /** A TCP frame (IPv4 or IPv6) with {@code payload} bytes; the TCP checksum is left zero. Returns its length. */
    public static int tcp(final MutableDirectBuffer b, final boolean ipv6, final int payload, final int flags)
    {
        final int l3 = ethernet(b, MAC_B, MAC_A, ipv6 ? Ethernet.TYPE_IPV6 : Ethernet.TYPE_IPV4);
        final int l4Length = 20 + payload;
        final int ipHeader = ipv6 ? ipv6(b, l3, PacketInfo.PROTO_TCP, l4Length)
            : ipv4(b, l3, PacketInfo.PROTO_TCP, l4Length);
        final int l4 = l3 + ipHeader;
        b.putShort(l4, (short)40000, ByteOrder.BIG_ENDIAN);
        b.putShort(l4 + 2, (short)80, ByteOrder.BIG_ENDIAN);
        b.putInt(l4 + 4, 0xFFFF_FF00, ByteOrder.BIG_ENDIAN);
        b.putInt(l4 + 8, 1, ByteOrder.BIG_ENDIAN);
        b.putByte(l4 + 12, (byte)0x50);
        b.putByte(l4 + 13, (byte)flags);
        b.putShort(l4 + 14, (short)65535, ByteOrder.BIG_ENDIAN);
        b.putShort(l4 + 16, (short)0);
        b.putShort(l4 + 18, (short)0);
        fillPayload(b, l4 + 20, payload, 3);
        return l4 + l4Length;
    }

    /** A UDP frame (IPv4 or IPv6); the UDP checksum is left zero. Returns its length. */
    public static int udp(final MutableDirectBuffer b, final boolean ipv6, final int payload)
    {
        final int l3 = ethernet(b, MAC_B, MAC_A, ipv6 ? Ethernet.TYPE_IPV6 : Ethernet.TYPE_IPV4);
        final int l4Length = 8 + payload;
        final int ipHeader = ipv6 ? ipv6(b, l3, PacketInfo.PROTO_UDP, l4Length)
            : ipv4(b, l3, PacketInfo.PROTO_UDP, l4Length);
        final int l4 = l3 + ipHeader;
        b.putShort(l4, (short)5000, ByteOrder.BIG_ENDIAN);
        b.putShort(l4 + 2, (short)6000, ByteOrder.BIG_ENDIAN);
        b.putShort(l4 + 4, (short)l4Length, ByteOrder.BIG_ENDIAN);
        b.putShort(l4 + 6, (short)0);
        fillPayload(b, l4 + 8, payload, 11);
        return l4 + l4Length;
    }
}
