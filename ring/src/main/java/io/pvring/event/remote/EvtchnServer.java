package io.pvring.event.remote;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import io.netty.buffer.PooledByteBufAllocator;
import io.pvring.event.EventChannelTable;
import io.pvring.unix.ConnectionBounds;
import io.pvring.unix.DomainSocketServer;

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

    private final DomainSocketServer server;

    private EvtchnServer(final DomainSocketServer server)
    {
        this.server = server;
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
        return start(table, control, socketPath, -1);
    }

    /**
     * Listens on {@code socketPath} for one guest's process: a client may say hello only as {@code domid} (any
     * other hello is answered {@code -EPERM} and the connection closed) and cannot create or destroy domains, the
     * way a guest's {@code /dev/xen/evtchn} acts only for that guest.
     *
     * @throws IOException when the socket cannot be bound.
     */
    public static EvtchnServer startForDomain(final EventChannelTable table, final Path socketPath, final int domid)
        throws IOException
    {
        return startForDomain(table, null, socketPath, domid);
    }

    /**
     * As {@link #startForDomain(EventChannelTable, Path, int)}, with {@code control} giving the guest memory its
     * emulator owns ({@link DomainControl#setMemory}; its domain operations stay refused on this socket).
     *
     * @throws IOException when the socket cannot be bound.
     */
    public static EvtchnServer startForDomain(
        final EventChannelTable table, final DomainControl control, final Path socketPath, final int domid)
        throws IOException
    {
        if (domid < 0)
        {
            throw new IllegalArgumentException("domid=" + domid);
        }
        return start(table, control, socketPath, domid);
    }

    private static EvtchnServer start(
        final EventChannelTable table, final DomainControl control, final Path socketPath, final int boundDomid)
        throws IOException
    {
        // Pooled buffers come back through a recycler: reading a send allocates nothing once warm.
        return new EvtchnServer(DomainSocketServer.start(socketPath, PooledByteBufAllocator.DEFAULT,
            PosixFilePermissions.fromString("rw-------"), ConnectionBounds.CONTROL,
            c -> c.pipeline().addLast(new EvtchnServerHandler(table, control, boundDomid))));
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
        return server.socketPath();
    }

    /** Connected clients. */
    public int clients()
    {
        return server.clients();
    }

    /** Clients not being read (see {@link DomainSocketServer#pausedClients()}). */
    public int pausedClients()
    {
        return server.pausedClients();
    }

    /** The most any one client makes the server hold now (see {@link DomainSocketServer#maxClientBufferedBytes()}). */
    public long maxClientBufferedBytes()
    {
        return server.maxClientBufferedBytes();
    }

    /** Closes the listening socket and every connection (their ports close), removes the socket file. Idempotent. */
    @Override
    public void close()
    {
        server.close();
    }
}
