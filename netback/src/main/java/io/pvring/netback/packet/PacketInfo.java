package io.pvring.netback.packet;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;

/**
 * The result of parsing one Ethernet frame's headers: where L3 and L4 start and what they are. A reusable mutable
 * object (one per agent), filled by {@link #parse(DirectBuffer, int, int)} without allocating. Every length is
 * checked against the frame, because the frame came from a guest: a truncated or lying header yields
 * {@link #l4Protocol()} {@code == -1}, never an exception.
 */
public final class PacketInfo
{
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;
    public static final int PROTO_ICMP = 1;
    public static final int PROTO_ICMPV6 = 58;

    public static final int IPV4_MIN_HEADER = 20;
    public static final int IPV4_TOTAL_LENGTH_OFFSET = 2;
    public static final int IPV4_ID_OFFSET = 4;
    public static final int IPV4_FRAG_OFFSET = 6;
    public static final int IPV4_TTL_OFFSET = 8;
    public static final int IPV4_PROTOCOL_OFFSET = 9;
    public static final int IPV4_CHECKSUM_OFFSET = 10;
    public static final int IPV4_SRC_OFFSET = 12;
    public static final int IPV4_DST_OFFSET = 16;

    public static final int IPV6_HEADER = 40;
    public static final int IPV6_PAYLOAD_LENGTH_OFFSET = 4;
    public static final int IPV6_NEXT_HEADER_OFFSET = 6;
    public static final int IPV6_SRC_OFFSET = 8;
    public static final int IPV6_DST_OFFSET = 24;

    public static final int TCP_MIN_HEADER = 20;
    public static final int TCP_SEQ_OFFSET = 4;
    public static final int TCP_DATA_OFFSET_OFFSET = 12;
    public static final int TCP_FLAGS_OFFSET = 13;
    public static final int TCP_CHECKSUM_OFFSET = 16;
    public static final int TCP_FIN = 0x01;
    public static final int TCP_PSH = 0x08;
    public static final int TCP_CWR = 0x80;

    public static final int UDP_HEADER = 8;
    public static final int UDP_LENGTH_OFFSET = 4;
    public static final int UDP_CHECKSUM_OFFSET = 6;

    private static final int IPV6_HOP_BY_HOP = 0;
    private static final int IPV6_ROUTING = 43;
    private static final int IPV6_FRAGMENT = 44;
    private static final int IPV6_DEST_OPTS = 60;
    private static final int MAX_IPV6_EXTENSIONS = 8;

    private int frameOffset;
    private int frameLength;
    private int etherType;
    private int l3Offset;
    private int l3HeaderLength;
    private int l3End;
    private int l4Protocol;
    private int l4Offset;
    private int l4HeaderLength;

    /**
     * Parses the headers of the frame at {@code [offset, offset + length)}.
     *
     * @return true when an IPv4/IPv6 TCP or UDP header was found whole inside the frame.
     */
    public boolean parse(final DirectBuffer frame, final int offset, final int length)
    {
        frameOffset = offset;
        frameLength = length;
        etherType = -1;
        l3Offset = -1;
        l3HeaderLength = 0;
        l3End = offset + length;
        l4Protocol = -1;
        l4Offset = -1;
        l4HeaderLength = 0;
        if (length < Ethernet.HEADER_LENGTH)
        {
            return false;
        }
        int type = frame.getShort(offset + Ethernet.TYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        int l3 = offset + Ethernet.HEADER_LENGTH;
        if (type == Ethernet.TYPE_VLAN)
        {
            if (length < Ethernet.HEADER_LENGTH + Ethernet.VLAN_TAG_LENGTH)
            {
                return false;
            }
            type = frame.getShort(offset + Ethernet.TYPE_OFFSET + Ethernet.VLAN_TAG_LENGTH, ByteOrder.BIG_ENDIAN)
                & 0xFFFF;
            l3 += Ethernet.VLAN_TAG_LENGTH;
        }
        etherType = type;
        l3Offset = l3;
        final int end = offset + length;
        if (type == Ethernet.TYPE_IPV4)
        {
            return parseIpv4(frame, l3, end);
        }
        if (type == Ethernet.TYPE_IPV6)
        {
            return parseIpv6(frame, l3, end);
        }
        return false;
    }

    private boolean parseIpv4(final DirectBuffer frame, final int l3, final int end)
    {
        if (end - l3 < IPV4_MIN_HEADER)
        {
            return false;
        }
        final int versionIhl = frame.getByte(l3) & 0xFF;
        final int ihl = (versionIhl & 0x0F) * 4;
        final int totalLength = frame.getShort(l3 + IPV4_TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if ((versionIhl >>> 4) != 4 || ihl < IPV4_MIN_HEADER || totalLength < ihl || totalLength > end - l3)
        {
            return false;
        }
        l3HeaderLength = ihl;
        l3End = l3 + totalLength;
        final int fragment = frame.getShort(l3 + IPV4_FRAG_OFFSET, ByteOrder.BIG_ENDIAN) & 0x3FFF;
        if (fragment != 0)
        {
            return false; // a fragment (MF set or offset non-zero) carries no whole L4 datagram
        }
        return parseL4(frame, frame.getByte(l3 + IPV4_PROTOCOL_OFFSET) & 0xFF, l3 + ihl);
    }

    private boolean parseIpv6(final DirectBuffer frame, final int l3, final int end)
    {
        if (end - l3 < IPV6_HEADER || ((frame.getByte(l3) & 0xFF) >>> 4) != 6)
        {
            return false;
        }
        final int payloadLength = frame.getShort(l3 + IPV6_PAYLOAD_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        if (payloadLength > end - l3 - IPV6_HEADER)
        {
            return false;
        }
        l3End = l3 + IPV6_HEADER + payloadLength;
        int next = frame.getByte(l3 + IPV6_NEXT_HEADER_OFFSET) & 0xFF;
        int position = l3 + IPV6_HEADER;
        for (int i = 0; i < MAX_IPV6_EXTENSIONS; i++)
        {
            if (next != IPV6_HOP_BY_HOP && next != IPV6_ROUTING && next != IPV6_DEST_OPTS)
            {
                break;
            }
            if (l3End - position < 8)
            {
                return false;
            }
            final int extensionLength = ((frame.getByte(position + 1) & 0xFF) + 1) * 8;
            next = frame.getByte(position) & 0xFF;
            position += extensionLength;
        }
        if (next == IPV6_FRAGMENT || position > l3End)
        {
            return false;
        }
        l3HeaderLength = position - l3;
        return parseL4(frame, next, position);
    }

    private boolean parseL4(final DirectBuffer frame, final int protocol, final int l4)
    {
        final int available = l3End - l4;
        if (protocol == PROTO_TCP)
        {
            if (available < TCP_MIN_HEADER)
            {
                return false;
            }
            final int dataOffset = ((frame.getByte(l4 + TCP_DATA_OFFSET_OFFSET) & 0xFF) >>> 4) * 4;
            if (dataOffset < TCP_MIN_HEADER || dataOffset > available)
            {
                return false;
            }
            l4HeaderLength = dataOffset;
        }
        else if (protocol == PROTO_UDP)
        {
            if (available < UDP_HEADER)
            {
                return false;
            }
            l4HeaderLength = UDP_HEADER;
        }
        else
        {
            return false;
        }
        l4Protocol = protocol;
        l4Offset = l4;
        return true;
    }

    public int frameOffset()
    {
        return frameOffset;
    }

    public int frameLength()
    {
        return frameLength;
    }

    /** EtherType after any VLAN tag, -1 for a runt. */
    public int etherType()
    {
        return etherType;
    }

    public boolean isIpv4()
    {
        return etherType == Ethernet.TYPE_IPV4 && l3HeaderLength > 0;
    }

    public boolean isIpv6()
    {
        return etherType == Ethernet.TYPE_IPV6 && l3HeaderLength > 0;
    }

    /** Absolute offset of the IP header in the buffer. */
    public int l3Offset()
    {
        return l3Offset;
    }

    /** IPv4 header length with options, or IPv6 fixed header plus extension headers. */
    public int l3HeaderLength()
    {
        return l3HeaderLength;
    }

    /** Absolute end of the IP datagram (Ethernet padding after it is excluded). */
    public int l3End()
    {
        return l3End;
    }

    /** {@link #PROTO_TCP}, {@link #PROTO_UDP}, or -1 when no whole L4 header was found. */
    public int l4Protocol()
    {
        return l4Protocol;
    }

    public int l4Offset()
    {
        return l4Offset;
    }

    public int l4HeaderLength()
    {
        return l4HeaderLength;
    }

    /** Bytes of L4 header and payload. */
    public int l4Length()
    {
        return l3End - l4Offset;
    }

    /** Ethernet + IP + L4 headers: the part every GSO segment repeats. */
    public int headersLength()
    {
        return l4Offset + l4HeaderLength - frameOffset;
    }

    /** Absolute offset of the L4 checksum field. */
    public int checksumOffset()
    {
        return l4Offset + (l4Protocol == PROTO_TCP ? TCP_CHECKSUM_OFFSET : UDP_CHECKSUM_OFFSET);
    }
}
