package io.pvring.netback.uplink;

import java.util.concurrent.CompletableFuture;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.pvring.netback.vswitch.Offload;
import io.pvring.netback.vswitch.PortSink;
import io.pvring.netback.vswitch.SwitchPort;
import io.pvring.netback.vswitch.VirtualSwitch;
import org.agrona.DirectBuffer;

/**
 * One QEMU {@code -netdev stream} peer as a switch port. Sits behind a {@link StreamFrameDecoder} (which turns the
 * byte stream into frames); frames the switch sends to the port are written with their 4-byte length prefix in one
 * buffer. The port is attached when the connection becomes active and detached when it closes.
 */
public final class StreamHandler extends SimpleChannelInboundHandler<ByteBuf> implements PortSink
{
    private final VirtualSwitch vswitch;
    private final String name;
    private final ByteBufFrames frames = new ByteBufFrames(StreamFraming.MAX_FRAME_LENGTH);
    private volatile Channel channel;
    private volatile SwitchPort port;
    private final CompletableFuture<SwitchPort> attached =
        new CompletableFuture<>();

    public StreamHandler(final VirtualSwitch vswitch, final String name)
    {
        this.vswitch = vswitch;
        this.name = name;
    }

    public SwitchPort port()
    {
        return port;
    }

    /** Completes with the port once the connection is active and attached to the switch. */
    public CompletableFuture<SwitchPort> attached()
    {
        return attached;
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx) throws Exception
    {
        channel = ctx.channel();
        port = vswitch.attach(name, this, Offload.CAP_NONE);
        attached.complete(port);
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        final SwitchPort p = port;
        if (p != null)
        {
            p.detach();
        }
        super.channelInactive(ctx);
    }

    @Override
    protected void channelRead0(final ChannelHandlerContext ctx, final ByteBuf frame)
    {
        final SwitchPort p = port;
        final int length = frame.readableBytes();
        if (p != null)
        {
            p.transmit(frames.view(frame, 0, length), 0, length, 0, 0, 0);
        }
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        // a peer violating the framing (oversize length) loses its connection, nothing else
        ctx.close();
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
        final ByteBuf buf = ch.alloc().directBuffer(StreamFraming.LENGTH_FIELD + length);
        buf.writeInt(length);
        final int index = buf.writerIndex();
        frame.getBytes(offset, buf.nioBuffer(index, length), 0, length);
        buf.writerIndex(index + length);
        ch.writeAndFlush(buf, ch.voidPromise());
        return true;
    }
}
