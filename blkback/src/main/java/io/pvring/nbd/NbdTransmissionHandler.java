package io.pvring.nbd;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import static io.pvring.nbd.NbdTransmissionDescriptor.REPLY_COOKIE_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REPLY_ERROR_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REPLY_HEADER_LENGTH;
import static io.pvring.nbd.NbdTransmissionDescriptor.REPLY_MAGIC_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_COOKIE_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_FLAGS_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_HEADER_LENGTH;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_LENGTH_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_MAGIC_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_OFFSET_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_TYPE_OFFSET;

/**
 * The transmission phase on the event loop: takes published slots from the submission queue once per batch,
 * encodes them (splitting at the payload limit) into one pooled buffer and flushes the socket once; decodes simple
 * replies as a stream (payload copied straight into the caller's memory as it arrives), matches them by cookie in
 * any order, and completes each caller request once all its parts are answered. Any protocol violation, a lost
 * connection or a request past its timeout fails the whole connection: every request completes with an error.
 *
 * <p>Completions found while reading are told to the sink together when the read ends
 * ({@code channelReadComplete}), in the order they were answered: the sink (a ring's completion queue) wakes its
 * thread once for what one socket read brought, not on the first of them and again for the rest.
 */
final class NbdTransmissionHandler extends ChannelInboundHandlerAdapter
{
    /** TRIM and WRITE_ZEROES carry no payload; they are split only to fit the 32-bit length field. */
    static final long NO_PAYLOAD_CHUNK = 1L << 30;
    /**
     * The pooled buffer a batch's requests are encoded into: 292 headers, or a 4 KiB write and 145. A larger part
     * gets a buffer of its own size.
     */
    static final int BATCH_BUFFER_BYTES = 8192;

    private final String server;
    private final NbdCompletionSink sink;
    private final NbdInFlight requests;
    private final NbdMemory memory = new NbdMemory();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Runnable drainTask = this::drain;
    private final Runnable timeoutTask = this::checkTimeouts;
    private final ByteBuf header = Unpooled.buffer(REPLY_HEADER_LENGTH, REPLY_HEADER_LENGTH);

    private ChannelHandlerContext ctx;
    private NbdExport export;
    private long payloadChunk;
    private ScheduledFuture<?> timeoutCheck;
    private boolean needsFlush;
    private boolean closing;
    private boolean discSent;
    private volatile boolean failed;
    private volatile String failure;
    private int failErrno;

    /** Requests encoded and not yet written to the channel: one buffer (one outbound entry) per batch. */
    private ByteBuf out;

    NbdTransmissionHandler(final String server, final NbdClientConfig config, final NbdCompletionSink sink)
    {
        this.server = server;
        this.sink = sink;
        this.requests = new NbdInFlight(config, sink, this::send, () -> { });
        payloadChunk = config.maxPayload();
    }

    @Override
    public void handlerAdded(final ChannelHandlerContext ctx)
    {
        this.ctx = ctx;
    }

    @Override
    public void handlerRemoved(final ChannelHandlerContext ctx)
    {
        header.release();
        releaseOut();
    }

    /** Negotiation is over (event loop). */
    void start(final NbdExport export)
    {
        this.export = export;
        requests.canFlush(export.canFlush());
        long chunk = Math.min(payloadChunk, export.maximumPayload());
        chunk -= chunk % export.minimumBlockSize();
        if (chunk >= export.preferredBlockSize())
        {
            chunk -= chunk % export.preferredBlockSize();
        }
        payloadChunk = chunk;
        if (requests.requestTimeoutNanos() > 0)
        {
            final long period = Math.max(1, TimeUnit.NANOSECONDS.toMillis(requests.requestTimeoutNanos()) / 4);
            timeoutCheck = ctx.executor().scheduleAtFixedRate(timeoutTask, period, period, TimeUnit.MILLISECONDS);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Submitting thread(s).

    /** A free slot, or null when {@code maxInFlight} requests are outstanding. */
    NbdSlot acquire()
    {
        return requests.acquire();
    }

    /** Publishes a filled slot; it reaches the socket at the next {@link #schedule()}. */
    void publish(final NbdSlot slot)
    {
        requests.publish(slot);
    }

    /** Wakes the event loop for the published slots, once per batch. */
    void schedule()
    {
        if (requests.hasSubmitted() && !drainScheduled.get() && drainScheduled.compareAndSet(false, true))
        {
            ctx.executor().execute(drainTask);
        }
    }

    /** The payload bytes of one NBD READ or WRITE (set by {@link #start}, before the client is returned). */
    long payloadChunk()
    {
        return payloadChunk;
    }

    boolean isFailed()
    {
        return failed;
    }

    String failure()
    {
        return failure;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Event loop.

    private void drain()
    {
        // Cleared before polling: a slot published after this poll finds the flag clear and schedules again.
        drainScheduled.set(false);
        NbdSlot slot;
        while ((slot = requests.nextToSend(refusal())) != null)
        {
            send(slot);
        }
        flushIfNeeded();
    }

    /** What a request published now completes with instead of going out: 0 while the connection serves. */
    private int refusal()
    {
        return failed ? failErrno : discSent ? NbdErrno.ESHUTDOWN : 0;
    }

    private void send(final NbdSlot slot)
    {
        requests.out(slot, payloadChunk);
        for (int part = 0; part < slot.parts; part++)
        {
            final long partLength = slot.length == 0 ? 0 : slot.partLength(part);
            final boolean payload = slot.command == NbdProtocol.NBD_CMD_WRITE;
            final ByteBuf buf = reserve(REQUEST_HEADER_LENGTH + (payload ? (int)partLength : 0));
            encodeHeader(buf, slot.flags, slot.command, slot.cookie(part), slot.offset + slot.partStart(part),
                partLength);
            if (payload)
            {
                memory.appendFromAddress(slot.address + slot.partStart(part), buf, (int)partLength);
            }
        }
        slot.nextPart = slot.parts; // every part is out: a reply may come for any of them
        needsFlush = true;
    }

    /** The batch buffer with room for {@code bytes} more, writing the current one to the channel when full. */
    private ByteBuf reserve(final int bytes)
    {
        if (out != null && out.writableBytes() < bytes)
        {
            ctx.write(out, ctx.voidPromise());
            out = null;
        }
        if (out == null)
        {
            out = ctx.alloc().directBuffer(Math.max(bytes, BATCH_BUFFER_BYTES));
        }
        return out;
    }

    private void releaseOut()
    {
        if (out != null)
        {
            out.release();
            out = null;
        }
    }

    private static void encodeHeader(final ByteBuf buf, final int flags, final int command, final long cookie,
        final long offset, final long length)
    {
        final int base = buf.writerIndex();
        buf.setInt(base + REQUEST_MAGIC_OFFSET, NbdProtocol.NBD_REQUEST_MAGIC);
        buf.setShort(base + REQUEST_FLAGS_OFFSET, flags);
        buf.setShort(base + REQUEST_TYPE_OFFSET, command);
        buf.setLong(base + REQUEST_COOKIE_OFFSET, cookie);
        buf.setLong(base + REQUEST_OFFSET_OFFSET, offset);
        buf.setInt(base + REQUEST_LENGTH_OFFSET, (int)length);
        buf.writerIndex(base + REQUEST_HEADER_LENGTH);
    }

    private void flushIfNeeded()
    {
        if (needsFlush)
        {
            needsFlush = false;
            if (out != null)
            {
                ctx.write(out, ctx.voidPromise());
                out = null;
            }
            ctx.flush();
        }
        maybeDisconnect();
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        final ByteBuf in = (ByteBuf)msg;
        requests.holdCompletions();
        try
        {
            while (in.isReadable() && !failed)
            {
                if (requests.payloadRemaining() > 0)
                {
                    final int n = (int)Math.min(in.readableBytes(), requests.payloadRemaining());
                    memory.copyToAddress(in, in.readerIndex(), requests.payloadAddress(), n);
                    in.skipBytes(n);
                    requests.payloadCopied(n);
                }
                else if (header.readableBytes() == 0 && in.readableBytes() >= REPLY_HEADER_LENGTH)
                {
                    final int base = in.readerIndex();
                    in.skipBytes(REPLY_HEADER_LENGTH);
                    reply(in, base);
                }
                else
                {
                    in.readBytes(header, Math.min(in.readableBytes(), header.writableBytes()));
                    if (!header.isWritable())
                    {
                        reply(header, header.readerIndex());
                        header.clear();
                    }
                }
            }
        }
        finally
        {
            in.release();
        }
    }

    @Override
    public void channelReadComplete(final ChannelHandlerContext ctx)
    {
        requests.tellCompletions();
        flushIfNeeded();
    }

    private void reply(final ByteBuf buf, final int base)
    {
        final String error = requests.reply(buf.getInt(base + REPLY_MAGIC_OFFSET),
            buf.getInt(base + REPLY_ERROR_OFFSET), buf.getLong(base + REPLY_COOKIE_OFFSET));
        if (error != null)
        {
            fail(error, NbdErrno.EIO);
        }
    }

    /** Graceful close (event loop): sends what was submitted, then NBD_CMD_DISC once nothing is outstanding. */
    void beginClose()
    {
        closing = true;
        drain();
    }

    private void maybeDisconnect()
    {
        if (closing && !discSent && !failed && requests.isEmpty() && ctx.channel().isActive())
        {
            discSent = true;
            final ByteBuf buf = ctx.alloc().directBuffer(REQUEST_HEADER_LENGTH);
            encodeHeader(buf, 0, NbdProtocol.NBD_CMD_DISC, 0, 0, 0);
            ctx.writeAndFlush(buf, ctx.voidPromise());
        }
    }

    private void checkTimeouts()
    {
        final String late = failed ? null : requests.timedOut();
        if (late != null)
        {
            fail(late, NbdErrno.ETIMEDOUT);
        }
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx)
    {
        fail(discSent ? "disconnected" : "closed the connection", NbdErrno.ESHUTDOWN);
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        fail("connection failed: " + cause, NbdErrno.ESHUTDOWN);
    }

    /**
     * Ends the connection (event loop): every request in flight, held or queued completes with {@code errno},
     * later submissions are refused, and the sink hears the reason once.
     */
    void fail(final String why, final int errno)
    {
        if (failed)
        {
            return;
        }
        failErrno = errno;
        requests.tellCompletions(); // answered before the failure: they keep their results, told before the errors
        if (export == null)
        {
            // Still negotiating: the handshake handler reports this to the connecting thread.
            failure = "NBD server " + server + ": " + why;
            failed = true;
            return;
        }
        final String message = "NBD server " + server + (export == null ? "" : " (export '" + export.name() + "')") +
            ": " + why;
        failure = message;
        failed = true;
        if (timeoutCheck != null)
        {
            timeoutCheck.cancel(false);
        }
        releaseOut(); // requests not written yet: they fail below with the rest
        requests.failAll(errno);
        ctx.close();
        sink.onDisconnected(message);
    }
}
