package io.pvring.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.uring.IoUringIoEvent;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.channel.uring.IoUringIoOps;
import io.netty.channel.unix.Socket;
import io.pvring.uring.ThreadRing;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

import static io.pvring.nbd.NbdTransmissionDescriptor.REPLY_COOKIE_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REPLY_ERROR_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REPLY_HEADER_LENGTH;
import static io.pvring.nbd.NbdTransmissionDescriptor.REPLY_MAGIC_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_HEADER_LENGTH;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_MAGIC_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_TYPE_OFFSET;

/**
 * The transmission phase on the submitting thread's own io_uring ({@link ThreadRing}), with no thread in between:
 * the <em>driver</em> (the thread that sends first, normally a blkback ring's runner) encodes each turn's requests
 * into a {@link NbdSendBatch} and sends it with one {@code IORING_OP_SENDMSG} (write payloads gathered from the
 * caller's memory); a standing {@code IORING_OP_RECV} into a private buffer, re-armed after each completion,
 * brings the replies, which are decoded there (payloads copied into the caller's memory) and completed on the
 * driver. A runner sleeps in that same ring, so a reply's CQE wakes it directly.
 *
 * <p>Other threads may submit (a device's other queues): their slots wait in the submission queue and they wake
 * the driver ({@code driverWake}, its ring's completion signal), which sends them in its next turn. The driver lets
 * go with {@link #release} (its queue closes); the next thread that sends takes over, re-arming the receive in its
 * own ring (a reply half received stays in this object's state, not in the ring).
 *
 * <p>Everything else is the event-loop path's ({@link NbdTransmissionHandler}): slots with generation cookies,
 * parts at the payload limit, {@link NbdFlushOrder}, a request timeout (an {@code IORING_OP_TIMEOUT} tick while
 * requests are out), and failure completing every outstanding request with an error and telling the sink once. One
 * send is in flight at a time (the stream's order); the next batch fills meanwhile. Nothing is allocated per
 * request: the SQEs are built once (their addresses never change) and Netty copies them into the ring.
 */
final class NbdRingTransmission implements IoUringIoHandle
{
    // From include/uapi/linux/io_uring.h, poll.h, socket.h and asm-generic/errno.h: Netty keeps its own private.
    static final byte IORING_OP_POLL_ADD = 6;
    static final byte IORING_OP_SENDMSG = 9;
    static final byte IORING_OP_TIMEOUT = 11;
    static final byte IORING_OP_ASYNC_CANCEL = 14;
    static final byte IORING_OP_RECV = 27;
    static final int POLLIN = 0x0001;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ETIME = 62;
    static final int ECANCELED = 125;
    /** struct __kernel_timespec: tv_sec, tv_nsec. */
    static final int TIMESPEC_SEC_OFFSET = 0;
    static final int TIMESPEC_NSEC_OFFSET = 8;
    static final int TIMESPEC_SIZE = 16;
    /** The receive buffer: many replies per completion, or a large read's payload in a few. */
    static final int RECV_BYTES = 256 << 10;
    /** What {@link IoRegistration#submit} returns once the registration is cancelled. */
    private static final long REGISTRATION_INVALID = 0;

    private final String server;
    private final NbdCompletionSink sink;
    private final Socket socket;
    private final int fd;
    private final NbdInFlight requests;
    private final NbdExport export;
    private final long payloadChunk;

    /** Slots whose parts are not all encoded yet, in order (driver only). */
    private final NbdSlot[] toSend;
    private final int toSendMask;
    private long toSendHead;
    private long toSendTail;
    private NbdSendBatch filling = new NbdSendBatch();
    private NbdSendBatch sending = new NbdSendBatch();
    private boolean sendInFlight;

    /** recv buffer, a 16-byte stash for a reply header split between receives, and the timer's timespec. */
    private final long memory;
    private final long recvAddress;
    private final long stashAddress;
    private final long timespecAddress;
    private final UnsafeBuffer replyView = new UnsafeBuffer(0, 0);
    private int stashed;

    private final IoUringIoOps recvSqe;
    private final IoUringIoOps pollSqe;
    private final IoUringIoOps timerSqe;
    /** The sendmsg of the batch being sent, and of the one filling (each batch has its own msghdr). */
    private IoUringIoOps sendSqe;
    private IoUringIoOps nextSendSqe;

    private volatile Thread driver;
    private volatile Runnable driverWake;
    private ThreadRing ring;
    private IoRegistration registration;
    /** SQEs of ours in the ring whose CQE has not come back (driver only). */
    private int pendingOps;
    private boolean recvArmed;
    private long recvUserData;
    private boolean timerArmed;
    private long timerUserData;
    private boolean unregistered;

    private volatile boolean failed;
    private volatile String failure;
    private int failErrno;
    private boolean discSent;
    /** SQEs queued outside a pass through the ring, not submitted yet (driver only). */
    private boolean unsubmitted;
    /** Inside {@link #handle}: Netty is reaping, so the ring is entered after it returns, not from here. */
    private boolean handling;
    /** A release timed out with SQEs still in the kernel: the buffers stay allocated (a bounded leak). */
    private boolean keepMemory;
    /** The driver is letting go: nothing new goes into its ring (a partly sent batch is still finished). */
    private boolean releasing;
    private boolean closed;

    NbdRingTransmission(final String server, final NbdClientConfig config, final NbdCompletionSink sink,
        final NbdExport export, final long payloadChunk, final Socket socket)
    {
        this.server = server;
        this.sink = sink;
        this.export = export;
        this.payloadChunk = payloadChunk;
        this.socket = socket;
        this.fd = socket.intValue();
        this.requests = new NbdInFlight(config, sink, this::queue, this::encodeAndSend);
        requests.canFlush(export.canFlush());
        final int toSendCapacity = Integer.highestOneBit(Math.max(1, requests.slotCount())) << 1;
        toSend = new NbdSlot[toSendCapacity];
        toSendMask = toSendCapacity - 1;

        memory = UnsafeApi.allocateMemory(RECV_BYTES + REPLY_HEADER_LENGTH + TIMESPEC_SIZE);
        recvAddress = memory;
        stashAddress = memory + RECV_BYTES;
        timespecAddress = stashAddress + REPLY_HEADER_LENGTH;
        final long tick = Math.max(1, requests.requestTimeoutNanos() / 4);
        UnsafeApi.putLong(timespecAddress + TIMESPEC_SEC_OFFSET, tick / 1_000_000_000L);
        UnsafeApi.putLong(timespecAddress + TIMESPEC_NSEC_OFFSET, tick % 1_000_000_000L);

        recvSqe = sqe(IORING_OP_RECV, fd, 0L, recvAddress, RECV_BYTES, 0);
        pollSqe = sqe(IORING_OP_POLL_ADD, fd, 0L, 0L, 0, POLLIN);
        // io_uring_prep_timeout: off = completions to wait for (0: a pure timer), addr = the timespec, len = 1.
        timerSqe = sqe(IORING_OP_TIMEOUT, -1, 0L, timespecAddress, 1, 0);
        nextSendSqe = sqe(IORING_OP_SENDMSG, fd, 0L, filling.msghdrAddress(), 1, MSG_NOSIGNAL);
        sendSqe = sqe(IORING_OP_SENDMSG, fd, 0L, sending.msghdrAddress(), 1, MSG_NOSIGNAL);
    }

    private static IoUringIoOps sqe(final byte opcode, final int fd, final long off, final long addr, final int len,
        final int opFlags)
    {
        return new IoUringIoOps(opcode, (byte)0, (short)0, fd, off, addr, len, opFlags, 0L, (short)0,
            (short)0, 0, 0L);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Any thread.

    NbdSlot acquire()
    {
        return requests.acquire();
    }

    /** Publishes a filled slot; it is sent at the driver's next {@link #schedule}, {@link #poll} or wake. */
    void publish(final NbdSlot slot)
    {
        requests.publish(slot);
    }

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

    Thread driver()
    {
        return driver;
    }

    /**
     * Sends what was published: on the driver at once; from another thread, the driver is woken to do it; with no
     * driver, the calling thread becomes it ({@code wake} is how others reach it; null: they cannot).
     */
    void schedule(final Runnable wake)
    {
        final Thread current = Thread.currentThread();
        final Thread d = driver;
        if (d == current || (d == null && bind(current, wake)))
        {
            if (wake != null && driverWake == null)
            {
                driverWake = wake; // bound by a call that had none (a completion's follow-up)
            }
            drain();
            enterIfNeeded();
            return;
        }
        final Runnable w = driverWake;
        if (w != null && requests.hasSubmitted())
        {
            w.run();
        }
    }

    /**
     * The driver's turn: sends what other threads published, reaps what the ring has (a read of its memory when
     * nothing is there) and submits what that re-armed. Another thread takes over a connection nobody drives when it
     * has work. Returns the completions told to the sink.
     */
    int poll(final Runnable wake)
    {
        final Thread current = Thread.currentThread();
        final Thread d = driver;
        if (d != current)
        {
            if (d != null || (!requests.hasSubmitted() && requests.count() == 0) || !bind(current, wake))
            {
                return 0;
            }
        }
        else if (wake != null && driverWake == null)
        {
            driverWake = wake;
        }
        final long before = requests.completed();
        if (requests.hasSubmitted())
        {
            drain();
        }
        if (unsubmitted)
        {
            enterIfNeeded(); // submits and reaps in one pass
        }
        else if (pendingOps > 0)
        {
            ring.reap();
        }
        return (int)(requests.completed() - before);
    }

    /** True on the driver while a reply is awaited and nothing but its own polling would see it. */
    boolean needsPolling()
    {
        return driver == Thread.currentThread() && pendingOps > 0 && !ring.wakesItsThread() &&
            (requests.count() > 0 || sendInFlight);
    }

    /** Requests sent or waiting to be sent, answered or failed yet (driver's view). */
    int inFlight()
    {
        return requests.count();
    }

    /** The driver sleeps in its ring until a completion or {@code nanos} (bounded waits only). */
    void awaitCompletion(final long nanos)
    {
        checkDriver();
        enterIfNeeded();
        ring.park(Math.max(1, nanos));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Driver thread.

    private boolean bind(final Thread thread, final Runnable wake)
    {
        synchronized (this)
        {
            // Once per take-over, never per request: the lock settles two threads that find no driver at once.
            if (driver != null || closed)
            {
                return driver == thread;
            }
            ring = ThreadRing.acquire();
            registration = ring.register(this);
            unregistered = false;
            driverWake = wake;
            driver = thread;
        }
        if (!failed)
        {
            armRecv();
        }
        if (requests.count() > 0)
        {
            armTimer();
        }
        encodeAndSend(); // what the last driver left queued
        return true;
    }

    /**
     * Lets go of the ring (the driver's queue is closing): waits, bounded, for a send in flight (cutting it would
     * break the stream), cancels the receive and the timer, and unregisters. Another thread may take over.
     */
    void release(final long deadlineNanos)
    {
        if (driver != Thread.currentThread())
        {
            return;
        }
        releasing = true;
        while (sendInFlight && System.nanoTime() - deadlineNanos < 0)
        {
            ring.submitAndReap();
            if (sendInFlight)
            {
                ring.park(Math.max(1, deadlineNanos - System.nanoTime()));
            }
        }
        if (recvArmed)
        {
            cancel(recvUserData);
        }
        if (timerArmed)
        {
            cancel(timerUserData);
        }
        registration.cancel(); // Netty lets go once no completion is outstanding
        while ((pendingOps > 0 || !unregistered) && System.nanoTime() - deadlineNanos < 0)
        {
            if (ring.submitAndReap() == 0 && (pendingOps > 0 || !unregistered))
            {
                ring.park(Math.max(1, Math.min(1_000_000L, deadlineNanos - System.nanoTime())));
            }
        }
        if (pendingOps > 0)
        {
            // The kernel may still write into our buffers: make sure it ends, and keep them (a bounded leak). The
            // thread's ring counts them still, so it is not torn down under them (see ThreadRing.release).
            shutdownSocket();
            keepMemory = true;
        }
        synchronized (this)
        {
            ring.release(deadlineNanos);
            ring = null;
            registration = null;
            pendingOps = 0;
            recvArmed = false;
            timerArmed = false;
            releasing = false;
            driverWake = null;
            driver = null;
        }
    }

    private void cancel(final long userData)
    {
        // io_uring_prep_cancel64: addr = the request's user_data. Its own CQE is not counted: it is ignored.
        registration.submit(new IoUringIoOps(IORING_OP_ASYNC_CANCEL, (byte)0, (short)0, -1, 0L, userData, 0, 0,
            0L, (short)0, (short)0, 0, 0L));
    }

    private void checkDriver()
    {
        if (driver != Thread.currentThread())
        {
            throw new IllegalStateException("NBD server " + server + ": driven by thread " +
                (driver == null ? "none" : driver.getName()) + ", called from " + Thread.currentThread().getName());
        }
    }

    private void enterIfNeeded()
    {
        if (unsubmitted && !handling)
        {
            unsubmitted = false;
            ring.submitAndReap();
        }
    }

    private long submit(final IoUringIoOps sqe)
    {
        final long userData = registration.submit(sqe);
        if (userData != REGISTRATION_INVALID)
        {
            pendingOps++;
            ring.inFlight(1);
            // Queued while Netty reaps: it submits what its handlers queued before the pass ends.
            unsubmitted |= !handling;
        }
        return userData;
    }

    private void armRecv()
    {
        if (releasing)
        {
            return;
        }
        recvUserData = submit(recvSqe);
        recvArmed = recvUserData != REGISTRATION_INVALID;
    }

    private void armTimer()
    {
        if (requests.requestTimeoutNanos() > 0 && !timerArmed && !failed && !releasing)
        {
            timerUserData = submit(timerSqe);
            timerArmed = timerUserData != REGISTRATION_INVALID;
        }
    }

    /** Takes what other threads published (and this one), holds flushes behind writes, sends what it can. */
    private void drain()
    {
        NbdSlot slot;
        while ((slot = requests.nextToSend(failed ? failErrno : discSent ? NbdErrno.ESHUTDOWN : 0)) != null)
        {
            queue(slot);
        }
        encodeAndSend();
    }

    /** The slot is out from now on (its timeout runs); its parts are encoded as batches have room. */
    private void queue(final NbdSlot slot)
    {
        if (requests.out(slot, payloadChunk))
        {
            armTimer();
        }
        toSend[(int)(toSendTail++ & toSendMask)] = slot;
    }

    private void encodeAndSend()
    {
        while (toSendHead != toSendTail)
        {
            final NbdSlot slot = toSend[(int)(toSendHead & toSendMask)];
            final boolean payload = slot.command == NbdProtocol.NBD_CMD_WRITE;
            while (slot.nextPart < slot.parts && filling.hasRoom(payload))
            {
                final int part = slot.nextPart++;
                final long partLength = slot.length == 0 ? 0 : slot.partLength(part);
                filling.add(slot.flags, slot.command, slot.cookie(part), slot.offset + slot.partStart(part),
                    partLength, slot.address + slot.partStart(part), payload ? (int)partLength : 0);
            }
            if (slot.nextPart < slot.parts)
            {
                break; // the batch is full: the rest goes in the next one
            }
            toSend[(int)(toSendHead++ & toSendMask)] = null;
        }
        startSend();
    }

    private void startSend()
    {
        if (sendInFlight || filling.isEmpty() || failed || releasing)
        {
            return;
        }
        final NbdSendBatch batch = filling;
        filling = sending;
        sending = batch;
        final IoUringIoOps sqe = nextSendSqe;
        nextSendSqe = sendSqe;
        sendSqe = sqe;
        sending.prepare();
        sendInFlight = submit(sendSqe) != REGISTRATION_INVALID;
    }

    @Override
    public void handle(final IoRegistration reg, final IoEvent event)
    {
        final IoUringIoEvent cqe = (IoUringIoEvent)event;
        final byte op = cqe.opcode();
        if (op == IORING_OP_ASYNC_CANCEL || ring == null)
        {
            return; // a cancellation's own completion, or a late one after a release that timed out
        }
        pendingOps--;
        ring.inFlight(-1);
        final int res = cqe.res();
        handling = true;
        try
        {
            handle(op, res);
        }
        finally
        {
            handling = false;
        }
    }

    private void handle(final byte op, final int res)
    {
        switch (op)
        {
            case IORING_OP_RECV:
                recvArmed = false;
                received(res);
                break;
            case IORING_OP_POLL_ADD:
                if (res >= 0 && !failed)
                {
                    armRecv();
                }
                break;
            case IORING_OP_SENDMSG:
                sendDone(res);
                break;
            case IORING_OP_TIMEOUT:
                timerArmed = false;
                if (res == -ETIME)
                {
                    checkTimeouts();
                    if (requests.count() > 0)
                    {
                        armTimer();
                    }
                }
                break;
            default:
                break;
        }
    }

    private void sendDone(final int res)
    {
        sendInFlight = false;
        if (failed)
        {
            sending.reset();
            return;
        }
        if (res > 0)
        {
            if (!sending.sent(res))
            {
                // A short send (the socket's buffer filled): the rest goes first, before any later batch.
                sending.prepare();
                sendInFlight = submit(sendSqe) != REGISTRATION_INVALID;
                return;
            }
            sending.reset();
            encodeAndSend();
        }
        else if (res == -EAGAIN || res == -EINTR)
        {
            sending.prepare();
            sendInFlight = submit(sendSqe) != REGISTRATION_INVALID;
        }
        else if (res != -ECANCELED)
        {
            fail("send failed: errno " + -res, NbdErrno.ESHUTDOWN);
        }
    }

    private void received(final int res)
    {
        if (res > 0)
        {
            parse(res);
            if (!failed)
            {
                armRecv();
            }
        }
        else if (res == 0)
        {
            fail(discSent ? "disconnected" : "closed the connection", NbdErrno.ESHUTDOWN);
        }
        else if (res == -EAGAIN && !releasing)
        {
            // A kernel that does not poll a non-blocking socket for us: wait until it is readable first.
            submit(pollSqe);
        }
        else if (res == -EINTR)
        {
            armRecv();
        }
        else if (res != -ECANCELED)
        {
            fail("connection failed: receive errno " + -res, NbdErrno.ESHUTDOWN);
        }
    }

    private void parse(final int length)
    {
        requests.holdCompletions();
        int pos = 0;
        while (pos < length && !failed)
        {
            final int available = length - pos;
            if (requests.payloadRemaining() > 0)
            {
                final int n = (int)Math.min(available, requests.payloadRemaining());
                UnsafeApi.copyMemory(recvAddress + pos, requests.payloadAddress(), n);
                pos += n;
                requests.payloadCopied(n);
            }
            else if (stashed == 0 && available >= REPLY_HEADER_LENGTH)
            {
                reply(recvAddress + pos);
                pos += REPLY_HEADER_LENGTH;
            }
            else
            {
                final int n = Math.min(available, REPLY_HEADER_LENGTH - stashed);
                UnsafeApi.copyMemory(recvAddress + pos, stashAddress + stashed, n);
                pos += n;
                stashed += n;
                if (stashed == REPLY_HEADER_LENGTH)
                {
                    stashed = 0;
                    reply(stashAddress);
                }
            }
        }
        requests.tellCompletions();
    }

    private void reply(final long address)
    {
        replyView.wrap(address, REPLY_HEADER_LENGTH);
        final String error = requests.reply(replyView.getInt(REPLY_MAGIC_OFFSET, ByteOrder.BIG_ENDIAN),
            replyView.getInt(REPLY_ERROR_OFFSET, ByteOrder.BIG_ENDIAN),
            replyView.getLong(REPLY_COOKIE_OFFSET, ByteOrder.BIG_ENDIAN));
        if (error != null)
        {
            fail(error, NbdErrno.EIO);
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

    /**
     * Ends the connection (the driver, or any thread when none drives): every request out, held or queued
     * completes with {@code errno}, later submissions are refused, the socket is shut down (so whatever is still in
     * the ring ends), and the sink hears the reason once.
     */
    void fail(final String why, final int errno)
    {
        if (failed)
        {
            return;
        }
        failErrno = errno;
        requests.tellCompletions(); // answered before the failure: they keep their results, told before the errors
        final String message = "NBD server " + server + " (export '" + export.name() + "'): " + why;
        failure = message;
        failed = true;
        shutdownSocket();
        while (toSendHead != toSendTail)
        {
            toSend[(int)(toSendHead++ & toSendMask)] = null;
        }
        filling.reset();
        requests.failAll(errno);
        sink.onDisconnected(message);
    }

    /** True when nothing is out or held and nothing waits to be sent (driver's view). */
    boolean isIdle()
    {
        return requests.isEmpty() && !requests.hasSubmitted() && !sendInFlight;
    }

    /**
     * Sends NBD_CMD_DISC straight on the socket (nobody drives any more: nothing else writes it). The socket's
     * buffer is empty, so 28 bytes go at once even though it is non-blocking.
     */
    boolean sendDisconnect()
    {
        if (failed || discSent)
        {
            return false;
        }
        discSent = true;
        final ByteBuffer header = ByteBuffer.allocateDirect(REQUEST_HEADER_LENGTH); // once, at close
        final UnsafeBuffer view = new UnsafeBuffer(header);
        view.putInt(REQUEST_MAGIC_OFFSET, NbdProtocol.NBD_REQUEST_MAGIC, ByteOrder.BIG_ENDIAN);
        view.putShort(REQUEST_TYPE_OFFSET, (short)NbdProtocol.NBD_CMD_DISC, ByteOrder.BIG_ENDIAN);
        try
        {
            return socket.write(header, 0, REQUEST_HEADER_LENGTH) == REQUEST_HEADER_LENGTH;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /** Shuts the socket down (any thread): whatever is in a ring on it ends, and its driver fails the rest. */
    void shutdownSocket()
    {
        try
        {
            socket.shutdown();
        }
        catch (final IOException ex)
        {
            // Already shut down or reset by the peer: either way nothing more moves on it.
        }
    }

    /**
     * Closes the socket; nobody may drive it afterwards. Frees the buffers when nobody drives (the kernel holds
     * none of them); a driver that never let go keeps them (a bounded leak, rather than a use after free).
     */
    void closeSocket()
    {
        try
        {
            socket.close();
        }
        catch (final IOException ex)
        {
            // Closing a socket the peer reset: nothing left to release.
        }
        final boolean free;
        synchronized (this)
        {
            free = !closed && driver == null && !keepMemory;
            closed = true;
        }
        if (free)
        {
            filling.close();
            sending.close();
            UnsafeApi.freeMemory(memory);
        }
    }

    @Override
    public void unregistered()
    {
        unregistered = true;
    }

    @Override
    public void close()
    {
        // Netty closes handles still registered when the ring shuts down; the socket is the client's to close.
    }
}
