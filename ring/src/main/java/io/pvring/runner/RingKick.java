package io.pvring.runner;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.uring.IoUringIoEvent;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.channel.uring.IoUringIoOps;
import io.pvring.event.EventPort;
import io.pvring.event.EventWaiter;
import io.pvring.event.KickWatch;
import io.pvring.uring.ThreadRing;
import org.agrona.UnsafeApi;

/**
 * One kick eventfd read by a runner in its own io_uring ({@link ThreadRing}): an {@code IORING_OP_READ} of the
 * 8-byte counter into a small off-heap word, re-armed after each completion. The read resets the counter (no
 * extra system call), and its CQE notifies the port on the runner thread itself, which sets the hosted agent's
 * signal and nothing more: the runner was asleep in {@code io_uring_enter} and is already awake. A kick written
 * while no read is armed stays in the counter, so the next read completes at once: none is lost.
 *
 * <p>The frontend's eventfd is usually {@code O_NONBLOCK}. Kernels since 5.x arm an internal poll for such a read
 * on a file that supports it (eventfd does) and complete it when a kick arrives; a kernel that answers {@code
 * -EAGAIN} instead gets an {@code IORING_OP_POLL_ADD} for {@code POLLIN} first and the read after it, so the
 * runner never spins on the ring.
 *
 * <p>Touched on the runner thread only, except {@link #cancel()} and {@link #kicks()}.
 */
final class RingKick implements IoUringIoHandle, KickWatch
{
    // From include/uapi/linux/io_uring.h and asm-generic/errno.h: Netty keeps its own constants package-private.
    static final byte IORING_OP_POLL_ADD = 6;
    static final byte IORING_OP_ASYNC_CANCEL = 14;
    static final byte IORING_OP_READ = 22;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ECANCELED = 125;
    /** From include/uapi/asm-generic/poll.h. */
    static final int POLLIN = 0x0001;
    /** {@code eventfd_t}: reads are exactly 8 bytes. */
    static final int COUNTER_SIZE = Long.BYTES;
    /** How long {@link #stop} drives the ring for the cancelled read's completion. */
    private static final long STOP_TIMEOUT_NANOS = 1_000_000_000L;
    /** What {@link IoRegistration#submit} returns once the registration is cancelled. */
    private static final long REGISTRATION_INVALID = 0;

    private static final VarHandle KICKS;

    static
    {
        try
        {
            KICKS = MethodHandles.lookup().findVarHandle(RingKick.class, "kicks", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final RunnerKicks owner;
    private final int fd;
    private final EventPort port;
    private final Runnable released;
    private volatile boolean cancelled;
    @SuppressWarnings("unused") // accessed through KICKS
    private long kicks;
    private IoRegistration registration;
    private IoUringIoOps readSqe;
    private IoUringIoOps pollSqe;
    private long counter;
    /** The read's or poll's user_data while one is in the ring. */
    private long pendingUserData;
    private boolean pending;
    private boolean unregistered;
    private boolean giveBack;

    RingKick(final RunnerKicks owner, final int fd, final EventPort port, final Runnable released)
    {
        this.owner = owner;
        this.fd = fd;
        this.port = port;
        this.released = released;
    }

    @Override
    public void cancel()
    {
        if (!cancelled)
        {
            cancelled = true;
            owner.requestStop(this);
        }
    }

    @Override
    public long kicks()
    {
        return (long)KICKS.getAcquire(this);
    }

    boolean isCancelled()
    {
        return cancelled;
    }

    /**
     * True once the watch should end: a read failed in a way re-arming will not fix, or the port's peer is no longer
     * served by this runner (its agent left, or the port was bound again elsewhere). The runner stops it on its next
     * pass and the owner takes the eventfd back, to hand it to the right thread on the next kick.
     */
    boolean givingBack()
    {
        return giveBack;
    }

    /** Registers on {@code ring} and arms the first read (submitted with the ring's next enter). */
    void start(final ThreadRing ring)
    {
        counter = UnsafeApi.allocateMemory(COUNTER_SIZE);
        readSqe = new IoUringIoOps(IORING_OP_READ, (byte)0, (short)0, fd, 0L, counter, COUNTER_SIZE, 0, 0L,
            (short)0, (short)0, 0, 0L);
        pollSqe = new IoUringIoOps(IORING_OP_POLL_ADD, (byte)0, (short)0, fd, 0L, 0L, 0, POLLIN, 0L,
            (short)0, (short)0, 0, 0L);
        registration = ring.register(this);
        arm(readSqe);
    }

    @Override
    public void handle(final IoRegistration reg, final IoEvent event)
    {
        final IoUringIoEvent cqe = (IoUringIoEvent)event;
        final byte op = cqe.opcode();
        if (IORING_OP_READ != op && IORING_OP_POLL_ADD != op)
        {
            return; // the cancellation's own completion
        }
        pending = false;
        final int res = cqe.res();
        if (cancelled || -ECANCELED == res)
        {
            return;
        }
        if (IORING_OP_POLL_ADD == op && res >= 0)
        {
            arm(readSqe); // readable now
        }
        else if (COUNTER_SIZE == res)
        {
            arm(readSqe);
            KICKS.setRelease(this, kicks + 1);
            port.notifyRemote();
            final EventWaiter waiter = port.remoteWaiter();
            if (null == waiter || waiter.kickWatcher() != owner)
            {
                giveBack = true;
                owner.noteGiveBack();
            }
        }
        else if (-EAGAIN == res)
        {
            arm(pollSqe); // a kernel that does not poll O_NONBLOCK reads for us: wait for readable first
        }
        else if (-EINTR == res)
        {
            arm(readSqe);
        }
        else
        {
            // The descriptor went bad under us (it is not ours to close): give it back, its owner decides.
            giveBack = true;
            owner.noteGiveBack();
        }
    }

    private void arm(final IoUringIoOps sqe)
    {
        pendingUserData = registration.submit(sqe);
        pending = REGISTRATION_INVALID != pendingUserData;
        if (pending)
        {
            owner.noteArmed();
        }
    }

    /**
     * Cancels the read in flight, drives {@code ring} until Netty has let go of the registration, and hands the
     * descriptor back ({@code released}). On the runner thread, outside the ring's own processing.
     */
    void stop(final ThreadRing ring)
    {
        if (null != registration)
        {
            if (pending)
            {
                // io_uring_prep_cancel64: addr = the read's (or poll's) user_data.
                registration.submit(new IoUringIoOps(IORING_OP_ASYNC_CANCEL, (byte)0, (short)0, -1, 0L,
                    pendingUserData, 0, 0, 0L, (short)0, (short)0, 0, 0L));
            }
            registration.cancel(); // Netty removes it once no completion is outstanding
            final long deadline = System.nanoTime() + STOP_TIMEOUT_NANOS;
            while (!unregistered && System.nanoTime() - deadline < 0)
            {
                if (ring.submitAndReap() == 0 && !unregistered)
                {
                    LockSupport.parkNanos(20_000);
                }
            }
            if (unregistered)
            {
                UnsafeApi.freeMemory(counter);
            }
            // Otherwise the kernel may still write the word: 8 bytes leaked rather than a use after free.
            registration = null;
        }
        released.run();
    }

    @Override
    public void unregistered()
    {
        unregistered = true;
    }

    @Override
    public void close()
    {
        // Netty closes handles still registered when the ring shuts down; the descriptor is not ours to close.
    }

    @Override
    public String toString()
    {
        return "RingKick{fd=" + fd + ", port=" + port.port() + ", kicks=" + kicks() + ", cancelled=" + cancelled +
            '}';
    }
}
