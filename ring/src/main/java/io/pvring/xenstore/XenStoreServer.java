package io.pvring.xenstore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.GlobalEventExecutor;

/**
 * The {@code xs_wire.h} protocol on a Unix domain socket, so that Xen's own tools ({@code xenstore-read} etc., with
 * {@code XENSTORED_PATH=<socket>}) and programs linked with libxenstore talk to a {@link XenStore}. On the socket
 * made by {@link #start(XenStore, Path)} every client is a privileged dom0 connection, as on xenstored's own
 * socket; on one made by {@link #startForDomain(XenStore, Path, int)} every client acts as that (unprivileged)
 * domain, the way a guest's xenbus device is confined: permissions apply and relative paths resolve below
 * {@code /local/domain/<domid>}. One event loop thread.
 */
public final class XenStoreServer implements AutoCloseable
{
    /** The environment variable libxenstore reads for the socket path ({@code xs_daemon_socket()}). */
    public static final String XENSTORED_PATH_ENV = "XENSTORED_PATH";

    private final Path socketPath;
    private final EventLoopGroup group;
    private final Channel serverChannel;
    private final ChannelGroup clients;

    private XenStoreServer(
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
     * @throws IOException when the socket cannot be bound.
     */
    public static XenStoreServer start(final XenStore store, final Path socketPath) throws IOException
    {
        return start(store, socketPath, XenStore.DOM0);
    }

    /**
     * Listens on {@code socketPath} for clients acting as domain {@code domid} (unprivileged unless it is dom0):
     * an out-of-process guest's libxenstore.
     *
     * @throws IOException when the socket cannot be bound.
     */
    public static XenStoreServer startForDomain(final XenStore store, final Path socketPath, final int domid)
        throws IOException
    {
        return start(store, socketPath, domid);
    }

    private static XenStoreServer start(final XenStore store, final Path socketPath, final int domid)
        throws IOException
    {
        Files.deleteIfExists(socketPath);
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        final ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        try
        {
            final Channel ch = new ServerBootstrap()
                .group(group)
                .channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>()
                {
                    @Override
                    protected void initChannel(final Channel c)
                    {
                        clients.add(c);
                        c.pipeline().addLast(
                            new XsWireDecoder(), new XsWireEncoder(), new XsServerHandler(ch -> store.connect(domid)));
                    }
                })
                .bind(new DomainSocketAddress(socketPath.toFile()))
                .syncUninterruptibly()
                .channel();
            return new XenStoreServer(socketPath, group, ch, clients);
        }
        catch (final RuntimeException ex)
        {
            group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.MILLISECONDS).syncUninterruptibly();
            throw new IOException("cannot listen on " + socketPath + ": " + ex.getMessage(), ex);
        }
    }

    public Path socketPath()
    {
        return socketPath;
    }

    /** Closes the listening socket and every client connection, removes the socket file. Idempotent. */
    @Override
    public void close()
    {
        serverChannel.close().syncUninterruptibly();
        // Each client's channelInactive closes its store connection (its watches and transactions go with it).
        clients.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
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
