package io.pvring.nbd;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Promise;
import io.pvring.uring.IoUringSupport;
import org.agrona.DirectBuffer;

/**
 * An asynchronous NBD client for one export over TCP or a Unix socket, built for a blkback ring thread.
 *
 * <p>{@link #connect} negotiates (fixed newstyle, {@code NBD_OPT_GO} with block sizes, {@code NBD_OPT_EXPORT_NAME}
 * only when the server lacks GO) within bounded timeouts, on a Netty event loop. Then the caller submits requests
 * with a tag and its own off-heap memory, which must stay valid until the request completes, and calls
 * {@link #flushBatch()} once per ring turn. Two data paths ({@link NbdClientConfig#dataPath()}):
 * <ul>
 *   <li>io_uring (the default where it works, {@link #onRing()}): the socket leaves the event loop after the
 *   handshake and the thread that sends first (the <em>driver</em>, a ring's runner) moves everything itself in its
 *   own io_uring: {@link #flushBatch} sends the turn's requests with one {@code sendmsg}, and replies, reaped by
 *   {@link #poll} or while the driver's runner sleeps in that ring, complete on the driver. No other thread is in
 *   between. Other threads may submit: their {@link #flushBatch} wakes the driver to send for them;</li>
 *   <li>event loop: {@link #flushBatch()} hands the batch to the loop (one wake-up, one socket flush), which reads
 *   replies and completes requests there.</li>
 * </ul>
 * Completions arrive in any order through the {@link NbdCompletionSink}. Nothing is allocated per request in
 * steady state: a preallocated in-flight table of {@link NbdClientConfig#maxInFlight()} slots, lock-free queues,
 * prebuilt SQEs or pooled direct buffers.
 *
 * <p>Submissions return 0 when accepted (the sink then hears of the request exactly once) or a negative errno when
 * refused on the spot (the sink never hears of it): {@link NbdErrno#EAGAIN} when the in-flight table is full,
 * {@link NbdErrno#EINVAL} for a range outside the export or not aligned to its minimum block size,
 * {@link NbdErrno#EROFS} for writes to a read-only export, {@link NbdErrno#EOPNOTSUPP} for an operation the server
 * did not advertise, {@link NbdErrno#ESHUTDOWN} once the connection has failed or been closed ({@link #failure()}
 * says why). Requests larger than the server's maximum payload are split and complete once, with the first error
 * of any part. A FLUSH is sent only after every write, trim and write-zeroes submitted before it has been
 * answered (see {@link NbdFlushOrder}). If the connection fails (server gone, protocol error, a request not
 * answered within the request timeout), every outstanding request completes with a negative errno, and
 * {@link NbdCompletionSink#onDisconnected} names the server.
 *
 * <p>Submitting methods and {@link #flushBatch()} are thread-safe (lock-free); {@link #close()} must not race with
 * them. On the io_uring path the driver must keep {@link #poll polling} (or sleep in its ring, as a runner does)
 * while requests are out, and {@link #release} it when its thread stops serving.
 */
public final class NbdClient implements AutoCloseable
{
    /** How often a close waits for a driver on another thread to see its socket shut down. */
    private static final long CLOSE_POLL_NANOS = 1_000_000;

    private final NbdUri uri;
    private final NbdClientConfig config;
    private final EventLoopGroup group;
    private final Channel channel;
    private final NbdTransmissionHandler transmission;
    /** The data path on the submitting thread's io_uring; null on the event-loop path. */
    private final NbdRingTransmission ring;
    private final NbdExport export;
    private volatile boolean closed;

    private NbdClient(final NbdUri uri, final NbdClientConfig config, final EventLoopGroup group,
        final Channel channel, final NbdTransmissionHandler transmission, final NbdRingTransmission ring,
        final NbdExport export)
    {
        this.uri = uri;
        this.config = config;
        this.group = group;
        this.channel = channel;
        this.transmission = transmission;
        this.ring = ring;
        this.export = export;
    }

    /** Null when {@link NbdClientConfig.DataPath#RING} works in this process, otherwise why not. */
    public static String ringUnavailableReason()
    {
        if (!Epoll.isAvailable())
        {
            return "Netty's epoll transport is unavailable (the socket is handed over from it): " +
                Epoll.unavailabilityCause();
        }
        return IoUringSupport.unavailableReason();
    }

    /**
     * Connects and negotiates, bounded by the connect and handshake timeouts.
     *
     * @throws NbdException naming the server and export: unreachable, not an NBD server, export refused (with the
     *                      server's reason), timed out.
     */
    public static NbdClient connect(final NbdUri uri, final NbdClientConfig config, final NbdCompletionSink sink)
        throws NbdException
    {
        config.validate();
        final String ringUnavailable = config.dataPath() == NbdClientConfig.DataPath.EVENT_LOOP ?
            "event-loop path chosen" : ringUnavailableReason();
        if (config.dataPath() == NbdClientConfig.DataPath.RING && ringUnavailable != null)
        {
            throw new NbdException("NBD server " + uri + ": the io_uring data path is unavailable: " +
                ringUnavailable);
        }
        final boolean epoll = Epoll.isAvailable();
        if (uri.unix() && !epoll)
        {
            throw new NbdException("NBD server " + uri + ": Unix sockets need Netty's epoll transport: " +
                Epoll.unavailabilityCause());
        }
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
            new DefaultThreadFactory("pvring-nbd", true),
            epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        boolean connected = false;
        try
        {
            final NbdTransmissionHandler transmission = new NbdTransmissionHandler(uri.toString(), config, sink);
            final Promise<NbdExport> negotiated = group.next().newPromise();
            final NbdHandshakeHandler handshake = new NbdHandshakeHandler(uri.toString(), uri.exportName(),
                config.handshakeTimeoutMs(), negotiated, transmission);
            final Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)config.connectTimeoutMs())
                .handler(new ChannelInitializer<>()
                {
                    @Override
                    protected void initChannel(final Channel ch)
                    {
                        ch.pipeline().addLast("nbd-handshake", handshake).addLast("nbd", transmission);
                    }
                });
            final SocketAddress address;
            if (uri.unix())
            {
                bootstrap.channel(EpollDomainSocketChannel.class);
                address = new DomainSocketAddress(uri.socketPath());
            }
            else
            {
                bootstrap.channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true);
                address = new InetSocketAddress(uri.host(), uri.port());
            }
            final ChannelFuture connect = bootstrap.connect(address);
            if (!connect.awaitUninterruptibly(config.connectTimeoutMs() + 1000))
            {
                connect.channel().close();
                throw new NbdException("NBD server " + uri + ": connect not done within " +
                    config.connectTimeoutMs() + " ms");
            }
            if (!connect.isSuccess())
            {
                throw new NbdException("NBD server " + uri + " unreachable: " + connect.cause().getMessage(),
                    connect.cause());
            }
            final Channel channel = connect.channel();
            if (!negotiated.awaitUninterruptibly(config.handshakeTimeoutMs() + 1000))
            {
                channel.close();
                throw new NbdException("NBD server " + uri + ": handshake not done within " +
                    config.handshakeTimeoutMs() + " ms");
            }
            if (!negotiated.isSuccess())
            {
                channel.close();
                final Throwable cause = negotiated.cause();
                throw cause instanceof NbdException ? (NbdException)cause :
                    new NbdException("NBD server " + uri + ": " + cause, cause);
            }
            final NbdRingTransmission ring = ringUnavailable == null ?
                handOver(uri, config, sink, channel, transmission, negotiated.getNow()) : null;
            connected = true;
            return new NbdClient(uri, config, group, channel, transmission, ring, negotiated.getNow());
        }
        finally
        {
            if (!connected || ringUnavailable == null)
            {
                // On the io_uring path the event loop's work ended with the handshake.
                group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).awaitUninterruptibly(config.closeTimeoutMs());
            }
        }
    }

    /**
     * Takes the negotiated socket off the event loop (no more reads there: nothing arrives before our first
     * request) and gives its descriptor to the io_uring data path. The channel object stays only as the
     * descriptor's holder; the client closes the descriptor itself.
     */
    private static NbdRingTransmission handOver(final NbdUri uri, final NbdClientConfig config,
        final NbdCompletionSink sink, final Channel channel, final NbdTransmissionHandler transmission,
        final NbdExport export) throws NbdException
    {
        channel.config().setAutoRead(false);
        final ChannelFuture deregistered = channel.deregister();
        if (!deregistered.awaitUninterruptibly(config.closeTimeoutMs()) || !deregistered.isSuccess())
        {
            channel.close();
            throw new NbdException("NBD server " + uri + ": taking the socket off the event loop failed: " +
                deregistered.cause());
        }
        final Socket socket = (Socket)((UnixChannel)channel).fd();
        return new NbdRingTransmission(uri.toString(), config, sink, export, transmission.payloadChunk(), socket);
    }

    public NbdUri uri()
    {
        return uri;
    }

    public NbdExport export()
    {
        return export;
    }

    /** Why the connection ended, naming the server ("disconnected" after {@link #close()}); null while it is up. */
    public String failure()
    {
        return ring != null ? ring.failure() : transmission.failure();
    }

    public boolean isConnected()
    {
        return !closed && !(ring != null ? ring.isFailed() : transmission.isFailed());
    }

    /** True when requests and replies move on the submitting thread's io_uring, false on the event loop. */
    public boolean onRing()
    {
        return ring != null;
    }

    /** The thread that drives the io_uring path now, or null (none yet, or the event-loop path). */
    public Thread driver()
    {
        return ring != null ? ring.driver() : null;
    }

    /** Reads {@code length} bytes at {@code offset} into the memory at {@code address}. */
    public int submitRead(final long tag, final long offset, final int length, final long address)
    {
        final int refused = checkRange(offset, length, payloadChunk());
        if (refused != 0)
        {
            return refused;
        }
        return submit(tag, NbdProtocol.NBD_CMD_READ, 0, offset, length, address);
    }

    /** Reads into an off-heap Agrona buffer region (a heap-backed buffer is refused: it can move). */
    public int submitRead(final long tag, final long offset, final int length, final DirectBuffer dst,
        final int dstIndex)
    {
        return submitRead(tag, offset, length, addressOf(dst, dstIndex, length));
    }

    /** Writes {@code length} bytes from the memory at {@code address}; {@code fua}: durable before it completes. */
    public int submitWrite(final long tag, final long offset, final int length, final long address,
        final boolean fua)
    {
        final int refused = checkWrite(offset, length, fua, payloadChunk());
        if (refused != 0)
        {
            return refused;
        }
        return submit(tag, NbdProtocol.NBD_CMD_WRITE, fuaFlag(fua), offset, length, address);
    }

    public int submitWrite(final long tag, final long offset, final int length, final DirectBuffer src,
        final int srcIndex, final boolean fua)
    {
        return submitWrite(tag, offset, length, addressOf(src, srcIndex, length), fua);
    }

    /** Commits every write submitted before it (held until those are answered, then NBD_CMD_FLUSH). */
    public int submitFlush(final long tag)
    {
        return submit(tag, NbdProtocol.NBD_CMD_FLUSH, 0, 0, 0, 0);
    }

    /** Discards a range (NBD_CMD_TRIM: a hint; the range reads back as the server decides). */
    public int submitTrim(final long tag, final long offset, final long length)
    {
        if (!export.canTrim())
        {
            return NbdErrno.EOPNOTSUPP;
        }
        final int refused = checkWrite(offset, length, false, NbdTransmissionHandler.NO_PAYLOAD_CHUNK);
        if (refused != 0)
        {
            return refused;
        }
        return submit(tag, NbdProtocol.NBD_CMD_TRIM, 0, offset, length, 0);
    }

    /** Writes zeros to a range; {@code noHole}: keep it allocated (NBD_CMD_FLAG_NO_HOLE). */
    public int submitWriteZeroes(final long tag, final long offset, final long length, final boolean noHole,
        final boolean fua)
    {
        if (!export.canWriteZeroes())
        {
            return NbdErrno.EOPNOTSUPP;
        }
        final int refused = checkWrite(offset, length, fua, NbdTransmissionHandler.NO_PAYLOAD_CHUNK);
        if (refused != 0)
        {
            return refused;
        }
        return submit(tag, NbdProtocol.NBD_CMD_WRITE_ZEROES,
            fuaFlag(fua) | (noHole ? NbdProtocol.NBD_CMD_FLAG_NO_HOLE : 0), offset, length, 0);
    }

    /** Sends everything submitted since the last call: call once per ring turn. */
    public void flushBatch()
    {
        flushBatch(null);
    }

    /**
     * {@link #flushBatch()}; on the io_uring path a thread that becomes the driver here is reached by others
     * through {@code driverWake} (run from any thread when they submitted: the driver must then {@link #poll}).
     */
    public void flushBatch(final Runnable driverWake)
    {
        if (closed)
        {
            return;
        }
        if (ring != null)
        {
            ring.schedule(driverWake);
        }
        else
        {
            transmission.schedule();
        }
    }

    /**
     * The driver's turn on the io_uring path: sends what other threads submitted and reaps replies (reading the
     * ring's memory only, when nothing is there); completions reach the sink on this thread. A thread that is not
     * the driver takes over when nobody drives and requests are waiting. Returns completions delivered; always 0 on
     * the event-loop path.
     */
    public int poll(final Runnable driverWake)
    {
        return ring != null ? ring.poll(driverWake) : 0;
    }

    /** True on the driver while replies are awaited that only its {@link #poll} will see (it is not a runner). */
    public boolean needsPolling()
    {
        return ring != null && ring.needsPolling();
    }

    /** Sleeps in the driver's ring until a completion arrives or {@code nanos} pass: for bounded waits. */
    public void awaitCompletion(final long nanos)
    {
        if (ring != null)
        {
            ring.awaitCompletion(nanos);
        }
    }

    /**
     * The driver lets go of the io_uring path (its ring thread stops serving), bounded by {@code deadlineNanos}:
     * the next thread that sends or polls takes over. No effect on other threads or on the event-loop path.
     */
    public void release(final long deadlineNanos)
    {
        if (ring != null)
        {
            ring.release(deadlineNanos);
        }
    }

    private int submit(final long tag, final int command, final int flags, final long offset, final long length,
        final long address)
    {
        if (closed || (ring != null ? ring.isFailed() : transmission.isFailed()))
        {
            return NbdErrno.ESHUTDOWN;
        }
        final NbdSlot slot = ring != null ? ring.acquire() : transmission.acquire();
        if (slot == null)
        {
            return NbdErrno.EAGAIN;
        }
        slot.tag = tag;
        slot.command = command;
        slot.flags = flags;
        slot.offset = offset;
        slot.length = length;
        slot.address = address;
        if (ring != null)
        {
            ring.publish(slot);
        }
        else
        {
            transmission.publish(slot);
        }
        return 0;
    }

    private long payloadChunk()
    {
        return ring != null ? ring.payloadChunk() : transmission.payloadChunk();
    }

    private int checkRange(final long offset, final long length, final long chunk)
    {
        if (length / chunk >= NbdSlot.MAX_PARTS)
        {
            // Only with a server maximum payload of a few bytes: the cookie cannot number that many parts.
            return NbdErrno.EINVAL;
        }
        final int minimum = export.minimumBlockSize();
        if (offset < 0 || length <= 0 || offset > export.size() - length || (offset | length) % minimum != 0)
        {
            return NbdErrno.EINVAL;
        }
        return 0;
    }

    private int checkWrite(final long offset, final long length, final boolean fua, final long chunk)
    {
        if (export.readOnly())
        {
            return NbdErrno.EROFS;
        }
        if (fua && !export.canFua() && export.canFlush())
        {
            return NbdErrno.EOPNOTSUPP;
        }
        return checkRange(offset, length, chunk);
    }

    private int fuaFlag(final boolean fua)
    {
        // Without NBD_FLAG_SEND_FLUSH the server has no volatile cache: every write is already durable.
        return fua && export.canFua() ? NbdProtocol.NBD_CMD_FLAG_FUA : 0;
    }

    private static long addressOf(final DirectBuffer buffer, final int index, final int length)
    {
        if (buffer.byteArray() != null)
        {
            throw new IllegalArgumentException("NBD I/O needs off-heap memory: buffer is heap-backed");
        }
        buffer.boundsCheck(index, length);
        return buffer.addressOffset() + index;
    }

    /**
     * Closes gracefully: requests already submitted are sent and answered, then NBD_CMD_DISC; bounded by the close
     * timeout, after which the socket is closed and whatever is left completes with {@link NbdErrno#ESHUTDOWN}.
     * The event-loop thread is stopped. Idempotent; never from the sink (the event loop).
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        if (ring != null)
        {
            closeRing();
            return;
        }
        if (channel.eventLoop().inEventLoop())
        {
            // close() waits for the event loop; from the sink it would wait for itself.
            throw new IllegalStateException("NbdClient.close() called on its own event loop (from the sink?)");
        }
        closed = true;
        try
        {
            channel.eventLoop().execute(transmission::beginClose);
            if (!channel.closeFuture().awaitUninterruptibly(config.closeTimeoutMs()))
            {
                channel.eventLoop().execute(() -> transmission.fail("no clean disconnect within " +
                    config.closeTimeoutMs() + " ms", NbdErrno.ESHUTDOWN));
                channel.close().awaitUninterruptibly(config.closeTimeoutMs());
            }
        }
        finally
        {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).awaitUninterruptibly(config.closeTimeoutMs());
        }
    }

    /**
     * The io_uring path's close: the driver (if this thread) sends what was submitted and waits for the answers,
     * then lets go; with nobody driving, NBD_CMD_DISC goes straight on the socket. A driver on another thread
     * cannot be stopped from here: the socket is shut down under it, so its requests fail and it sees the end.
     */
    private void closeRing()
    {
        closed = true;
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.closeTimeoutMs());
        final Thread driver = ring.driver();
        if (driver == Thread.currentThread())
        {
            ring.poll(null);
            while (!ring.isIdle() && !ring.isFailed() && System.nanoTime() - deadline < 0)
            {
                ring.awaitCompletion(deadline - System.nanoTime());
                ring.poll(null);
            }
            ring.release(deadline);
        }
        else if (driver != null)
        {
            // Its recv would outlive the descriptor's close (the ring holds the file): end it, so the driver fails
            // what is left on its own thread and sees the connection gone.
            ring.shutdownSocket();
            while (!ring.isFailed() && System.nanoTime() - deadline < 0)
            {
                LockSupport.parkNanos(CLOSE_POLL_NANOS);
            }
        }
        if (ring.driver() == null && ring.isIdle() && ring.sendDisconnect())
        {
            ring.fail("disconnected", NbdErrno.ESHUTDOWN);
        }
        else if (ring.driver() == null)
        {
            ring.fail(ring.isIdle() ? "disconnect not sent" : "no clean disconnect within " +
                config.closeTimeoutMs() + " ms", NbdErrno.ESHUTDOWN);
        }
        ring.closeSocket();
    }

    @Override
    public String toString()
    {
        final String why = failure();
        return "NbdClient[" + uri + (ring != null ? " io_uring" : "") + (why != null ? " failed: " + why : "") + "]";
    }
}
