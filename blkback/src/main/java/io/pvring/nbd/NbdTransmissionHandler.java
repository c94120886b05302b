package io.pvring.nbd;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.agrona.concurrent.ManyToManyConcurrentArrayQueue;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

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
    private final long requestTimeoutNanos;
    private final NbdSlot[] slots;
    private final ManyToOneConcurrentArrayQueue<NbdSlot> submitted;
    private final ManyToManyConcurrentArrayQueue<NbdSlot> free;
    private final NbdFlushOrder flushOrder;
    private final NbdMemory memory = new NbdMemory();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Runnable drainTask = this::drain;
    private final Runnable timeoutTask = this::checkTimeouts;
    private final ByteBuf header = Unpooled.buffer(REPLY_HEADER_LENGTH, REPLY_HEADER_LENGTH);

    private ChannelHandlerContext ctx;
    private NbdExport export;
    private long payloadChunk;
    private ScheduledFuture<?> timeoutCheck;
    private int inFlight;
    private boolean needsFlush;
    private boolean closing;
    private boolean discSent;
    private volatile boolean failed;
    private volatile String failure;
    private int failErrno;

    /** Completions held while a read is being decoded, told to the sink at its end. */
    private final long[] doneTags;
    private final int[] doneResults;
    private int doneCount;
    private boolean reading;

    /** Requests encoded and not yet written to the channel: one buffer (one outbound entry) per batch. */
    private ByteBuf out;

    private NbdSlot payloadSlot;
    private long payloadAddress;
    private long payloadRemaining;

    NbdTransmissionHandler(final String server, final NbdClientConfig config, final NbdCompletionSink sink)
    {
        this.server = server;
        this.sink = sink;
        this.requestTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMs());
        final int capacity = Math.max(2, config.maxInFlight());
        slots = new NbdSlot[config.maxInFlight()];
        submitted = new ManyToOneConcurrentArrayQueue<>(capacity);
        free = new ManyToManyConcurrentArrayQueue<>(capacity);
        for (int i = 0; i < slots.length; i++)
        {
            slots[i] = new NbdSlot(i);
            free.offer(slots[i]);
        }
        flushOrder = new NbdFlushOrder(config.maxInFlight());
        doneTags = new long[slots.length];
        doneResults = new int[slots.length];
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
        long chunk = Math.min(payloadChunk, export.maximumPayload());
        chunk -= chunk % export.minimumBlockSize();
        if (chunk >= export.preferredBlockSize())
        {
            chunk -= chunk % export.preferredBlockSize();
        }
        payloadChunk = chunk;
        if (requestTimeoutNanos > 0)
        {
            final long period = Math.max(1, TimeUnit.NANOSECONDS.toMillis(requestTimeoutNanos) / 4);
            timeoutCheck = ctx.executor().scheduleAtFixedRate(timeoutTask, period, period, TimeUnit.MILLISECONDS);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Submitting thread(s).

    /** A free slot, or null when {@code maxInFlight} requests are outstanding. */
    NbdSlot acquire()
    {
        return free.poll();
    }

    /** Publishes a filled slot; it reaches the socket at the next {@link #schedule()}. */
    void publish(final NbdSlot slot)
    {
        // Cannot fail: a slot is in at most one queue and both hold every slot.
        submitted.offer(slot);
    }

    /** Wakes the event loop for the published slots, once per batch. */
    void schedule()
    {
        if (!submitted.isEmpty() && !drainScheduled.get() && drainScheduled.compareAndSet(false, true))
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
        while ((slot = submitted.poll()) != null)
        {
            if (failed || discSent)
            {
                finish(slot, failed ? failErrno : NbdErrno.ESHUTDOWN);
            }
            else if (slot.command == NbdProtocol.NBD_CMD_FLUSH)
            {
                flushOrder.flushSubmitted(slot);
                releaseFlushes();
            }
            else
            {
                send(slot);
            }
        }
        flushIfNeeded();
    }

    private void send(final NbdSlot slot)
    {
        final long chunk = slot.command == NbdProtocol.NBD_CMD_READ || slot.command == NbdProtocol.NBD_CMD_WRITE ?
            payloadChunk : NO_PAYLOAD_CHUNK;
        slot.chunk = chunk;
        slot.parts = slot.length == 0 ? 1 : (int)((slot.length + chunk - 1) / chunk);
        slot.partsLeft = slot.parts;
        slot.result = 0;
        slot.nextGeneration();
        slot.inFlight = true;
        slot.sentNanos = requestTimeoutNanos > 0 ? System.nanoTime() : 0;
        inFlight++;
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
            if (slot.writeLike())
            {
                slot.epoch = flushOrder.writeSent();
            }
        }
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

    private void releaseFlushes()
    {
        NbdSlot flush;
        while ((flush = flushOrder.nextReleasable()) != null)
        {
            if (export.canFlush())
            {
                send(flush);
            }
            else
            {
                // No volatile cache (NBD_FLAG_SEND_FLUSH clear): every answered write is already durable.
                finish(flush, 0);
            }
        }
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
        reading = true;
        try
        {
            while (in.isReadable() && !failed)
            {
                if (payloadRemaining > 0)
                {
                    final int n = (int)Math.min(in.readableBytes(), payloadRemaining);
                    memory.copyToAddress(in, in.readerIndex(), payloadAddress, n);
                    in.skipBytes(n);
                    payloadAddress += n;
                    payloadRemaining -= n;
                    if (payloadRemaining == 0)
                    {
                        final NbdSlot slot = payloadSlot;
                        payloadSlot = null;
                        partDone(slot, 0);
                    }
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
        tellCompletions();
        flushIfNeeded();
    }

    /** Tells the sink the completions held during a read, in order; the sink may submit more (resumed parts). */
    private void tellCompletions()
    {
        reading = false;
        for (int i = 0; i < doneCount; i++)
        {
            sink.onCompletion(doneTags[i], doneResults[i]);
        }
        doneCount = 0;
    }

    private void reply(final ByteBuf buf, final int base)
    {
        final int magic = buf.getInt(base + REPLY_MAGIC_OFFSET);
        final int error = buf.getInt(base + REPLY_ERROR_OFFSET);
        final long cookie = buf.getLong(base + REPLY_COOKIE_OFFSET);
        if (magic != NbdProtocol.NBD_SIMPLE_REPLY_MAGIC)
        {
            fail("protocol error: reply magic 0x" + Integer.toHexString(magic) +
                (magic == NbdProtocol.NBD_STRUCTURED_REPLY_MAGIC ? " (structured reply, not negotiated)" : ""),
                NbdErrno.EIO);
            return;
        }
        final int index = NbdSlot.indexOf(cookie);
        final int part = NbdSlot.partOf(cookie);
        final NbdSlot slot = index < slots.length ? slots[index] : null;
        if (slot == null || !slot.inFlight || slot.generation != NbdSlot.generationOf(cookie) || part >= slot.parts)
        {
            fail("protocol error: reply for unknown cookie 0x" + Long.toHexString(cookie), NbdErrno.EIO);
            return;
        }
        if (error == 0 && slot.command == NbdProtocol.NBD_CMD_READ)
        {
            payloadSlot = slot;
            payloadAddress = slot.address + slot.partStart(part);
            payloadRemaining = slot.partLength(part);
            return;
        }
        partDone(slot, error == 0 ? 0 : NbdErrno.fromServer(error));
    }

    private void partDone(final NbdSlot slot, final int result)
    {
        if (result != 0 && slot.result == 0)
        {
            slot.result = result;
        }
        if (slot.writeLike())
        {
            flushOrder.writeDone(slot.epoch);
        }
        if (--slot.partsLeft == 0)
        {
            slot.inFlight = false;
            inFlight--;
            final int done = slot.result != 0 ? slot.result :
                slot.command == NbdProtocol.NBD_CMD_READ || slot.command == NbdProtocol.NBD_CMD_WRITE ?
                (int)slot.length : 0;
            finish(slot, done);
        }
        if (slot.writeLike())
        {
            releaseFlushes();
        }
    }

    /** Returns the slot and reports its result; the slot may be reused as soon as it is back in the free queue. */
    private void finish(final NbdSlot slot, final int result)
    {
        final long tag = slot.tag;
        free.offer(slot);
        if (reading && doneCount < doneTags.length)
        {
            // A slot completes at most once per read: a freed one is sent again only by drain(), after the read.
            doneTags[doneCount] = tag;
            doneResults[doneCount++] = result;
            return;
        }
        sink.onCompletion(tag, result);
    }

    /** Graceful close (event loop): sends what was submitted, then NBD_CMD_DISC once nothing is outstanding. */
    void beginClose()
    {
        closing = true;
        drain();
    }

    private void maybeDisconnect()
    {
        if (closing && !discSent && !failed && inFlight == 0 && flushOrder.isEmpty() && ctx.channel().isActive())
        {
            discSent = true;
            final ByteBuf buf = ctx.alloc().directBuffer(REQUEST_HEADER_LENGTH);
            encodeHeader(buf, 0, NbdProtocol.NBD_CMD_DISC, 0, 0, 0);
            ctx.writeAndFlush(buf, ctx.voidPromise());
        }
    }

    private void checkTimeouts()
    {
        if (failed || inFlight == 0)
        {
            return;
        }
        final long now = System.nanoTime();
        for (final NbdSlot slot : slots)
        {
            if (slot.inFlight && now - slot.sentNanos > requestTimeoutNanos)
            {
                fail(NbdProtocol.commandName(slot.command) + " at offset " + slot.offset + " not answered within " +
                    TimeUnit.NANOSECONDS.toMillis(requestTimeoutNanos) + " ms", NbdErrno.ETIMEDOUT);
                return;
            }
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
        tellCompletions(); // answered before the failure: they keep their results, told before the errors
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
        payloadSlot = null;
        payloadRemaining = 0;
        releaseOut(); // requests not written yet: they fail below with the rest
        for (final NbdSlot slot : slots)
        {
            if (slot.inFlight)
            {
                slot.inFlight = false;
                inFlight--;
                finish(slot, errno);
            }
        }
        NbdSlot slot;
        while ((slot = flushOrder.pollHeld()) != null)
        {
            finish(slot, errno);
        }
        while ((slot = submitted.poll()) != null)
        {
            finish(slot, errno);
        }
        ctx.close();
        sink.onDisconnected(message);
    }
}
