package io.pvring.bench.net;

import java.nio.ByteOrder;

import org.agrona.concurrent.UnsafeBuffer;

import io.pvring.netback.packet.Checksum;
import io.pvring.netback.packet.Ethernet;

/**
 * The frames a bench guest sends: Ethernet + IPv4 + UDP (or TCP for GSO), with the send stamp in the payload so
 * the receiver can measure one-way latency. Without checksum offload the sender computes the L4 checksum in
 * software for every frame, as a guest without {@code csum_blank} must; with it, only the pseudo-header sum goes in
 * (Linux's {@code CHECKSUM_PARTIAL}).
 */
public final class FrameBuilder
{
    static final int IP_OFFSET = Ethernet.HEADER_LENGTH;
    static final int L4_OFFSET = IP_OFFSET + 20;
    static final int UDP_PAYLOAD_OFFSET = L4_OFFSET + 8;
    static final int TCP_PAYLOAD_OFFSET = L4_OFFSET + 20;
    private static final int PROTO_TCP = 6;
    private static final int PROTO_UDP = 17;

    private final UnsafeBuffer frame;
    private final int length;
    private final boolean tcp;
    private final boolean csumOffload;
    private final int stampOffset;
    private final int l4Length;
    private final long pseudoSum;

    public FrameBuilder(final long srcMac, final long dstMac, final int srcIp, final int dstIp, final int length,
        final boolean tcp, final boolean csumOffload)
    {
        this.frame = new UnsafeBuffer(new byte[length]);
        this.length = length;
        this.tcp = tcp;
        this.csumOffload = csumOffload;
        this.stampOffset = tcp ? TCP_PAYLOAD_OFFSET : UDP_PAYLOAD_OFFSET;
        this.l4Length = length - L4_OFFSET;
        Ethernet.putMac(frame, Ethernet.DST_OFFSET, dstMac);
        Ethernet.putMac(frame, Ethernet.SRC_OFFSET, srcMac);
        frame.putShort(Ethernet.TYPE_OFFSET, (short)Ethernet.TYPE_IPV4, ByteOrder.BIG_ENDIAN);
        frame.putByte(IP_OFFSET, (byte)0x45);
        frame.putShort(IP_OFFSET + 2, (short)(length - IP_OFFSET), ByteOrder.BIG_ENDIAN);
        frame.putShort(IP_OFFSET + 6, (short)0x4000, ByteOrder.BIG_ENDIAN); // don't fragment
        frame.putByte(IP_OFFSET + 8, (byte)64);
        frame.putByte(IP_OFFSET + 9, (byte)(tcp ? PROTO_TCP : PROTO_UDP));
        frame.putInt(IP_OFFSET + 12, srcIp, ByteOrder.BIG_ENDIAN);
        frame.putInt(IP_OFFSET + 16, dstIp, ByteOrder.BIG_ENDIAN);
        frame.putShort(IP_OFFSET + 10, (short)Checksum.compute(frame, IP_OFFSET, 20), ByteOrder.BIG_ENDIAN);
        frame.putShort(L4_OFFSET, (short)40000, ByteOrder.BIG_ENDIAN);
        frame.putShort(L4_OFFSET + 2, (short)9, ByteOrder.BIG_ENDIAN); // discard
        if (tcp)
        {
            frame.putByte(L4_OFFSET + 12, (byte)0x50);
            frame.putByte(L4_OFFSET + 13, (byte)0x18); // PSH, ACK
            frame.putShort(L4_OFFSET + 14, (short)65535, ByteOrder.BIG_ENDIAN);
        }
        else
        {
            frame.putShort(L4_OFFSET + 4, (short)l4Length, ByteOrder.BIG_ENDIAN);
        }
        for (int i = stampOffset + 8; i < length; i++)
        {
            frame.putByte(i, (byte)i);
        }
        long pseudo = 0;
        pseudo += (srcIp >>> 16) + (srcIp & 0xFFFF) + (dstIp >>> 16) + (dstIp & 0xFFFF);
        pseudo += tcp ? PROTO_TCP : PROTO_UDP;
        pseudo += l4Length;
        this.pseudoSum = pseudo;
    }

    public int length()
    {
        return length;
    }

    public int stampOffset()
    {
        return stampOffset;
    }

    /** Stamps the frame and fills in its L4 checksum (full, or the pseudo-header part under offload). */
    public UnsafeBuffer stamp(final long stamp)
    {
        frame.putLong(stampOffset, stamp, ByteOrder.LITTLE_ENDIAN);
        final int checksumOffset = L4_OFFSET + (tcp ? 16 : 6);
        if (csumOffload)
        {
            frame.putShort(checksumOffset, (short)Checksum.fold(pseudoSum), ByteOrder.BIG_ENDIAN);
        }
        else
        {
            frame.putShort(checksumOffset, (short)0);
            final int sum = Checksum.finish(Checksum.add(pseudoSum, frame, L4_OFFSET, l4Length));
            frame.putShort(checksumOffset, (short)(sum == 0 && !tcp ? 0xFFFF : sum), ByteOrder.BIG_ENDIAN);
        }
        return frame;
    }
}
