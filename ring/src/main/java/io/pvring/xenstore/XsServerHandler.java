package io.pvring.xenstore;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.pvring.unix.FrameReader;

import static io.pvring.xenstore.XsSockMsgDescriptor.HEADER_LENGTH;
import static io.pvring.xenstore.XsSockMsgDescriptor.LEN_OFFSET;
import static io.pvring.xenstore.XsSockMsgDescriptor.REQ_ID_OFFSET;
import static io.pvring.xenstore.XsSockMsgDescriptor.TX_ID_OFFSET;
import static io.pvring.xenstore.XsSockMsgDescriptor.TYPE_OFFSET;
import static io.pvring.xenstore.XsSockMsgDescriptor.XENSTORE_PAYLOAD_MAX;

/**
 * One xenstore client connection on a socket: {@code xsd_sockmsg} frames (native little-endian header, then
 * {@code len} bytes) are answered in order on the channel's event loop through {@link XsRequestProcessor}, with the
 * bounds of {@link FrameReader}: a header announcing more than {@code XENSTORE_PAYLOAD_MAX} bytes closes the
 * connection (cxenstored treats it as {@code XENSTORE_ERROR_PROTO}), a request is answered only while the client
 * has read its earlier replies (up to the channel's high water mark), and reading stops meanwhile. Watch events are
 * written, one at a time, only while the channel is writable; the rest wait in the store's bounded queue
 * ({@link XsConnection}). An unprivileged domain's connections together have at most
 * {@link XenStoreQuotas#outstandingRequestsPerDomain()} replies not yet taken by their clients
 * ({@link OutstandingRequests}); at that quota they read nothing more.
 */
public final class XsServerHandler extends FrameReader
{
    /** Requests answered per event loop turn before other connections get theirs. */
    static final int REQUESTS_PER_TURN = 64;
    /** The largest frame a client may send. */
    public static final int MAX_FRAME = HEADER_LENGTH + XENSTORE_PAYLOAD_MAX;

    private final Function<Channel, XsConnection> connector;
    private final AtomicBoolean eventsScheduled = new AtomicBoolean();
    private final Runnable resumeWaiter = this::quotaFreed;
    private volatile boolean quotaStalled;
    private XsConnection connection;
    private OutstandingRequests outstanding;
    private Channel channel;

    /** @param connector opens the store connection for a new channel (socket clients are dom0 by default). */
    public XsServerHandler(final Function<Channel, XsConnection> connector)
    {
        super(HEADER_LENGTH, REQUESTS_PER_TURN);
        this.connector = connector;
    }

    /** A handler whose clients are privileged dom0 connections of {@code store}. */
    public static XsServerHandler dom0(final XenStore store)
    {
        return new XsServerHandler(ch -> store.connect(XenStore.DOM0));
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx) throws Exception
    {
        channel = ctx.channel();
        connection = connector.apply(channel);
        connection.watchListener(this::scheduleEvents);
        if (!connection.privileged())
        {
            outstanding = connection.store().outstandingRequests(connection.domid());
            outstanding.addWaiter(resumeWaiter);
        }
        super.channelActive(ctx);
    }

    @Override
    protected boolean mayProcess()
    {
        if (null == outstanding || outstanding.mayStart())
        {
            return true;
        }
        quotaStalled = true;
        if (outstanding.mayStart()) // a reply taken between the check and the flag: no wake-up would come
        {
            quotaStalled = false;
            return true;
        }
        return false;
    }

    /** The domain went below its quota: resume if this connection was waiting for that. */
    private void quotaFreed()
    {
        if (quotaStalled)
        {
            quotaStalled = false;
            resumeOnEventLoop();
        }
    }

    @Override
    protected long frameLength(final ByteBuf in, final int index)
    {
        final long len = in.getUnsignedIntLE(index + LEN_OFFSET);
        return len > XENSTORE_PAYLOAD_MAX ? MALFORMED : HEADER_LENGTH + len;
    }

    @Override
    protected void frame(final ChannelHandlerContext ctx, final ByteBuf in, final int index, final int length)
    {
        final byte[] payload = new byte[length - HEADER_LENGTH];
        in.getBytes(index + HEADER_LENGTH, payload);
        final XsMessage request = new XsMessage(in.getIntLE(index + TYPE_OFFSET), in.getIntLE(index + REQ_ID_OFFSET),
            in.getIntLE(index + TX_ID_OFFSET), payload);
        if (null == connection)
        {
            return;
        }
        final XsMessage reply = XsRequestProcessor.process(connection, request);
        if (null == outstanding)
        {
            ctx.write(reply);
            return;
        }
        // Outstanding until the kernel took the reply (or the write failed with the connection).
        final OutstandingRequests domain = outstanding;
        domain.started();
        ctx.write(reply).addListener(f -> domain.finished());
    }

    @Override
    public void channelWritabilityChanged(final ChannelHandlerContext ctx) throws Exception
    {
        super.channelWritabilityChanged(ctx);
        if (ctx.channel().isWritable())
        {
            writeEvents();
        }
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        if (null != outstanding)
        {
            outstanding.removeWaiter(resumeWaiter);
        }
        if (null != connection)
        {
            connection.close();
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        // A broken socket: this client only.
        ctx.close();
    }

    /** Called by the store on whatever thread changed it: hop to the event loop once. */
    private void scheduleEvents()
    {
        final Channel ch = channel;
        if (null != ch && eventsScheduled.compareAndSet(false, true))
        {
            ch.eventLoop().execute(() ->
            {
                eventsScheduled.set(false);
                writeEvents();
            });
        }
    }

    /** One event at a time while the client keeps up: the output overshoots the high water mark by one event. */
    private void writeEvents()
    {
        final Channel ch = channel;
        if (null == ch || !ch.isActive() || null == connection || connection.isClosed())
        {
            return;
        }
        int written = 0;
        while (ch.isWritable() && connection.drainWatchEvents(
            (path, token) -> ch.write(XsMessage.watchEvent(path, token)), 1) == 1)
        {
            written++;
        }
        if (written > 0)
        {
            ch.flush();
        }
    }
}
