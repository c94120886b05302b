package io.pvring.netback.uplink;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.pvring.netback.vswitch.Offload;
import io.pvring.netback.vswitch.SwitchPort;
import io.pvring.netback.vswitch.VirtualSwitch;

/**
 * A VXLAN uplink: a UDP socket bound to a local address, exchanging encapsulated frames with one remote VTEP (for
 * instance a Linux {@code vxlan} device created with {@code remote <local address> dstport <port>}), attached to a
 * {@link VirtualSwitch} as one port. Owns its event loop thread; {@link #close()} detaches the port and stops it.
 */
public final class VxlanUplink implements AutoCloseable
{
    private final EventLoopGroup group;
    private final Channel channel;
    private final SwitchPort port;
    private final VxlanHandler handler;

    private VxlanUplink(
        final EventLoopGroup group, final Channel channel, final SwitchPort port, final VxlanHandler handler)
    {
        this.group = group;
        this.channel = channel;
        this.port = port;
        this.handler = handler;
    }

    /**
     * Binds {@code local}, attaches a port named {@code name} and starts forwarding.
     *
     * @throws IllegalStateException when the socket cannot be bound (configuration, not guest input).
     */
    public static VxlanUplink start(
        final VirtualSwitch vswitch, final String name, final InetSocketAddress local, final InetSocketAddress remote,
        final int vni)
    {
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        final VxlanHandler handler = new VxlanHandler(vni, remote);
        final SwitchPort port = vswitch.attach(name, handler, Offload.CAP_NONE);
        handler.port(port);
        try
        {
            final Channel channel = new Bootstrap()
                .group(group)
                .channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<DatagramChannel>()
                {
                    @Override
                    protected void initChannel(final DatagramChannel ch)
                    {
                        ch.pipeline().addLast(handler);
                    }
                })
                .bind(local).sync().channel();
            return new VxlanUplink(group, channel, port, handler);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            port.detach();
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IllegalStateException("interrupted binding " + local, ex);
        }
        catch (final RuntimeException ex)
        {
            port.detach();
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IllegalStateException("cannot bind vxlan uplink to " + local, ex);
        }
    }

    public SwitchPort port()
    {
        return port;
    }

    public VxlanHandler handler()
    {
        return handler;
    }

    public InetSocketAddress localAddress()
    {
        return (InetSocketAddress)channel.localAddress();
    }

    @Override
    public void close()
    {
        port.detach();
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
