package io.pvring.netback.packet;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Software TCP segmentation (GSO) for IPv4 and IPv6, as Linux {@code tcp_gso_segment}/{@code inet_gso_segment} do
 * it: every segment repeats the Ethernet/IP/TCP headers, IPv4 total length and id (+1 per segment) and header
 * checksum are rewritten, the IPv6 payload length is rewritten, the TCP sequence number advances by the payload
 * already sent, FIN and PSH stay only on the last segment and CWR only on the first, and each TCP checksum is
 * computed in full. One instance per agent: it owns its scratch frame, so segmenting allocates nothing.
 */
public final class TcpSegmenter
{
    /** A segment is at most an MTU-sized frame plus headers; 64 KiB covers any MSS in a u16. */
    public static final int SCRATCH_CAPACITY = 65536 + 256;

    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[SCRATCH_CAPACITY]);
    private final PacketInfo segmentInfo = new PacketInfo();

    /**
     * Splits a parsed TCP frame into segments of at most {@code mss} payload bytes and hands each to {@code sink}.
     *
     * @return the number of segments delivered, or -1 when the frame is not TCP, {@code mss} is not positive or the
     *     headers do not leave room (nothing delivered).
     */
    public int segment(final DirectBuffer frame, final PacketInfo info, final int mss, final FrameSink sink)
    {
        if (info.l4Protocol() != PacketInfo.PROTO_TCP || mss <= 0)
        {
            return -1;
        }
        final int headers = info.headersLength();
        if (headers + mss > SCRATCH_CAPACITY)
        {
            return -1;
        }
        final int frameOffset = info.frameOffset();
        final int l3 = info.l3Offset() - frameOffset;
        final int l4 = info.l4Offset() - frameOffset;
        final int tcpHeader = info.l4HeaderLength();
        final int payloadStart = info.l4Offset() + tcpHeader;
        final int payload = info.l3End() - payloadStart;
        final boolean ipv4 = info.isIpv4();
        final int ipv4Id = ipv4 ? frame.getShort(info.l3Offset() + PacketInfo.IPV4_ID_OFFSET, ByteOrder.BIG_ENDIAN)
            & 0xFFFF : 0;
        final int seq = frame.getInt(info.l4Offset() + PacketInfo.TCP_SEQ_OFFSET, ByteOrder.BIG_ENDIAN);
        final int flags = frame.getByte(info.l4Offset() + PacketInfo.TCP_FLAGS_OFFSET) & 0xFF;

        scratch.putBytes(0, frame, frameOffset, headers);
        int sent = 0;
        int segments = 0;
        do
        {
            final int chunk = Math.min(mss, payload - sent);
            final boolean first = sent == 0;
            final boolean last = sent + chunk >= payload;
            scratch.putBytes(headers, frame, payloadStart + sent, chunk);
            if (ipv4)
            {
                scratch.putShort(l3 + PacketInfo.IPV4_TOTAL_LENGTH_OFFSET,
                    (short)(l4 - l3 + tcpHeader + chunk), ByteOrder.BIG_ENDIAN);
                scratch.putShort(l3 + PacketInfo.IPV4_ID_OFFSET, (short)(ipv4Id + segments), ByteOrder.BIG_ENDIAN);
                Offloads.completeIpv4HeaderChecksum(scratch, l3, l4 - l3);
            }
            else
            {
                scratch.putShort(l3 + PacketInfo.IPV6_PAYLOAD_LENGTH_OFFSET,
                    (short)(l4 - l3 - PacketInfo.IPV6_HEADER + tcpHeader + chunk), ByteOrder.BIG_ENDIAN);
            }
            scratch.putInt(l4 + PacketInfo.TCP_SEQ_OFFSET, seq + sent, ByteOrder.BIG_ENDIAN);
            int segmentFlags = flags;
            if (!last)
            {
                segmentFlags &= ~(PacketInfo.TCP_FIN | PacketInfo.TCP_PSH);
            }
            if (!first)
            {
                segmentFlags &= ~PacketInfo.TCP_CWR;
            }
            scratch.putByte(l4 + PacketInfo.TCP_FLAGS_OFFSET, (byte)segmentFlags);
            final int length = headers + chunk;
            segmentInfo.parse(scratch, 0, length);
            Offloads.completeChecksum(scratch, segmentInfo);
            sink.onFrame(scratch, 0, length);
            segments++;
            sent += chunk;
        }
        while (sent < payload);
        return segments;
    }

    /** The scratch frame segments are built in (exposed for tests that check it is reused). */
    MutableDirectBuffer scratch()
    {
        return scratch;
    }
}
