package io.pvring.netback.packet;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Offloads done in software for a receiver that lacks them: completing a {@code csum_blank} TCP/UDP checksum and
 * verifying one. Pure functions over a parsed frame; allocation-free. The checksum is always recomputed from
 * scratch (pseudo-header plus segment with the field zeroed) rather than trusting the partial sum a guest put in the
 * field, so a lying guest gets a correct checksum over the bytes it really sent.
 */
public final class Offloads
{
    private Offloads()
    {
    }

    /** Ones' complement sum of the IPv4 or IPv6 pseudo-header for an L4 segment of {@code l4Length} bytes. */
    public static long pseudoHeaderSum(final DirectBuffer frame, final PacketInfo info, final int l4Length)
    {
        final int l3 = info.l3Offset();
        long sum;
        if (info.isIpv4())
        {
            sum = Checksum.add(0, frame, l3 + PacketInfo.IPV4_SRC_OFFSET, 8);
        }
        else
        {
            sum = Checksum.add(0, frame, l3 + PacketInfo.IPV6_SRC_OFFSET, 32);
        }
        return sum + info.l4Protocol() + l4Length;
    }

    /**
     * Computes and stores the TCP or UDP checksum of a parsed frame in place.
     *
     * @return false when the frame has no whole TCP/UDP header (nothing written).
     */
    public static boolean completeChecksum(final MutableDirectBuffer frame, final PacketInfo info)
    {
        if (info.l4Protocol() < 0)
        {
            return false;
        }
        final int checksumOffset = info.checksumOffset();
        final int l4Length = info.l4Length();
        frame.putShort(checksumOffset, (short)0, ByteOrder.BIG_ENDIAN);
        long sum = pseudoHeaderSum(frame, info, l4Length);
        sum = Checksum.add(sum, frame, info.l4Offset(), l4Length);
        int checksum = Checksum.finish(sum);
        if (checksum == 0 && info.l4Protocol() == PacketInfo.PROTO_UDP)
        {
            checksum = 0xFFFF; // RFC 768: a computed zero is sent as all ones; zero means "no checksum"
        }
        frame.putShort(checksumOffset, (short)checksum, ByteOrder.BIG_ENDIAN);
        return true;
    }

    /**
     * Verifies the L4 checksum of a parsed frame (an IPv4 UDP checksum of zero means none and passes).
     *
     * @return false for a wrong checksum or a frame without a whole TCP/UDP header.
     */
    public static boolean verifyChecksum(final DirectBuffer frame, final PacketInfo info)
    {
        if (info.l4Protocol() < 0)
        {
            return false;
        }
        if (info.l4Protocol() == PacketInfo.PROTO_UDP && info.isIpv4()
            && frame.getShort(info.checksumOffset(), ByteOrder.BIG_ENDIAN) == 0)
        {
            return true;
        }
        final int l4Length = info.l4Length();
        final long sum = Checksum.add(pseudoHeaderSum(frame, info, l4Length), frame, info.l4Offset(), l4Length);
        return Checksum.fold(sum) == 0xFFFF;
    }

    /**
     * Whether the L4 checksum field holds what Linux leaves there for CHECKSUM_PARTIAL: the folded pseudo-header sum,
     * not complemented, waiting for the device to add the segment. A host-local kernel peer (veth, vxlan) sends such
     * frames because no NIC ever finishes them.
     */
    public static boolean isPartialChecksum(final DirectBuffer frame, final PacketInfo info)
    {
        if (info.l4Protocol() < 0)
        {
            return false;
        }
        final int field = frame.getShort(info.checksumOffset(), ByteOrder.BIG_ENDIAN) & 0xFFFF;
        return field == Checksum.fold(pseudoHeaderSum(frame, info, info.l4Length()));
    }

    /** Recomputes an IPv4 header checksum in place. */
    public static void completeIpv4HeaderChecksum(final MutableDirectBuffer frame, final int l3, final int ihl)
    {
        frame.putShort(l3 + PacketInfo.IPV4_CHECKSUM_OFFSET, (short)0, ByteOrder.BIG_ENDIAN);
        frame.putShort(l3 + PacketInfo.IPV4_CHECKSUM_OFFSET, (short)Checksum.compute(frame, l3, ihl),
            ByteOrder.BIG_ENDIAN);
    }
}
