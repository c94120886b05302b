package io.pvring.nbd;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.agrona.concurrent.ManyToManyConcurrentArrayQueue;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

/**
 * A connection's requests, for either data path (Netty's event loop, {@link NbdTransmissionHandler}; the ring's own
 * io_uring, {@link NbdRingTransmission}): the preallocated slots, the free and submission queues between the
 * submitting threads and the thread that drives the socket, and on that thread alone everything between a request
 * going out and its completion. A request goes out as parts with cookies; a reply is matched to its part (a stale
 * generation or a part not sent is a protocol error); a read's payload is pointed at the caller's memory; writes
 * stay ahead of flushes ({@link NbdFlushOrder}); and each request completes exactly once, through the free queue
 * and the sink. Completions found in one read of the socket are held until its end, so the sink hears of them
 * together and a freed slot is not sent again in the middle of that read.
 */
final class NbdInFlight
{
    private final NbdSlot[] slots;
    private final ManyToOneConcurrentArrayQueue<NbdSlot> submitted;
    private final ManyToManyConcurrentArrayQueue<NbdSlot> free;
    private final NbdFlushOrder flushOrder;
    private final NbdCompletionSink sink;
    private final long requestTimeoutNanos;
    /** Sends a flush its writes have released (the transport's own way to put a request out). */
    private final Consumer<NbdSlot> sendFlush;
    /** Runs after a write-like part was answered (a released flush may wait to be sent). */
    private final Runnable afterWrite;
    private final long[] doneTags;
    private final int[] doneResults;
    private int doneCount;
    private boolean holding;
    private boolean canFlush;
    private int count;
    private long completed;
    private NbdSlot payloadSlot;
    private long payloadAddress;
    private long payloadRemaining;

    NbdInFlight(final NbdClientConfig config, final NbdCompletionSink sink, final Consumer<NbdSlot> sendFlush,
        final Runnable afterWrite)
    {
        this.sink = sink;
        this.sendFlush = sendFlush;
        this.afterWrite = afterWrite;
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
    }

    // ---------------------------------------------------------------------------------------------------------
    // Any thread.

    /** A free slot, or null when {@code maxInFlight} requests are outstanding. */
    NbdSlot acquire()
    {
        return free.poll();
    }

    /** Publishes a filled slot for the driving thread. */
    void publish(final NbdSlot slot)
    {
        // Cannot fail: a slot is in at most one queue and both hold every slot.
        submitted.offer(slot);
    }

    boolean hasSubmitted()
    {
        return !submitted.isEmpty();
    }

    int slotCount()
    {
        return slots.length;
    }

    long requestTimeoutNanos()
    {
        return requestTimeoutNanos;
    }

    // ---------------------------------------------------------------------------------------------------------
    // The driving thread.

    /** Whether the export has a volatile cache ({@code NBD_FLAG_SEND_FLUSH}): else a flush is done once released. */
    void canFlush(final boolean canFlush)
    {
        this.canFlush = canFlush;
    }

    /**
     * The next published request to put out, or null when none is left. With a {@code refusal} (a negative errno:
     * the connection failed or is closing) every published request completes with it instead; a flush waits until
     * every write before it was answered and goes out through the transport's flush sender.
     */
    NbdSlot nextToSend(final int refusal)
    {
        NbdSlot slot;
        while ((slot = submitted.poll()) != null)
        {
            if (refusal != 0)
            {
                finish(slot, refusal);
            }
            else if (slot.command == NbdProtocol.NBD_CMD_FLUSH)
            {
                flushOrder.flushSubmitted(slot);
                releaseFlushes();
            }
            else
            {
                return slot;
            }
        }
        return null;
    }

    /**
     * The slot goes out as parts of at most {@code payloadChunk} payload bytes (its timeout runs from now); returns
     * true when it is the only request out (the transport may start its timer).
     */
    boolean out(final NbdSlot slot, final long payloadChunk)
    {
        final long chunk = slot.command == NbdProtocol.NBD_CMD_READ || slot.command == NbdProtocol.NBD_CMD_WRITE ?
            payloadChunk : NbdTransmissionHandler.NO_PAYLOAD_CHUNK;
        slot.chunk = chunk;
        slot.parts = slot.length == 0 ? 1 : (int)((slot.length + chunk - 1) / chunk);
        slot.partsLeft = slot.parts;
        slot.nextPart = 0;
        slot.result = 0;
        slot.nextGeneration();
        slot.inFlight = true;
        slot.sentNanos = requestTimeoutNanos > 0 ? System.nanoTime() : 0;
        if (slot.writeLike())
        {
            // Counted when it goes out, not when encoded: a flush submitted behind it must wait for it.
            for (int part = 0; part < slot.parts; part++)
            {
                slot.epoch = flushOrder.writeSent();
            }
        }
        return count++ == 0;
    }

    /** Requests out and not answered yet. */
    int count()
    {
        return count;
    }

    /** Requests told to the sink so far. */
    long completed()
    {
        return completed;
    }

    /** True when nothing is out and no flush is held. */
    boolean isEmpty()
    {
        return count == 0 && flushOrder.isEmpty();
    }

    /** Holds completions until {@link #tellCompletions()}: the transport is reading replies. */
    void holdCompletions()
    {
        holding = true;
    }

    /** Tells the sink the completions held during a read, in order; the sink may submit more (resumed parts). */
    void tellCompletions()
    {
        holding = false;
        final int told = doneCount;
        doneCount = 0;
        for (int i = 0; i < told; i++)
        {
            completed++;
            sink.onCompletion(doneTags[i], doneResults[i]);
        }
    }

    /**
     * A simple reply's header: matches it to its part and completes the part, or, for a read that succeeded, points
     * the payload that follows at the caller's memory ({@link #payloadRemaining()}). Returns null, or the protocol
     * error that ends the connection.
     */
    String reply(final int magic, final int error, final long cookie)
    {
        if (magic != NbdProtocol.NBD_SIMPLE_REPLY_MAGIC)
        {
            return "protocol error: reply magic 0x" + Integer.toHexString(magic) +
                (magic == NbdProtocol.NBD_STRUCTURED_REPLY_MAGIC ? " (structured reply, not negotiated)" : "");
        }
        final int index = NbdSlot.indexOf(cookie);
        final int part = NbdSlot.partOf(cookie);
        final NbdSlot slot = index < slots.length ? slots[index] : null;
        if (slot == null || !slot.inFlight || slot.generation != NbdSlot.generationOf(cookie) ||
            part >= slot.nextPart)
        {
            return "protocol error: reply for unknown cookie 0x" + Long.toHexString(cookie);
        }
        if (error == 0 && slot.command == NbdProtocol.NBD_CMD_READ)
        {
            payloadSlot = slot;
            payloadAddress = slot.address + slot.partStart(part);
            payloadRemaining = slot.partLength(part);
            return null;
        }
        partDone(slot, error == 0 ? 0 : NbdErrno.fromServer(error));
        return null;
    }

    /** Payload bytes of the current read reply still to come (0: a reply header is next). */
    long payloadRemaining()
    {
        return payloadRemaining;
    }

    /** Where the next payload byte goes. */
    long payloadAddress()
    {
        return payloadAddress;
    }

    /** {@code bytes} of payload were copied to {@link #payloadAddress()}; the part completes with its last byte. */
    void payloadCopied(final long bytes)
    {
        payloadAddress += bytes;
        payloadRemaining -= bytes;
        if (payloadRemaining == 0)
        {
            final NbdSlot slot = payloadSlot;
            payloadSlot = null;
            partDone(slot, 0);
        }
    }

    /** Sends (or, without a volatile cache, completes) every flush whose writes have all been answered. */
    void releaseFlushes()
    {
        NbdSlot flush;
        while ((flush = flushOrder.nextReleasable()) != null)
        {
            if (canFlush)
            {
                sendFlush.accept(flush);
            }
            else
            {
                // No volatile cache (NBD_FLAG_SEND_FLUSH clear): every answered write is already durable.
                finish(flush, 0);
            }
        }
    }

    /** Returns the slot and reports its result; the slot may be reused as soon as it is back in the free queue. */
    void finish(final NbdSlot slot, final int result)
    {
        final long tag = slot.tag;
        free.offer(slot);
        if (holding && doneCount < doneTags.length)
        {
            // A slot completes at most once per read: a freed one is sent again only after it.
            doneTags[doneCount] = tag;
            doneResults[doneCount++] = result;
            return;
        }
        completed++;
        sink.onCompletion(tag, result);
    }

    /** The first request out for longer than the request timeout, as a reason to end the connection; or null. */
    String timedOut()
    {
        if (count == 0 || requestTimeoutNanos <= 0)
        {
            return null;
        }
        final long now = System.nanoTime();
        for (final NbdSlot slot : slots)
        {
            if (slot.inFlight && now - slot.sentNanos > requestTimeoutNanos)
            {
                return NbdProtocol.commandName(slot.command) + " at offset " + slot.offset + " not answered within " +
                    TimeUnit.NANOSECONDS.toMillis(requestTimeoutNanos) + " ms";
            }
        }
        return null;
    }

    /**
     * The connection ended: what was answered is told first, then every request out, held or published completes
     * with {@code errno}.
     */
    void failAll(final int errno)
    {
        tellCompletions();
        payloadSlot = null;
        payloadRemaining = 0;
        for (final NbdSlot slot : slots)
        {
            if (slot.inFlight)
            {
                slot.inFlight = false;
                count--;
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
            count--;
            final int done = slot.result != 0 ? slot.result :
                slot.command == NbdProtocol.NBD_CMD_READ || slot.command == NbdProtocol.NBD_CMD_WRITE ?
                (int)slot.length : 0;
            finish(slot, done);
        }
        if (slot.writeLike())
        {
            releaseFlushes();
            afterWrite.run();
        }
    }
}
