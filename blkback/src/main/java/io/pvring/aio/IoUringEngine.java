package io.pvring.aio;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.uring.IoUringIoEvent;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringIoHandlerConfig;
import io.netty.channel.uring.IoUringIoOps;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;

/**
 * The io_uring engine ({@code aio=io_uring}) on Netty's io_uring transport: one Netty event loop thread owns the
 * ring; this engine is an {@link IoUringIoHandle} registered on it that submits raw SQEs ({@link IoUringIoOps}'s
 * public constructor) on the file's descriptor: {@code READ}, {@code WRITE}, {@code READV}, {@code WRITEV},
 * {@code FSYNC} (with {@code IORING_FSYNC_DATASYNC} for fdatasync) and {@code FALLOCATE} (punch hole).
 *
 * <p>Batching: {@link #submitBatch()} moves the batch into a single-producer queue and schedules one drain task on
 * the loop (one {@code eventfd} wake-up per batch, none while a drain is pending); the loop turns the requests
 * into SQEs and submits them all with one {@code io_uring_enter}, which also reaps the CQEs that are ready, so
 * completions cost no system call of their own. Each CQE's 16-bit user data is the slot index.
 *
 * <p>Under {@code cache=none}, requests whose memory, offset or length are unaligned go to a small worker pool (the
 * "slow lane") that bounces them through aligned buffers, exactly as the portable engine does.
 */
public final class IoUringEngine extends AbstractAioEngine
{
    public static final String NAME = "io_uring";

    // From include/uapi/linux/io_uring.h: Netty keeps its own constants package-private.
    static final byte IORING_OP_READV = 1;
    static final byte IORING_OP_WRITEV = 2;
    static final byte IORING_OP_FSYNC = 3;
    static final byte IORING_OP_FALLOCATE = 17;
    static final byte IORING_OP_READ = 22;
    static final byte IORING_OP_WRITE = 23;
    static final int IORING_FSYNC_DATASYNC = 1;
    // From include/uapi/linux/falloc.h.
    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    /** {@code struct iovec}: {@code void *iov_base; size_t iov_len}. */
    static final int IOVEC_SIZE = 16;
    /** What {@link IoRegistration#submit} returns once the registration is cancelled. */
    private static final long REGISTRATION_INVALID = 0;

    private final MultiThreadIoEventLoopGroup group;
    private final IoEventLoop loop;
    private final IoRegistration registration;
    private final OneToOneConcurrentArrayQueue<AioSlot> toLoop;
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Runnable drainTask = this::drain;
    /** Used only on the loop thread, inside {@link #drain()}. */
    private final ReusableSqe sqe = new ReusableSqe();
    private final WorkerPool slowLane;
    private final AlignedBufferPool bounce;
    private final AioSlot[] slowBatch;
    private final long iovecs;
    private boolean iovecsFreed;

    /** Creates the engine and its event loop thread; see {@link IoUringSupport} for when it is available. */
    public IoUringEngine(final AioConfig config, final Runnable completionSignal)
    {
        super(config, completionSignal);
        final int depth = config.queueDepth();
        iovecs = UnsafeApi.allocateMemory((long)depth * config.maxSegments() * IOVEC_SIZE);
        for (int i = 0; i < depth; i++)
        {
            slot(i).iovecAddress = iovecs + (long)i * config.maxSegments() * IOVEC_SIZE;
        }
        toLoop = new OneToOneConcurrentArrayQueue<>(depth);
        slowBatch = new AioSlot[depth];
        final IoUringIoHandlerConfig ringConfig = new IoUringIoHandlerConfig()
            .setRingSize(Math.max(64, Integer.highestOneBit(depth * 2 - 1)));
        group = new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("aio-io_uring", true), IoUringIoHandler.newFactory(ringConfig));
        loop = group.next();
        final Future<IoRegistration> registered = loop.register(new Handle());
        if (!registered.awaitUninterruptibly(10, TimeUnit.SECONDS) || !registered.isSuccess())
        {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            UnsafeApi.freeMemory(iovecs);
            throw new IllegalStateException(
                "io_uring engine: registering on the event loop failed", registered.cause());
        }
        registration = registered.getNow();
        bounce = new AlignedBufferPool(config.bounceBuffers(), config.maxIoBytes(), AioFile.MAX_ALIGNMENT);
        slowLane = new WorkerPool(NAME + "-unaligned", this, bounce, depth, 0, Math.min(4, config.maxThreads()),
            config.idleTimeoutMillis());
    }

    public String name()
    {
        return NAME;
    }

    public long bouncedRequests()
    {
        return bounce.acquired();
    }

    public boolean canPunchHole()
    {
        return true;
    }

    protected void dispatch(final AioSlot[] requests, final int count)
    {
        int slow = 0;
        int fast = 0;
        for (int i = 0; i < count; i++)
        {
            final AioSlot slot = requests[i];
            if (needsSlowLane(slot))
            {
                slowBatch[slow++] = slot;
            }
            else
            {
                // Capacity equals the slot count: never full.
                toLoop.offer(slot);
                fast++;
            }
        }
        if (slow > 0)
        {
            slowLane.submit(slowBatch, slow);
        }
        if (fast > 0 && drainScheduled.compareAndSet(false, true))
        {
            loop.execute(drainTask);
        }
    }

    protected void shutdown(final long deadlineNanos)
    {
        // Wait for the ring to finish what it has; the loop keeps reaping while we wait.
        while (hasOutstanding() && System.nanoTime() < deadlineNanos)
        {
            LockSupport.parkNanos(50_000);
        }
        try
        {
            slowLane.shutdown(deadlineNanos);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        registration.cancel();
        final Future<?> terminated = group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        final long remainingMillis = Math.max(1000, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
        // The ring is gone only when the loop has terminated; until then the kernel may still read the iovecs.
        if (terminated.awaitUninterruptibly(remainingMillis) && !iovecsFreed)
        {
            iovecsFreed = true;
            UnsafeApi.freeMemory(iovecs);
        }
    }

    private static boolean needsSlowLane(final AioSlot slot)
    {
        return slot.needsBounce();
    }

    /** On the loop thread: turns queued requests into SQEs; the loop submits them when the task returns. */
    private void drain()
    {
        drainScheduled.set(false);
        AioSlot slot;
        while ((slot = toLoop.poll()) != null)
        {
            if (!slot.file.isOpen())
            {
                // Closed since submission: its number may already name another file.
                complete(slot, -Errno.EBADF);
            }
            else if (registration.submit(sqe(slot)) == REGISTRATION_INVALID)
            {
                complete(slot, -Errno.ECANCELED);
            }
        }
    }

    private IoUringIoOps sqe(final AioSlot slot)
    {
        final int fd = slot.file.fd();
        final short data = (short)slot.index;
        switch (slot.op)
        {
            case AioOp.READ:
                return sqe.set(IORING_OP_READ, fd, slot.position, slot.address, (int)slot.length, 0, data);
            case AioOp.WRITE:
                return sqe.set(IORING_OP_WRITE, fd, slot.position, slot.address, (int)slot.length, 0, data);
            case AioOp.READV:
                return sqe.set(IORING_OP_READV, fd, slot.position, fillIovecs(slot), slot.segmentCount, 0, data);
            case AioOp.WRITEV:
                return sqe.set(IORING_OP_WRITEV, fd, slot.position, fillIovecs(slot), slot.segmentCount, 0, data);
            case AioOp.FSYNC:
                return sqe.set(IORING_OP_FSYNC, fd, 0L, 0L, 0, 0, data);
            case AioOp.FDATASYNC:
                return sqe.set(IORING_OP_FSYNC, fd, 0L, 0L, 0, IORING_FSYNC_DATASYNC, data);
            case AioOp.PUNCH_HOLE:
                // io_uring_prep_fallocate: off = offset, addr = length, len = mode.
                return sqe.set(IORING_OP_FALLOCATE, fd, slot.position, slot.length,
                    FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, data);
            default:
                throw new IllegalStateException("unknown op " + slot);
        }
    }

    private static long fillIovecs(final AioSlot slot)
    {
        final long base = slot.iovecAddress;
        for (int i = 0; i < slot.segmentCount; i++)
        {
            UnsafeApi.putLong(base + (long)i * IOVEC_SIZE, slot.segmentAddresses[i]);
            UnsafeApi.putLong(base + (long)i * IOVEC_SIZE + 8, slot.segmentLengths[i]);
        }
        return base;
    }

    @Override
    public String toString()
    {
        return "IoUringEngine{inFlight=" + inFlight() + "}";
    }

    /** Receives this engine's CQEs on the loop thread (Netty reuses one event object per registration). */
    private final class Handle implements IoUringIoHandle
    {
        public void handle(final IoRegistration registration, final IoEvent event)
        {
            final IoUringIoEvent cqe = (IoUringIoEvent)event;
            complete(slot((int)cqe.userData() & 0x7FFF), cqe.res());
        }

        public void close()
        {
            // The engine owns no descriptor of its own: files are closed by their owners.
        }
    }
}
