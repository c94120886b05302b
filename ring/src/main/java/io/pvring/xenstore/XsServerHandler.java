package io.pvring.xenstore;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * One xenstore client connection on a socket: requests are answered in order on the channel's event loop through
 * {@link XsRequestProcessor}; watch events are written when the connection's queue signals, only while the channel
 * is writable. A client that stops reading therefore costs at most the channel's write buffer plus the store's
 * bounded, coalesced watch queue; and reading stops while replies cannot be written, so a client that only writes
 * cannot grow the output either.
 */
public final class XsServerHandler extends ChannelInboundHandlerAdapter
{
    private static final int EVENTS_PER_FLUSH = 64;

    private final Function<Channel, XsConnection> connector;
    private final AtomicBoolean eventsScheduled = new AtomicBoolean();
    private XsConnection connection;
    private Channel channel;

    /** @param connector opens the store connection for a new channel (socket clients are dom0 by default). */
    public XsServerHandler(final Function<Channel, XsConnection> connector)
    {
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
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        try
        {
            if (msg instanceof XsMessage && null != connection)
            {
                ctx.write(XsRequestProcessor.process(connection, (XsMessage)msg));
            }
        }
        finally
        {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(final ChannelHandlerContext ctx)
    {
        ctx.flush();
        if (!ctx.channel().isWritable())
        {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelWritabilityChanged(final ChannelHandlerContext ctx) throws Exception
    {
        final boolean writable = ctx.channel().isWritable();
        ctx.channel().config().setAutoRead(writable);
        if (writable)
        {
            writeEvents();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        if (null != connection)
        {
            connection.close();
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        // A broken socket or a protocol violation: this client only.
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

    private void writeEvents()
    {
        final Channel ch = channel;
        if (null == ch || !ch.isActive() || null == connection || connection.isClosed())
        {
            return;
        }
        int written = 0;
        while (ch.isWritable())
        {
            final int n = connection.drainWatchEvents(
                (path, token) -> ch.write(XsMessage.watchEvent(path, token)), EVENTS_PER_FLUSH);
            written += n;
            if (n < EVENTS_PER_FLUSH)
            {
                break;
            }
            ch.flush();
        }
        if (written > 0)
        {
            ch.flush();
        }
    }
}
