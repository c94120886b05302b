package io.pvring.xenstore;

import java.io.IOException;
import java.nio.file.Path;

import io.pvring.unix.ConnectionBounds;
import io.pvring.unix.DomainSocketServer;

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

    private final DomainSocketServer server;

    private XenStoreServer(final DomainSocketServer server)
    {
        this.server = server;
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
        return new XenStoreServer(DomainSocketServer.start(socketPath, null, null, ConnectionBounds.CONTROL,
            c -> c.pipeline().addLast(new XsWireEncoder(), new XsServerHandler(ch -> store.connect(domid)))));
    }

    public Path socketPath()
    {
        return server.socketPath();
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

    /** Closes the listening socket and every client connection, removes the socket file. Idempotent. */
    @Override
    public void close()
    {
        // Each client's channelInactive closes its store connection (its watches and transactions go with it).
        server.close();
    }
}
