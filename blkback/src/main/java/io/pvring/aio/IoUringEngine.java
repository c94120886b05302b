package io.pvring.aio;

import java.util.concurrent.locks.LockSupport;

import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.uring.IoUringIoEvent;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.channel.uring.IoUringIoOps;
import io.pvring.uring.IoUringSupport;
import io.pvring.uring.ThreadRing;
import org.agrona.UnsafeApi;

/**
 * The io_uring engine ({@code aio=io_uring}) on Netty's io_uring ring, driven by the submitting thread itself: the
 * ring is the thread's {@link ThreadRing} (one per thread, shared by every engine that thread drives), bound when
 * the engine first submits or polls, and this engine is an {@link IoUringIoHandle} registered on it that writes raw
 * SQEs ({@link IoUringIoOps}'s public constructor) on the file's descriptor: {@code READ}, {@code WRITE}, {@code
 * READV}, {@code WRITEV}, {@code FSYNC} (with {@code IORING_FSYNC_DATASYNC} for fdatasync) and {@code FALLOCATE}
 * (punch hole).
 *
 * <p>No thread in between: {@link #submitBatch()} writes the batch's SQEs straight into the submission queue and
 * submits them with one {@code io_uring_enter}, which also reaps what is ready (a page-cache hit completes inside
 * that call); {@link #poll} reaps the completion queue, entering the kernel only when the ring's memory shows a
 * CQE or deferred completion work ({@code IORING_SETUP_DEFER_TASKRUN} with {@code IORING_SQ_TASKRUN}, Netty's
 * default for a single-issuer ring). A CQE may be reaped by another engine's poll on the same thread, or while a
 * runner sleeps in the ring, so every completion runs the completion signal (on the ring's own thread that is an
 * atomic flag, no system call). On a runner thread the runner sleeps in the ring and a CQE wakes it; on any other
 * thread {@link #needsPolling()} says the caller must come back to poll.
 *
 * <p>Every call but the submission methods that only queue ({@link #read}...) must come from the thread that
 * bound the engine: another thread gets an {@link IllegalStateException} naming both.
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

    private final Handle handle = new Handle();
    /** Used only on the owner thread. */
    private final ReusableSqe sqe = new ReusableSqe();
    private final WorkerPool slowLane;
    private final AlignedBufferPool bounce;
    private final AioSlot[] slowBatch;
    private final long iovecs;
    /** The owner thread's ring, from the first submit or poll; null until then. */
    private ThreadRing ring;
    private IoRegistration registration;
    /** Requests in the ring whose CQE has not been handled yet (owner thread only). */
    private int inRing;
    private boolean iovecsFreed;

    /**
     * Creates the engine; the ring it uses is the one of the first thread that submits or polls. See {@link
     * IoUringSupport} for when it is available.
     */
    public IoUringEngine(final AioConfig config, final Runnable completionSignal)
    {
        super(config, completionSignal);
        final int depth = config.queueDepth();
        iovecs = UnsafeApi.allocateMemory((long)depth * config.maxSegments() * IOVEC_SIZE);
        for (int i = 0; i < depth; i++)
        {
            slot(i).iovecAddress = iovecs + (long)i * config.maxSegments() * IOVEC_SIZE;
        }
        slowBatch = new AioSlot[depth];
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

    /**
     * True while requests are in the ring and this thread is not a runner that sleeps in it: their completions are
     * then seen only by a {@link #poll} here (completions of the slow lane signal themselves).
     */
    @Override
    public boolean needsPolling()
    {
        return inRing > 0 && !ring.wakesItsThread();
    }

    protected void dispatch(final AioSlot[] requests, final int count)
    {
        bind();
        int slow = 0;
        int fast = 0;
        for (int i = 0; i < count; i++)
        {
            final AioSlot slot = requests[i];
            if (!slot.file.isOpen())
            {
                // Closed since it was queued: its number may already name another descriptor.
                completeHere(slot, -Errno.EBADF);
            }
            else if (slot.needsBounce())
            {
                slowBatch[slow++] = slot;
            }
            else if (registration.submit(sqe(slot)) == REGISTRATION_INVALID)
            {
                completeHere(slot, -Errno.ECANCELED);
            }
            else
            {
                inRing++;
                ring.inFlight(1);
                fast++;
            }
        }
        if (slow > 0)
        {
            slowLane.submit(slowBatch, slow);
        }
        if (fast > 0)
        {
            // One io_uring_enter for the batch; it also reaps whatever completed meanwhile (or inline).
            ring.submitAndReap();
        }
    }

    protected void reap()
    {
        if (inRing > 0)
        {
            checkOwner();
            ring.reap();
        }
    }

    protected void shutdown(final long deadlineNanos)
    {
        if (ring != null)
        {
            checkOwner();
            // Only this thread can reap: drive the ring until what this engine has there completed, or the deadline.
            while (inRing > 0 && System.nanoTime() < deadlineNanos)
            {
                if (ring.submitAndReap() == 0)
                {
                    LockSupport.parkNanos(50_000);
                }
            }
        }
        try
        {
            slowLane.shutdown(deadlineNanos);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        if (ring != null)
        {
            registration.cancel();
            ring.release(deadlineNanos);
        }
        // Nothing of ours left in a ring: the kernel reads no iovec any more. A request abandoned at the deadline
        // keeps its iovecs (a bounded leak, logged by the caller's time-out) rather than risk a use after free.
        if (inRing == 0 && !iovecsFreed)
        {
            iovecsFreed = true;
            UnsafeApi.freeMemory(iovecs);
        }
    }

    /** Allocating passes the owner thread made through Netty's loop on this engine's ring (0 before it is bound). */
    long ringPasses()
    {
        return ring == null ? 0 : ring.passes();
    }

    /** True once bound, when polling can tell from the ring's memory that nothing is there (no Netty call). */
    boolean peeksRing()
    {
        return ring != null && ring.peeks();
    }

    /** True once bound, when submitting and reaping bypass Netty's allocating loop. */
    boolean passesWithoutAllocating()
    {
        return ring != null && ring.passesWithoutAllocating();
    }

    /** Binds the engine to the calling thread's ring on first use, and refuses any other thread afterwards. */
    private void bind()
    {
        if (ring != null)
        {
            checkOwner();
            return;
        }
        ring = ThreadRing.acquire();
        registration = ring.register(handle);
    }

    private void checkOwner()
    {
        if (ring.owner() != Thread.currentThread())
        {
            throw new IllegalStateException("io_uring engine is driven by thread " + ring.owner().getName() +
                " only, called from " + Thread.currentThread().getName());
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

    /**
     * Receives this engine's CQEs on the owner thread, inside a poll of any engine on the ring or the runner's sleep
     * (Netty reuses one event object): hence the signal.
     */
    private final class Handle implements IoUringIoHandle
    {
        public void handle(final IoRegistration registration, final IoEvent event)
        {
            final IoUringIoEvent cqe = (IoUringIoEvent)event;
            inRing--;
            ring.inFlight(-1);
            complete(slot((int)cqe.userData() & 0x7FFF), cqe.res());
        }

        public void close()
        {
            // The engine owns no descriptor of its own: files are closed by their owners.
        }
    }
}
