package io.pvring.netback.packet;

import java.nio.ByteOrder;

import org.agrona.MutableDirectBuffer;

/**
 * The smallest useful IPv4 host: it owns one MAC and one address and answers ARP requests for the address, ICMP
 * echo requests (ping) and UDP datagrams to the echo port (RFC 862), rewriting the received frame in place into its
 * reply. A UDP datagram with a wrong checksum is dropped and counted, so a peer that gets its echo back has proved
 * checksums correct end to end. Used behind a netfront in interop tests and demos; allocation-free.
 */
public final class EchoResponder
{
    public static final int UDP_ECHO_PORT = 7;

    private static final int ARP_LENGTH = 28;
    private static final int ARP_OPER_OFFSET = 6;
    private static final int ARP_SHA_OFFSET = 8;
    private static final int ARP_SPA_OFFSET = 14;
    private static final int ARP_THA_OFFSET = 18;
    private static final int ARP_TPA_OFFSET = 24;
    private static final int ARP_REQUEST = 1;
    private static final int ARP_REPLY = 2;
    private static final int ICMP_ECHO_REPLY = 0;
    private static final int ICMP_ECHO_REQUEST = 8;

    private final long mac;
    private final int ipv4;
    private final PacketInfo info = new PacketInfo();
    private long arpReplies;
    private long echoReplies;
    private long udpReplies;
    private long badChecksums;
    private long ignored;

    /**
     * @param ipv4 the address as a big-endian int (10.0.0.1 is {@code 0x0A000001}).
     */
    public EchoResponder(final long mac, final int ipv4)
    {
        this.mac = mac;
        this.ipv4 = ipv4;
    }

    /**
     * Turns a received frame into its reply in place.
     *
     * @return the reply's length, or 0 when the frame needs no reply.
     */
    public int respond(final MutableDirectBuffer frame, final int offset, final int length)
    {
        if (length < Ethernet.HEADER_LENGTH)
        {
            ignored++;
            return 0;
        }
        final int type = frame.getShort(offset + Ethernet.TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (type == Ethernet.TYPE_ARP)
        {
            return arp(frame, offset, length);
        }
        if (type != Ethernet.TYPE_IPV4)
        {
            ignored++;
            return 0;
        }
        final long dstMac = Ethernet.destination(frame, offset);
        if (dstMac != mac && !Ethernet.isMulticast(dstMac))
        {
            ignored++;
            return 0;
        }
        info.parse(frame, offset, length);
        if (!info.isIpv4() || frame.getInt(info.l3Offset() + PacketInfo.IPV4_DST_OFFSET, ByteOrder.BIG_ENDIAN) != ipv4)
        {
            ignored++;
            return 0;
        }
        final int l3 = info.l3Offset();
        final int protocol = frame.getByte(l3 + PacketInfo.IPV4_PROTOCOL_OFFSET) & 0xFF;
        if (protocol == PacketInfo.PROTO_ICMP)
        {
            return icmp(frame, offset);
        }
        if (info.l4Protocol() == PacketInfo.PROTO_UDP
            && (frame.getShort(info.l4Offset() + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF) == UDP_ECHO_PORT)
        {
            return udp(frame, offset);
        }
        ignored++;
        return 0;
    }

    private int arp(final MutableDirectBuffer frame, final int offset, final int length)
    {
        final int arp = offset + Ethernet.HEADER_LENGTH;
        if (length < Ethernet.HEADER_LENGTH + ARP_LENGTH
            || frame.getInt(arp, ByteOrder.BIG_ENDIAN) != 0x0001_0800
            || frame.getShort(arp + 4, ByteOrder.BIG_ENDIAN) != 0x0604
            || frame.getShort(arp + ARP_OPER_OFFSET, ByteOrder.BIG_ENDIAN) != ARP_REQUEST
            || frame.getInt(arp + ARP_TPA_OFFSET, ByteOrder.BIG_ENDIAN) != ipv4)
        {
            ignored++;
            return 0;
        }
        final long requesterMac = Ethernet.mac(frame, arp + ARP_SHA_OFFSET);
        final int requesterIp = frame.getInt(arp + ARP_SPA_OFFSET, ByteOrder.BIG_ENDIAN);
        frame.putShort(arp + ARP_OPER_OFFSET, (short)ARP_REPLY, ByteOrder.BIG_ENDIAN);
        Ethernet.putMac(frame, arp + ARP_SHA_OFFSET, mac);
        frame.putInt(arp + ARP_SPA_OFFSET, ipv4, ByteOrder.BIG_ENDIAN);
        Ethernet.putMac(frame, arp + ARP_THA_OFFSET, requesterMac);
        frame.putInt(arp + ARP_TPA_OFFSET, requesterIp, ByteOrder.BIG_ENDIAN);
        Ethernet.putMac(frame, offset + Ethernet.DST_OFFSET, requesterMac);
        Ethernet.putMac(frame, offset + Ethernet.SRC_OFFSET, mac);
        arpReplies++;
        final int replyLength = Ethernet.HEADER_LENGTH + ARP_LENGTH;
        if (frame.capacity() - offset >= Ethernet.MIN_FRAME_LENGTH)
        {
            // pad to the Ethernet minimum with zeros, not with whatever the request carried
            frame.setMemory(offset + replyLength, Ethernet.MIN_FRAME_LENGTH - replyLength, (byte)0);
            return Ethernet.MIN_FRAME_LENGTH;
        }
        return replyLength;
    }

    private int icmp(final MutableDirectBuffer frame, final int offset)
    {
        final int l3 = info.l3Offset();
        final int icmp = l3 + info.l3HeaderLength();
        final int icmpLength = info.l3End() - icmp;
        if (icmpLength < 8 || (frame.getByte(icmp) & 0xFF) != ICMP_ECHO_REQUEST
            || Checksum.fold(Checksum.add(0, frame, icmp, icmpLength)) != 0xFFFF)
        {
            ignored++;
            return 0;
        }
        frame.putByte(icmp, (byte)ICMP_ECHO_REPLY);
        frame.putShort(icmp + 2, (short)0);
        frame.putShort(icmp + 2, (short)Checksum.compute(frame, icmp, icmpLength), ByteOrder.BIG_ENDIAN);
        swapAddresses(frame, offset);
        echoReplies++;
        return info.l3End() - offset;
    }

    private int udp(final MutableDirectBuffer frame, final int offset)
    {
        if (!Offloads.verifyChecksum(frame, info))
        {
            badChecksums++;
            return 0;
        }
        final int l4 = info.l4Offset();
        final short srcPort = frame.getShort(l4, ByteOrder.BIG_ENDIAN);
        frame.putShort(l4, frame.getShort(l4 + 2, ByteOrder.BIG_ENDIAN), ByteOrder.BIG_ENDIAN);
        frame.putShort(l4 + 2, srcPort, ByteOrder.BIG_ENDIAN);
        swapAddresses(frame, offset);
        Offloads.completeChecksum(frame, info);
        udpReplies++;
        return info.l3End() - offset;
    }

    private void swapAddresses(final MutableDirectBuffer frame, final int offset)
    {
        final int l3 = info.l3Offset();
        final int src = frame.getInt(l3 + PacketInfo.IPV4_SRC_OFFSET, ByteOrder.BIG_ENDIAN);
        frame.putInt(l3 + PacketInfo.IPV4_SRC_OFFSET, ipv4, ByteOrder.BIG_ENDIAN);
        frame.putInt(l3 + PacketInfo.IPV4_DST_OFFSET, src, ByteOrder.BIG_ENDIAN);
        frame.putByte(l3 + PacketInfo.IPV4_TTL_OFFSET, (byte)64);
        Offloads.completeIpv4HeaderChecksum(frame, l3, info.l3HeaderLength());
        final long peer = Ethernet.source(frame, offset);
        Ethernet.putMac(frame, offset + Ethernet.DST_OFFSET, peer);
        Ethernet.putMac(frame, offset + Ethernet.SRC_OFFSET, mac);
    }

    public long arpReplies()
    {
        return arpReplies;
    }

    public long echoReplies()
    {
        return echoReplies;
    }

    public long udpReplies()
    {
        return udpReplies;
    }

    /** UDP echo requests dropped because their checksum was wrong. */
    public long badChecksums()
    {
        return badChecksums;
    }

    public long ignored()
    {
        return ignored;
    }
}
