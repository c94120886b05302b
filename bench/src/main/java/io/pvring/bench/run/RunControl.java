package io.pvring.bench.run;

/**
 * The phase of a two-thread measurement, read by the worker threads once per loop: warm-up (not counted),
 * measure, stop. A plain volatile int: on x86 the worker's read is an ordinary load.
 */
public final class RunControl
{
    public static final int WARMUP = 0;
    public static final int MEASURE = 1;
    public static final int STOP = 2;

    private volatile int phase = WARMUP;
    private volatile Throwable failure;

    public int phase()
    {
        return phase;
    }

    public void phase(final int phase)
    {
        this.phase = phase;
    }

    /** A worker thread failed: the run stops and the error is reported instead of a figure. */
    public void fail(final Throwable error)
    {
        if (failure == null)
        {
            failure = error;
        }
        phase = STOP;
    }

    public Throwable failure()
    {
        return failure;
    }
}
