package io.pvring.unix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.GlobalEventExecutor;

/**
 * A listening Unix domain socket on one epoll event loop thread, with its clients kept in a group so that closing
 * the server closes every connection. The protocol is the caller's: it sets up each client's pipeline.
 */
public final class DomainSocketServer implements AutoCloseable
{
    private final Path socketPath;
    private final EventLoopGroup group;
    private final Channel serverChannel;
    private final ChannelGroup clients;

    private DomainSocketServer(
        final Path socketPath, final EventLoopGroup group, final Channel serverChannel, final ChannelGroup clients)
    {
        this.socketPath = socketPath;
        this.group = group;
        this.serverChannel = serverChannel;
        this.clients = clients;
    }

    /**
     * Listens on {@code socketPath} (a stale socket file there is replaced).
     *
     * @param allocator   the clients' buffer allocator, or null for Netty's default.
     * @param permissions what the socket file is set to once bound, or null to leave it to the umask.
     * @param bounds      what one client may make the server buffer.
     * @param pipeline    adds a new client's handlers, on the event loop thread.
     * @throws IOException when the socket cannot be bound (or its permissions set).
     */
    public static DomainSocketServer start(final Path socketPath, final ByteBufAllocator allocator,
        final Set<PosixFilePermission> permissions, final ConnectionBounds bounds, final Consumer<Channel> pipeline)
        throws IOException
    {
        Files.deleteIfExists(socketPath);
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        final ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        try
        {
            final ServerBootstrap bootstrap = bounds.applyToChildren(new ServerBootstrap())
                .group(group)
                .channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>()
                {
                    @Override
                    protected void initChannel(final Channel c)
                    {
                        clients.add(c);
                        pipeline.accept(c);
                    }
                });
            if (null != allocator)
            {
                bootstrap.childOption(ChannelOption.ALLOCATOR, allocator);
            }
            final Channel ch = bootstrap
                .bind(new DomainSocketAddress(socketPath.toFile()))
                .syncUninterruptibly()
                .channel();
            if (null != permissions)
            {
                Files.setPosixFilePermissions(socketPath, permissions);
            }
            return new DomainSocketServer(socketPath, group, ch, clients);
        }
        catch (final RuntimeException | IOException ex)
        {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
            throw new IOException("cannot listen on " + socketPath + ": " + ex.getMessage(), ex);
        }
    }

    public Path socketPath()
    {
        return socketPath;
    }

    /** Connected clients. */
    public int clients()
    {
        return clients.size();
    }

    /** Clients whose requests are not being read (they do not read their replies, or have a backlog). */
    public int pausedClients()
    {
        return onEventLoop(() ->
        {
            int paused = 0;
            for (final Channel c : clients)
            {
                paused += c.isActive() && !c.config().isAutoRead() ? 1 : 0;
            }
            return paused;
        });
    }

    /**
     * The most any one client makes the server hold right now: bytes written to it that it has not read, plus bytes
     * read from it and not yet processed by its {@link FrameReader}s. Measured on the event loop.
     */
    public long maxClientBufferedBytes()
    {
        return onEventLoop(() ->
        {
            long max = 0;
            for (final Channel c : clients)
            {
                long held = ConnectionBounds.outboundBytes(c);
                for (final Map.Entry<String, ChannelHandler> e : c.pipeline())
                {
                    if (e.getValue() instanceof FrameReader)
                    {
                        held += ((FrameReader)e.getValue()).inboundBytes();
                    }
                }
                max = Math.max(max, held);
            }
            return max;
        });
    }

    private <T> T onEventLoop(final Callable<T> probe)
    {
        try
        {
            return group.submit(probe).get(10, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted measuring " + socketPath, ex);
        }
        catch (final ExecutionException | TimeoutException ex)
        {
            throw new IllegalStateException("cannot measure the clients of " + socketPath + " within 10 s", ex);
        }
    }

    /** Closes the listening socket and every connection, removes the socket file. Idempotent. */
    @Override
    public void close()
    {
        serverChannel.close().syncUninterruptibly();
        clients.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        try
        {
            Files.deleteIfExists(socketPath);
        }
        catch (final IOException ex)
        {
            // Nothing listens there any more; a stale file is replaced by the next start.
        }
    }
}
