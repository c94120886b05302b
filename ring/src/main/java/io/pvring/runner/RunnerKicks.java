package io.pvring.runner;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.pvring.event.EventPort;
import io.pvring.event.KickWatch;
import io.pvring.event.KickWatcher;
import io.pvring.uring.IoUringSupport;
import io.pvring.uring.ThreadRing;
import org.agrona.ErrorHandler;

/**
 * The kick eventfds one {@link Runner} reads in its thread's io_uring ({@link RingKick}), so an out-of-process
 * frontend's kick wakes the runner directly: the runner sleeps in {@code io_uring_enter} once it reads any.
 *
 * <p>Watches arrive from any thread ({@link #watch}) as runner commands, so the ring (single issuer) is touched by
 * the runner thread alone. A re-armed read is submitted with the runner's next {@code io_uring_enter}: the one it
 * sleeps in, or, while it does not sleep, {@link #afterPass}'s. Completions are reaped in the sleep, or by
 * {@link #poll} on a pass (a look at the ring's memory, no system call when there is nothing).
 */
final class RunnerKicks implements KickWatcher
{
    /** Busy passes (agents did work) a re-armed read may wait for the runner's next enter before it is forced. */
    static final int BUSY_PASSES_BEFORE_SUBMIT = 16;
    private static final long RELEASE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Runner runner;
    private final ErrorHandler errorHandler;
    private final List<RingKick> active = new ArrayList<>();
    private ThreadRing ring;
    /** A read was armed since the ring was last entered. */
    private boolean unsubmitted;
    private int busyPasses;
    private boolean anyGivingBack;

    RunnerKicks(final Runner runner, final ErrorHandler errorHandler)
    {
        this.runner = runner;
        this.errorHandler = errorHandler;
    }

    /** Null when io_uring works here, else why kicks stay on the socket's event loop. Cached per process. */
    static String unavailableReason()
    {
        return Availability.REASON;
    }

    @Override
    public KickWatch watch(final int fd, final EventPort port, final Runnable released)
    {
        final RingKick kick = new RingKick(this, fd, port, released);
        return runner.enqueue(() -> start(kick)) ? kick : null;
    }

    /** Kick eventfds read on this runner now (runner thread). */
    int active()
    {
        return active.size();
    }

    void requestStop(final RingKick kick)
    {
        // Once the runner has stopped, its exit has stopped every watch already.
        runner.enqueue(() -> stop(kick));
    }

    void noteArmed()
    {
        unsubmitted = true;
    }

    void noteGiveBack()
    {
        anyGivingBack = true;
    }

    /** True while a watch waits to give its eventfd back (the runner must not sleep before its next pass). */
    boolean givingBack()
    {
        return anyGivingBack;
    }

    /**
     * On a pass (runner thread): ends the watches that give their eventfd back, and reaps kicks that completed while
     * the runner was awake.
     */
    void poll()
    {
        if (null != ring)
        {
            ring.reap(); // first: a kick reaped here may find its backend gone, and is handed back below
        }
        if (anyGivingBack)
        {
            anyGivingBack = false;
            for (int i = active.size() - 1; i >= 0; i--)
            {
                if (active.get(i).givingBack())
                {
                    stop(active.get(i));
                }
            }
        }
    }

    /**
     * After a pass that will not sleep (runner thread): submits re-armed reads now if the runner spins (it may never
     * enter the ring otherwise), or after a few busy passes, so a kick for a sleeping agent is never held back by
     * busy neighbours for long. A runner about to sleep submits them in its sleep.
     */
    void afterPass(final boolean spinning)
    {
        if (!unsubmitted || null == ring)
        {
            return;
        }
        if (spinning || ++busyPasses >= BUSY_PASSES_BEFORE_SUBMIT)
        {
            submit();
        }
    }

    /** The runner is about to sleep in the ring, which submits what is armed. */
    void beforeSleep()
    {
        unsubmitted = false;
        busyPasses = 0;
    }

    /** Stops every watch (the runner is stopping): their owners get the descriptors back. */
    void closeAll()
    {
        for (int i = active.size() - 1; i >= 0; i--)
        {
            stop(active.get(i));
        }
    }

    private void submit()
    {
        unsubmitted = false;
        busyPasses = 0;
        ring.submitAndReap();
    }

    private void start(final RingKick kick)
    {
        if (kick.isCancelled())
        {
            kick.stop(ring);
            return;
        }
        try
        {
            if (null == ring)
            {
                ring = ThreadRing.acquire();
            }
            kick.start(ring);
        }
        catch (final RuntimeException | LinkageError ex)
        {
            errorHandler.onError(ex);
            kick.stop(ring); // given back: its owner keeps watching it as before
            releaseRingIfIdle();
            return;
        }
        active.add(kick);
    }

    private void stop(final RingKick kick)
    {
        if (!active.remove(kick))
        {
            return; // stopped already (it failed, or the runner stopped), or never started: released then
        }
        try
        {
            kick.stop(ring);
        }
        finally
        {
            releaseRingIfIdle();
        }
    }

    private void releaseRingIfIdle()
    {
        if (active.isEmpty() && null != ring)
        {
            final ThreadRing r = ring;
            ring = null;
            unsubmitted = false;
            r.release(System.nanoTime() + RELEASE_TIMEOUT_NANOS);
        }
    }

    /** Looked up once, on first use. */
    private static final class Availability
    {
        static final String REASON = IoUringSupport.unavailableReason();
    }
}
