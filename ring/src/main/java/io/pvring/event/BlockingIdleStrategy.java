package io.pvring.event;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.IdleStrategy;

/**
 * An idle strategy that sleeps until an event arrives: the thread running the agents parks when they did no work,
 * and an {@link EventPort} it watches wakes it ({@link #wake()}). Lowest CPU use; a wake-up costs one
 * {@code unpark} only when the thread is actually parked.
 *
 * <p>No lost wake-up, by the set-flag / re-check / park protocol:
 * <pre>
 *   waker:  signalled = 1;  if (parked) unpark(owner)
 *   idler:  parked = 1;     if (!signalled) park();  parked = 0;  signalled = 0 (swap)
 * </pre>
 * Both sides store then load volatile fields, so at least one sees the other: either the waker sees the thread
 * parked and unparks it (a permit given before {@code park} makes it return at once), or the idler sees the
 * signal and does not park. The signal is consumed by an atomic swap, which orders the waker's event (set before
 * its signal) before the agents' next look at their ports.
 *
 * <p>One idling thread per instance (one per agent runner); any number of threads may call {@link #wake()}.
 * Register it as the {@link EventWaiter} of every port the runner's agents serve, and call {@link #wake()} from
 * anything else that hands them work (an I/O completion thread, a control command), or that work waits for the
 * next event.
 * {@link Thread#interrupt()} (as Agrona's {@code AgentRunner.close()} does) also ends a park.
 */
public final class BlockingIdleStrategy implements IdleStrategy, EventWaiter
{
    public static final String ALIAS = "notify";

    private static final VarHandle SIGNALLED;
    private static final VarHandle PARKED;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            SIGNALLED = lookup.findVarHandle(BlockingIdleStrategy.class, "signalled", int.class);
            PARKED = lookup.findVarHandle(BlockingIdleStrategy.class, "parked", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    @SuppressWarnings("unused") // accessed through SIGNALLED
    private volatile int signalled;
    @SuppressWarnings("unused") // accessed through PARKED
    private volatile int parked;
    private volatile Thread owner;
    /** Null: {@code LockSupport}. */
    private volatile ThreadParker parker;
    /** Upper bound on the next park, set by the idling thread's agents (a timer due); 0 = unbounded. */
    private long nextParkBoundNanos;
    private final AtomicLong unparks = new AtomicLong();
    private final AtomicLong parks = new AtomicLong();

    @Override
    public void idle(final int workCount)
    {
        if (workCount <= 0)
        {
            idle();
        }
    }

    /** Parks until woken, unless a wake-up arrived since the last idle. */
    @Override
    public void idle()
    {
        if (0 != (int)SIGNALLED.getVolatile(this) && 0 != (int)SIGNALLED.getAndSet(this, 0))
        {
            return;
        }
        final Thread thread = Thread.currentThread();
        if (owner != thread)
        {
            owner = thread;
        }
        final long bound = nextParkBoundNanos;
        nextParkBoundNanos = 0;
        PARKED.setVolatile(this, 1);
        if (0 == (int)SIGNALLED.getVolatile(this))
        {
            parks.lazySet(parks.get() + 1);
            final ThreadParker p = parker;
            if (p != null)
            {
                p.park(bound);
            }
            else if (bound > 0)
            {
                LockSupport.parkNanos(this, bound);
            }
            else
            {
                LockSupport.park(this);
            }
        }
        PARKED.setVolatile(this, 0);
        SIGNALLED.getAndSet(this, 0);
    }

    /**
     * Bounds the next park to {@code nanos} (the earliest of several calls wins): an agent with a timer due (a
     * rate limiter waiting for credit) calls it from its duty cycle, on the idling thread only, so the runner wakes
     * for the timer without any event. Consumed by the next {@link #idle()}; the wake-up protocol is unchanged.
     */
    public void boundNextPark(final long nanos)
    {
        final long bound = Math.max(1, nanos);
        if (nextParkBoundNanos == 0 || bound < nextParkBoundNanos)
        {
            nextParkBoundNanos = bound;
        }
    }

    /**
     * Makes the idling thread sleep through {@code parker} from now on ({@code null}: {@code LockSupport} again).
     * Call on the idling thread, between idles: it is not parked then, so no wake-up can be owed to the other way.
     */
    public void parker(final ThreadParker parker)
    {
        this.parker = parker;
    }

    @Override
    public void reset()
    {
    }

    @Override
    public String alias()
    {
        return ALIAS;
    }

    /** Wakes the idling thread if it is parked; otherwise only records the signal (no system call). */
    @Override
    public void wake()
    {
        if (0 != (int)SIGNALLED.getVolatile(this))
        {
            // An earlier wake-up is not consumed yet: the idler will not sleep through it.
            return;
        }
        SIGNALLED.setVolatile(this, 1);
        if (0 != (int)PARKED.getVolatile(this))
        {
            final ThreadParker p = parker;
            final Thread thread = owner;
            if (p != null)
            {
                unparks.incrementAndGet();
                p.unpark();
            }
            else if (null != thread)
            {
                unparks.incrementAndGet();
                LockSupport.unpark(thread);
            }
        }
    }

    /** True while the idling thread is parked (or about to park). */
    public boolean isParked()
    {
        return 0 != (int)PARKED.getVolatile(this);
    }

    /** {@code unpark} calls made by {@link #wake()}: wake-ups that needed a system call. */
    public long unparks()
    {
        return unparks.get();
    }

    /** Times the idling thread parked. */
    public long parks()
    {
        return parks.get();
    }

    @Override
    public String toString()
    {
        return "BlockingIdleStrategy{parks=" + parks() + ", unparks=" + unparks() + '}';
    }
}
