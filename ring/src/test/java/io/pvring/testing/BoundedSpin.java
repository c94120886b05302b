package io.pvring.testing;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.junit.jupiter.api.Assertions;

/**
 * A test's busy wait with its own bound and diagnostic: make one before the loop, call {@link #pause()} where the
 * loop would call {@code Thread.onSpinWait()}. Past the bound the test fails saying what it waited for and the
 * state the diagnostic reports, instead of hanging until the build's timeout.
 */
public final class BoundedSpin
{
    /** Generous for a shared 2-core machine: a bound catches a hang, it does not time the code. */
    public static final long DEFAULT_SECONDS = 30;

    private final long deadlineNanos;
    private final long seconds;
    private final Supplier<String> waitingFor;

    private BoundedSpin(final long seconds, final Supplier<String> waitingFor)
    {
        this.seconds = seconds;
        this.deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        this.waitingFor = waitingFor;
    }

    /**
     * A wait of at most {@link #DEFAULT_SECONDS}; {@code waitingFor} describes what is still pending (the loop's
     * condition, with any state worth seeing), evaluated only on failure.
     */
    public static BoundedSpin upTo(final Supplier<String> waitingFor)
    {
        return new BoundedSpin(DEFAULT_SECONDS, waitingFor);
    }

    public static BoundedSpin upTo(final long seconds, final Supplier<String> waitingFor)
    {
        return new BoundedSpin(seconds, waitingFor);
    }

    /** One turn of the wait: fails the test once the bound has passed. */
    public void pause()
    {
        if (System.nanoTime() - deadlineNanos > 0)
        {
            Assertions.fail("after " + seconds + " s, still waiting: " + waitingFor.get());
        }
        Thread.onSpinWait();
    }

    /**
     * Waits at most {@link #DEFAULT_SECONDS} until {@code condition} holds (other threads make it true), failing
     * with {@code waitingFor}.
     */
    public static void until(final BooleanSupplier condition, final Supplier<String> waitingFor)
    {
        final BoundedSpin spin = upTo(waitingFor);
        while (!condition.getAsBoolean())
        {
            spin.pause();
        }
    }
}
