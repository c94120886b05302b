package io.pvring.netback.packet;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Ethernet II header layout (IEEE 802.3): destination MAC at 0, source MAC at 6, EtherType (big endian) at 12,
 * optionally one 802.1Q tag (TPID 0x8100, TCI) before the EtherType. MACs travel as longs, first octet in bits
 * 47..40, so a switch can key tables on them without allocating.
 */
public final class Ethernet
{
    public static final int DST_OFFSET = 0;
    public static final int SRC_OFFSET = 6;
    public static final int TYPE_OFFSET = 12;
    public static final int HEADER_LENGTH = 14;
    public static final int VLAN_TAG_LENGTH = 4;
    public static final int MIN_FRAME_LENGTH = 60;

    public static final int TYPE_IPV4 = 0x0800;
    public static final int TYPE_ARP = 0x0806;
    public static final int TYPE_VLAN = 0x8100;
    public static final int TYPE_IPV6 = 0x86DD;

    public static final long BROADCAST = 0xFFFF_FFFF_FFFFL;

    private Ethernet()
    {
    }

    /** The 48-bit MAC at {@code offset}. */
    public static long mac(final DirectBuffer buffer, final int offset)
    {
        return ((long)(buffer.getShort(offset, ByteOrder.BIG_ENDIAN) & 0xFFFF) << 32)
            | (buffer.getInt(offset + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL);
    }

    public static void putMac(final MutableDirectBuffer buffer, final int offset, final long mac)
    {
        buffer.putShort(offset, (short)(mac >>> 32), ByteOrder.BIG_ENDIAN);
        buffer.putInt(offset + 2, (int)mac, ByteOrder.BIG_ENDIAN);
    }

    public static long destination(final DirectBuffer frame, final int offset)
    {
        return mac(frame, offset + DST_OFFSET);
    }

    public static long source(final DirectBuffer frame, final int offset)
    {
        return mac(frame, offset + SRC_OFFSET);
    }

    /** Group bit: broadcast and multicast destinations are flooded. */
    public static boolean isMulticast(final long mac)
    {
        return (mac & 0x0100_0000_0000L) != 0;
    }

    /** "aa:bb:cc:dd:ee:ff" (allocates: for logs and configuration only). */
    public static String format(final long mac)
    {
        final StringBuilder sb = new StringBuilder(17);
        for (int i = 5; i >= 0; i--)
        {
            final int octet = (int)(mac >>> (8 * i)) & 0xFF;
            sb.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xF, 16));
            if (i > 0)
            {
                sb.append(':');
            }
        }
        return sb.toString();
    }

    /** Parses "aa:bb:cc:dd:ee:ff" (xenstore's {@code mac} key format). */
    public static long parse(final String text)
    {
        final String[] octets = text.trim().split(":");
        if (octets.length != 6)
        {
            throw new IllegalArgumentException("mac=" + text);
        }
        long mac = 0;
        for (final String octet : octets)
        {
            if (octet.length() != 2)
            {
                throw new IllegalArgumentException("mac=" + text);
            }
            mac = (mac << 8) | Integer.parseInt(octet, 16);
        }
        return mac;
    }
}
