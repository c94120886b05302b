package io.pvring.unix;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCountUtil;

/**
 * Reads length-framed requests from one client with bounded memory, whatever the client does:
 * <ul>
 * <li>a request is processed only while the channel is writable (what the client has not read of the replies is
 * below the high water mark of {@link ConnectionBounds}), so replies overshoot that mark by at most one request's
 * replies;</li>
 * <li>while a whole request waits (the client does not read, or this turn's quota is spent) the socket is not read
 * ({@code autoRead} off), so what is held inbound is at most one partial frame plus one read;</li>
 * <li>at most {@code framesPerTurn} requests run per event loop turn, the rest after the other channels had theirs,
 * so a client that floods and reads cannot keep the loop from other guests' connections;</li>
 * <li>a frame whose declared length is beyond the protocol's maximum closes the connection (the stream can no
 * longer be framed).</li>
 * </ul>
 * Unlike Netty's {@link ByteToMessageDecoder}, which asks for another read whenever a read produced no message
 * (so a decoder that answers requests itself never stops reading), reading here resumes only when the backlog is
 * gone and the channel is writable again.
 */
public abstract class FrameReader extends ChannelInboundHandlerAdapter
{
    /** {@link #frameLength} says a header is malformed or too long: the connection is closed. */
    protected static final long MALFORMED = -1;

    private final int headerLength;
    private final int framesPerTurn;
    private final Runnable resumeTask;
    private ChannelHandlerContext context;
    private ByteBuf inbound;
    private boolean broken;
    private boolean processing;
    private boolean resumeScheduled;

    /**
     * @param headerLength  bytes needed to know a frame's length.
     * @param framesPerTurn requests processed per event loop turn before yielding to other channels.
     */
    protected FrameReader(final int headerLength, final int framesPerTurn)
    {
        if (headerLength < 1 || framesPerTurn < 1)
        {
            throw new IllegalArgumentException("headerLength=" + headerLength + " framesPerTurn=" + framesPerTurn);
        }
        this.headerLength = headerLength;
        this.framesPerTurn = framesPerTurn;
        this.resumeTask = this::resume;
    }

    /**
     * The whole frame's length (header included) from the {@code headerLength} bytes at {@code index}, or
     * {@link #MALFORMED} when the header is invalid (too long, too short): the connection is then closed.
     */
    protected abstract long frameLength(ByteBuf in, int index);

    /**
     * Processes one whole frame of {@code length} bytes at {@code index} (the reader index) of {@code in}: copy
     * what is needed, the bytes are gone after the call. It may read them with {@code readBytes} (which, unlike
     * {@code getBytes} on a direct buffer without Unsafe, allocates nothing); the reader index is set past the frame
     * afterwards. Writes replies through {@code ctx} without flushing.
     */
    protected abstract void frame(ChannelHandlerContext ctx, ByteBuf in, int index, int length);

    /** Bytes received from the client and not yet processed. Event loop only. */
    public final int inboundBytes()
    {
        return null == inbound ? 0 : inbound.readableBytes();
    }

    /** Whether a malformed frame ended the connection. */
    public final boolean broken()
    {
        return broken;
    }

    @Override
    public void handlerAdded(final ChannelHandlerContext ctx) throws Exception
    {
        context = ctx;
        super.handlerAdded(ctx);
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        if (broken || !(msg instanceof ByteBuf))
        {
            ReferenceCountUtil.release(msg);
            return;
        }
        final ByteBuf data = (ByteBuf)msg;
        inbound = null == inbound ? data : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), inbound, data);
        process(ctx);
    }

    @Override
    public void channelReadComplete(final ChannelHandlerContext ctx)
    {
        ctx.flush();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(final ChannelHandlerContext ctx) throws Exception
    {
        if (!processing)
        {
            if (ctx.channel().isWritable())
            {
                process(ctx);
            }
            else
            {
                ctx.channel().config().setAutoRead(false);
            }
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        releaseInbound();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(final ChannelHandlerContext ctx) throws Exception
    {
        releaseInbound();
        super.handlerRemoved(ctx);
    }

    /**
     * Whether a request may be processed now beyond the channel's own bounds (a quota shared with other
     * connections). When it says no, reading pauses with the request waiting, until {@link #resumeOnEventLoop()}.
     */
    protected boolean mayProcess()
    {
        return true;
    }

    /** Processes waiting requests again (any thread): what {@link #mayProcess()} waited for has happened. */
    protected final void resumeOnEventLoop()
    {
        final ChannelHandlerContext ctx = context;
        if (null != ctx)
        {
            ctx.executor().execute(resumeTask);
        }
    }

    /**
     * Ends the connection after what was written so far (a refusal the client should read): nothing more of its
     * input is processed.
     */
    protected final void endAfterReplies(final ChannelHandlerContext ctx)
    {
        broken = true;
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    /** The connection's context once added to a pipeline (for subclasses that write from other tasks). */
    protected final ChannelHandlerContext context()
    {
        return context;
    }

    private void resume()
    {
        resumeScheduled = false;
        if (processing)
        {
            return;
        }
        final ChannelHandlerContext ctx = context;
        if (null != ctx && ctx.channel().isActive())
        {
            process(ctx);
        }
    }

    private void process(final ChannelHandlerContext ctx)
    {
        final Channel ch = ctx.channel();
        processing = true;
        int done = 0;
        try
        {
            while (!broken && done < framesPerTurn && ch.isWritable() && null != inbound &&
                inbound.readableBytes() >= headerLength && mayProcess())
            {
                final int index = inbound.readerIndex();
                final long length = frameLength(inbound, index);
                if (length < headerLength)
                {
                    broken = true;
                    releaseInbound();
                    ctx.close();
                    break;
                }
                if (inbound.readableBytes() < length)
                {
                    break;
                }
                frame(ctx, inbound, index, (int)length);
                if (null != inbound) // a frame may have closed the channel
                {
                    inbound.readerIndex(index + (int)length);
                }
                done++;
            }
            if (done > 0)
            {
                ctx.flush(); // may make the channel writable again: no nested pass, the resume below continues
            }
        }
        finally
        {
            processing = false;
        }
        if (null != inbound && !inbound.isReadable())
        {
            releaseInbound();
        }
        final boolean backlog = wholeFrameWaiting();
        final boolean writable = ch.isWritable();
        ch.config().setAutoRead(!broken && !backlog && writable);
        if (backlog && writable && !resumeScheduled && mayProcess())
        {
            // Quota spent: the rest after the other channels of this loop had their turn.
            resumeScheduled = true;
            ctx.executor().execute(resumeTask);
        }
    }

    private boolean wholeFrameWaiting()
    {
        if (broken || null == inbound || inbound.readableBytes() < headerLength)
        {
            return false;
        }
        final long length = frameLength(inbound, inbound.readerIndex());
        return length < headerLength || inbound.readableBytes() >= length;
    }

    private void releaseInbound()
    {
        if (null != inbound)
        {
            inbound.release();
            inbound = null;
        }
    }
}
