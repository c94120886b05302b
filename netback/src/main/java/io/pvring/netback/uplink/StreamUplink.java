package io.pvring.netback.uplink;

import java.net.SocketAddress;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.pvring.netback.vswitch.VirtualSwitch;

/**
 * QEMU {@code -netdev stream} uplinks: either a server every connecting peer joins as its own switch port
 * ({@code qemu -netdev stream,id=n0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=N} or
 * {@code addr.type=unix,addr.path=P}), or a client connecting to a QEMU that listens ({@code server=on}). TCP uses
 * NIO; Unix sockets use the epoll transport. {@link #close()} drops every connection and its port.
 */
public final class StreamUplink implements AutoCloseable
{
    private final EventLoopGroup group;
    private final Channel channel;

    private StreamUplink(final EventLoopGroup group, final Channel channel)
    {
        this.group = group;
        this.channel = channel;
    }

    /** Listens on {@code address} (an {@code InetSocketAddress} or a {@link DomainSocketAddress}). */
    public static StreamUplink listen(final VirtualSwitch vswitch, final String name, final SocketAddress address)
    {
        final boolean unix = address instanceof DomainSocketAddress;
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
            unix ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        final Class<? extends ServerChannel> type = unix ? EpollServerDomainSocketChannel.class
            : NioServerSocketChannel.class;
        try
        {
            final Channel server = new ServerBootstrap()
                .group(group)
                .channel(type)
                .childHandler(initializer(vswitch, name))
                .bind(address).sync().channel();
            return new StreamUplink(group, server);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IllegalStateException("interrupted listening on " + address, ex);
        }
        catch (final RuntimeException ex)
        {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IllegalStateException("cannot listen on " + address, ex);
        }
    }

    /**
     * Connects to a peer listening on {@code address}; the connection is one switch port, attached when this
     * returns.
     */
    public static StreamUplink connect(final VirtualSwitch vswitch, final String name, final SocketAddress address)
    {
        final boolean unix = address instanceof DomainSocketAddress;
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
            unix ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        try
        {
            final StreamHandler handler = new StreamHandler(vswitch, name + "-" + address);
            final Channel client = new Bootstrap()
                .group(group)
                .channel(unix ? EpollDomainSocketChannel.class : NioSocketChannel.class)
                .handler(new ChannelInitializer<Channel>()
                {
                    @Override
                    protected void initChannel(final Channel ch)
                    {
                        ch.pipeline().addLast(new StreamFrameDecoder(), handler);
                    }
                })
                .connect(address).sync().channel();
            handler.attached().get(10, TimeUnit.SECONDS);
            return new StreamUplink(group, client);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IllegalStateException("interrupted connecting to " + address, ex);
        }
        catch (final ExecutionException | TimeoutException ex)
        {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IllegalStateException("connection to " + address + " never became active", ex);
        }
        catch (final RuntimeException ex)
        {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IllegalStateException("cannot connect to " + address, ex);
        }
    }

    private static ChannelInitializer<Channel> initializer(final VirtualSwitch vswitch, final String name)
    {
        return new ChannelInitializer<>()
        {
            @Override
            protected void initChannel(final Channel ch)
            {
                ch.pipeline().addLast(new StreamFrameDecoder(), new StreamHandler(vswitch, name + "-"
                    + ch.remoteAddress()));
            }
        };
    }

    public SocketAddress localAddress()
    {
        return channel.localAddress();
    }

    @Override
    public void close()
    {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
