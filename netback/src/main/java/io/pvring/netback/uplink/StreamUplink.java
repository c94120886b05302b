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
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.unix.ConnectionBounds;

/**
 * QEMU {@code -netdev stream} uplinks: either a server every connecting peer joins as its own switch port
 * ({@code qemu -netdev stream,id=n0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=N} or
 * {@code addr.type=unix,addr.path=P}), or a client connecting to a QEMU that listens ({@code server=on}). TCP uses
 * NIO; Unix sockets use the epoll transport. {@link #close()} drops every connection and its port.
 */
public final class StreamUplink implements AutoCloseable
{
    /**
     * Per peer: frames to it stop (and are dropped and counted by the switch) while 128 KiB it has not read are
     * queued; one read of at most 64 KiB per event loop turn, so a flooding peer cannot keep others waiting.
     */
    public static final ConnectionBounds BOUNDS = new ConnectionBounds(32 * 1024, 128 * 1024, 64 * 1024);
    /** The most one peer makes pvring hold: a partial frame and a read inbound, the water mark and one frame out. */
    public static final long MAX_BUFFERED_PER_PEER = BOUNDS.maxBufferedBytes(
        StreamFraming.LENGTH_FIELD + StreamFraming.MAX_FRAME_LENGTH,
        StreamFraming.LENGTH_FIELD + StreamFraming.MAX_FRAME_LENGTH + ConnectionBounds.WRITE_ENTRY_OVERHEAD);

    private final EventLoopGroup group;
    private final Channel channel;
    private final ChannelGroup peers;

    private StreamUplink(final EventLoopGroup group, final Channel channel, final ChannelGroup peers)
    {
        this.group = group;
        this.channel = channel;
        this.peers = peers;
    }

    /** Listens on {@code address} (an {@code InetSocketAddress} or a {@link DomainSocketAddress}). */
    public static StreamUplink listen(final VirtualSwitch vswitch, final String name, final SocketAddress address)
    {
        final boolean unix = address instanceof DomainSocketAddress;
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
            unix ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        final Class<? extends ServerChannel> type = unix ? EpollServerDomainSocketChannel.class
            : NioServerSocketChannel.class;
        final ChannelGroup peers = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        try
        {
            final Channel server = BOUNDS.applyToChildren(new ServerBootstrap())
                .group(group)
                .channel(type)
                .childHandler(initializer(vswitch, name, peers))
                .bind(address).sync().channel();
            return new StreamUplink(group, server, peers);
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
            final ChannelGroup peers = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
            final Channel client = BOUNDS.apply(new Bootstrap())
                .group(group)
                .channel(unix ? EpollDomainSocketChannel.class : NioSocketChannel.class)
                .handler(new ChannelInitializer<Channel>()
                {
                    @Override
                    protected void initChannel(final Channel ch)
                    {
                        peers.add(ch);
                        ch.pipeline().addLast(new StreamFrameDecoder(), handler);
                    }
                })
                .connect(address).sync().channel();
            handler.attached().get(10, TimeUnit.SECONDS);
            return new StreamUplink(group, client, peers);
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

    private static ChannelInitializer<Channel> initializer(
        final VirtualSwitch vswitch, final String name, final ChannelGroup peers)
    {
        return new ChannelInitializer<>()
        {
            @Override
            protected void initChannel(final Channel ch)
            {
                peers.add(ch);
                ch.pipeline().addLast(new StreamFrameDecoder(), new StreamHandler(vswitch, name + "-"
                    + ch.remoteAddress()));
            }
        };
    }

    public SocketAddress localAddress()
    {
        return channel.localAddress();
    }

    /**
     * The most any one peer makes pvring hold now: frames written to it and not read, plus bytes read from it and
     * not yet framed. Measured on the event loop.
     */
    public long maxPeerBufferedBytes()
    {
        try
        {
            return group.submit(() ->
            {
                long max = 0;
                for (final Channel c : peers)
                {
                    final StreamFrameDecoder decoder = c.pipeline().get(StreamFrameDecoder.class);
                    max = Math.max(max, ConnectionBounds.outboundBytes(c) +
                        (null == decoder ? 0 : decoder.bufferedBytes()));
                }
                return max;
            }).get(10, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted measuring the peers", ex);
        }
        catch (final ExecutionException | TimeoutException ex)
        {
            throw new IllegalStateException("cannot measure the peers within 10 s", ex);
        }
    }

    /** Connected peers. */
    public int peers()
    {
        return peers.size();
    }

    @Override
    public void close()
    {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
