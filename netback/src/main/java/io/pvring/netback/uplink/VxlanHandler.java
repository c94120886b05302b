package io.pvring.netback.uplink;

import java.net.InetSocketAddress;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.pvring.netback.packet.Offloads;
import io.pvring.netback.packet.PacketInfo;
import io.pvring.netback.vswitch.Offload;
import io.pvring.netback.vswitch.PortSink;
import io.pvring.netback.vswitch.SwitchPort;
import io.pvring.netback.vswitch.VirtualSwitch;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Joins a switch port to a VXLAN segment (RFC 7348): inbound UDP datagrams with the I flag and our VNI carry an
 * inner Ethernet frame into the switch; frames the switch sends to the port go out encapsulated to the remote VTEP.
 * The port is a wire: it advertises no offloads, so the switch completes checksums and segments GSO frames first.
 * Malformed datagrams (short, no I flag, another VNI) are counted and dropped.
 */
public final class VxlanHandler extends SimpleChannelInboundHandler<DatagramPacket> implements PortSink
{
    private final int vni;
    private final InetSocketAddress remote;
    private final ByteBufFrames frames = new ByteBufFrames(VirtualSwitch.MAX_FRAME_LENGTH);
    private volatile Channel channel;
    private volatile SwitchPort port;
    private final PacketInfo info = new PacketInfo();
    private volatile boolean acceptPartialChecksums;
    private long partialChecksums;
    private long malformed;
    private long foreignVni;

    public VxlanHandler(final int vni, final InetSocketAddress remote)
    {
        if (vni < 0 || vni > VxlanHeader.MAX_VNI)
        {
            throw new IllegalArgumentException("vni=" + vni);
        }
        this.vni = vni;
        this.remote = remote;
    }

    /** The switch port this handler feeds; set once, before the channel becomes active. */
    public void port(final SwitchPort port)
    {
        this.port = port;
    }

    @Override
    public void handlerAdded(final ChannelHandlerContext ctx)
    {
        channel = ctx.channel();
    }

    @Override
    protected void channelRead0(final ChannelHandlerContext ctx, final DatagramPacket packet)
    {
        final ByteBuf content = packet.content();
        final int length = content.readableBytes() - VxlanHeader.LENGTH;
        if (length < 14)
        {
            malformed++;
            return;
        }
        final int index = content.readerIndex();
        if ((content.getByte(index + VxlanHeader.FLAGS_OFFSET) & VxlanHeader.FLAG_I) == 0)
        {
            malformed++;
            return;
        }
        if ((content.getInt(index + VxlanHeader.VNI_OFFSET) >>> 8) != vni)
        {
            foreignVni++;
            return;
        }
        final SwitchPort target = port;
        if (target != null)
        {
            final UnsafeBuffer frame = frames.view(content, VxlanHeader.LENGTH, length);
            int flags = 0;
            if (acceptPartialChecksums && info.parse(frame, 0, length) && !Offloads.verifyChecksum(frame, info)
                && Offloads.isPartialChecksum(frame, info))
            {
                flags = Offload.CSUM_BLANK;
                partialChecksums++;
            }
            target.transmit(frame, 0, length, flags, 0, 0);
        }
    }

    @Override
    public boolean deliver(
        final DirectBuffer frame, final int offset, final int length, final int flags, final int gsoType,
        final int gsoSize)
    {
        final Channel ch = channel;
        if (ch == null || !ch.isActive() || !ch.isWritable())
        {
            return false;
        }
        final ByteBuf buf = ch.alloc().directBuffer(VxlanHeader.LENGTH + length);
        buf.writeInt(VxlanHeader.FLAG_I << 24);
        buf.writeInt(vni << 8);
        final int index = buf.writerIndex();
        buf.ensureWritable(length);
        frame.getBytes(offset, buf.nioBuffer(index, length), 0, length);
        buf.writerIndex(index + length);
        ch.writeAndFlush(new DatagramPacket(buf, remote), ch.voidPromise());
        return true;
    }

    /**
     * Treat inner TCP/UDP checksums that hold only the pseudo-header sum as Linux's CHECKSUM_PARTIAL (the frame then
     * travels as {@code csum_blank} and is completed before it reaches a port without checksum offload), as netback
     * does for partial packets from the host stack. Only for a host-local kernel peer, whose veth/vxlan path never
     * finishes such checksums; off by default, where a wrong checksum stays wrong.
     */
    public void acceptPartialChecksums(final boolean accept)
    {
        this.acceptPartialChecksums = accept;
    }

    /** Frames that arrived with a partial checksum and went on as {@code csum_blank}. */
    public long partialChecksums()
    {
        return partialChecksums;
    }

    /** Datagrams dropped because they were short or lacked the I flag. */
    public long malformed()
    {
        return malformed;
    }

    /** Datagrams for another VNI. */
    public long foreignVni()
    {
        return foreignVni;
    }
}
