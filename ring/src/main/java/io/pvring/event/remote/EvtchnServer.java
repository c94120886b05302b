package io.pvring.event.remote;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
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
import io.pvring.event.EventChannelTable;

/**
 * Event channels for processes outside the JVM: the protocol of {@link EvtchnMessageDescriptor} (C:
 * {@code pvring_evtchn.h}) on a Unix domain socket, one {@link EvtchnServerHandler} per connection, one event loop
 * thread. The socket file is made owner-only (0600): like xenstored's socket, whoever can connect is trusted to
 * act for any domain, so the file permissions are the access control (put it in a 0700 directory to close the
 * window between bind and chmod).
 */
public final class EvtchnServer implements AutoCloseable
{
    /** The C header's file name (a resource next to this class). */
    public static final String C_HEADER = "pvring_evtchn.h";

    private final Path socketPath;
    private final EventLoopGroup group;
    private final Channel serverChannel;
    private final ChannelGroup clients;

    private EvtchnServer(
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
     * @param control answers domain_create/domain_destroy; null answers them {@code -ENOSYS}.
     * @throws IOException when the socket cannot be bound.
     */
    public static EvtchnServer start(final EventChannelTable table, final DomainControl control, final Path socketPath)
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
                // Pooled buffers come back through a recycler: reading a send allocates nothing once warm.
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childHandler(new ChannelInitializer<Channel>()
                {
                    @Override
                    protected void initChannel(final Channel c)
                    {
                        clients.add(c);
                        c.pipeline().addLast(new EvtchnServerHandler(table, control));
                    }
                })
                .bind(new DomainSocketAddress(socketPath.toFile()))
                .syncUninterruptibly()
                .channel();
            Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-------"));
            return new EvtchnServer(socketPath, group, ch, clients);
        }
        catch (final RuntimeException | IOException ex)
        {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
            throw new IOException("cannot listen on " + socketPath + ": " + ex.getMessage(), ex);
        }
    }

    /** The C header of the protocol, {@code pvring_evtchn.h}, as shipped in the jar. */
    public static String cHeader()
    {
        try (InputStream in = EvtchnServer.class.getResourceAsStream(C_HEADER))
        {
            if (null == in)
            {
                throw new IllegalStateException(C_HEADER + " missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** Writes {@link #cHeader()} into {@code directory} for C clients to include; returns its path. */
    public static Path writeCHeader(final Path directory)
    {
        final Path header = directory.resolve(C_HEADER);
        try
        {
            Files.writeString(header, cHeader(), StandardCharsets.US_ASCII);
            return header;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write " + header, ex);
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

    /** Closes the listening socket and every connection (their ports close), removes the socket file. Idempotent. */
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
