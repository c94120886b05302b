package io.pvring.bench.run;

import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * The coordinator's side of a run: warm up, measure for the duration while printing progress once a second,
 * stop early on Ctrl-C or a worker failure. The workers do the work; this thread only sleeps and reads one
 * counter.
 */
public final class Measurement
{
    private static final long TICK_NANOS = 50_000_000L;
    private static final long SECOND_NANOS = 1_000_000_000L;

    private final String label;
    private final long warmupNanos;
    private final long durationNanos;
    private final Progress progress;

    private long measuredNanos;
    private boolean partial;
    private Runnable atMeasureStart = () ->
    {
    };
    private Runnable atMeasureEnd = () ->
    {
    };

    public Measurement(final String label, final long warmupNanos, final long durationNanos, final Progress progress)
    {
        this.label = label;
        this.warmupNanos = warmupNanos;
        this.durationNanos = durationNanos;
        this.progress = progress;
    }

    /**
     * Called on the measuring thread right after the measured phase begins and right after it ends (also when it
     * ends early): a run that samples CPU time over the measured interval.
     */
    public Measurement onMeasure(final Runnable atStart, final Runnable atEnd)
    {
        this.atMeasureStart = atStart;
        this.atMeasureEnd = atEnd;
        return this;
    }

    /** The warm-up that precedes a measured duration: a fifth of it, between 50 ms and 2 s. */
    public static long warmupFor(final long durationNanos)
    {
        return Math.max(50_000_000L, Math.min(2_000_000_000L, durationNanos / 5));
    }

    /**
     * Runs the phases on {@code control}; {@code ops} reads the workers' completed-operation count (for the
     * progress line only).
     */
    public void run(final RunControl control, final LongSupplier ops)
    {
        progress.runStarted();
        final long start = System.nanoTime();
        if (!sleepUntil(control, start + warmupNanos))
        {
            control.phase(RunControl.STOP);
            partial = true;
            measuredNanos = 0;
            return;
        }
        control.phase(RunControl.MEASURE);
        final long measureStart = System.nanoTime();
        atMeasureStart.run();
        final long end = measureStart + durationNanos;
        final boolean showProgress = durationNanos >= Progress.MIN_RUN_NANOS;
        // The first line comes after half a second, so a short run of a suite still shows what it measures.
        long nextTick = measureStart + SECOND_NANOS / 2;
        long lastOps = ops.getAsLong();
        long lastTick = measureStart;
        boolean complete = true;
        while (true)
        {
            final long now = System.nanoTime();
            if (now >= end)
            {
                break;
            }
            if (Interruption.requested() || control.failure() != null)
            {
                complete = false;
                break;
            }
            if (showProgress && now >= nextTick)
            {
                final long currentOps = ops.getAsLong();
                final double rate = rate(lastOps, currentOps, now - lastTick);
                progress.update(label, (now - measureStart) / 1e9, durationNanos / 1e9, rate);
                lastOps = currentOps;
                lastTick = now;
                nextTick += SECOND_NANOS;
            }
            LockSupport.parkNanos(Math.min(TICK_NANOS, Math.min(end, nextTick) - now));
        }
        control.phase(RunControl.STOP);
        measuredNanos = System.nanoTime() - measureStart;
        atMeasureEnd.run();
        partial = !complete;
        if (showProgress)
        {
            progress.done();
        }
    }

    /**
     * The rate over one progress interval. Workers restart their count when they see the measured phase begin,
     * which may be after this thread sampled the warm-up count: a count that went down restarted from zero
     * within the interval, so what it holds now is all that interval's work (a rate is never negative).
     */
    static double rate(final long lastOps, final long currentOps, final long intervalNanos)
    {
        if (intervalNanos <= 0)
        {
            return 0;
        }
        final long done = currentOps >= lastOps ? currentOps - lastOps : currentOps;
        return done * 1e9 / intervalNanos;
    }

    private static boolean sleepUntil(final RunControl control, final long deadline)
    {
        long now;
        while ((now = System.nanoTime()) < deadline)
        {
            if (Interruption.requested() || control.failure() != null)
            {
                return false;
            }
            LockSupport.parkNanos(Math.min(TICK_NANOS, deadline - now));
        }
        return true;
    }

    public long measuredNanos()
    {
        return measuredNanos;
    }

    public boolean partial()
    {
        return partial;
    }
}
