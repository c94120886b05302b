package io.pvring.unix;

import io.netty.bootstrap.AbstractBootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.WriteBufferWaterMark;

/**
 * What one socket client may make the server hold, as Netty channel settings: replies the client has not read
 * stop the server reading its requests at {@code highWaterMark} bytes (resuming below {@code lowWaterMark}), and
 * one read takes at most {@code readChunk} bytes, one read per event loop turn. With a {@link FrameReader} a
 * connection therefore holds at most {@link #maxBufferedBytes(int, int)}: a constant per protocol.
 *
 * @param lowWaterMark  pending outbound bytes below which a paused client is read again.
 * @param highWaterMark pending outbound bytes at which the channel stops being writable.
 * @param readChunk     the largest single read from the socket.
 */
public record ConnectionBounds(int lowWaterMark, int highWaterMark, int readChunk)
{
    /** The bounds of pvring's control sockets (event channels, xenstore). */
    public static final ConnectionBounds CONTROL = new ConnectionBounds(8 * 1024, 16 * 1024, 16 * 1024);

    /**
     * Netty's accounting overhead per queued write ({@code ChannelOutboundBuffer}'s entry estimate), already part of
     * the pending bytes the water marks compare.
     */
    public static final int WRITE_ENTRY_OVERHEAD = 96;

    public ConnectionBounds
    {
        if (lowWaterMark < 1 || highWaterMark < lowWaterMark || readChunk < 64)
        {
            throw new IllegalArgumentException("lowWaterMark=" + lowWaterMark + " highWaterMark=" + highWaterMark +
                " readChunk=" + readChunk);
        }
    }

    /** Applies the bounds to every accepted client of {@code bootstrap}. */
    public ServerBootstrap applyToChildren(final ServerBootstrap bootstrap)
    {
        return bootstrap
            .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(lowWaterMark, highWaterMark))
            .childOption(ChannelOption.RECVBUF_ALLOCATOR, allocator());
    }

    /** Applies the bounds to a client channel made by {@code bootstrap}. */
    public <B extends AbstractBootstrap<B, C>, C extends Channel> B apply(final B bootstrap)
    {
        return bootstrap
            .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(lowWaterMark, highWaterMark))
            .option(ChannelOption.RECVBUF_ALLOCATOR, allocator());
    }

    /**
     * The most a {@link FrameReader} connection holds: one partial frame and one read inbound; outbound the high
     * water mark plus one request's replies (each counted with Netty's entry overhead) plus one batch of
     * server-initiated messages written while still writable.
     *
     * @param maxFrame         the protocol's largest request.
     * @param maxRepliesBytes  the most one request (or one batch of events) adds to the output, overhead included.
     */
    public long maxBufferedBytes(final int maxFrame, final int maxRepliesBytes)
    {
        return (long)maxFrame + readChunk + highWaterMark + 2L * maxRepliesBytes;
    }

    /** Bytes written to {@code channel} and not yet taken by the kernel (the client has not read them). */
    public static long outboundBytes(final Channel channel)
    {
        final ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        return null == out ? 0 : out.totalPendingWriteBytes();
    }

    private AdaptiveRecvByteBufAllocator allocator()
    {
        final AdaptiveRecvByteBufAllocator allocator = new AdaptiveRecvByteBufAllocator(64, 1024, readChunk);
        allocator.maxMessagesPerRead(1);
        return allocator;
    }
}
