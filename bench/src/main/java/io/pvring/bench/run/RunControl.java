package io.pvring.bench.run;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The phase of a two-thread measurement, read by the worker threads once per loop: warm-up (not counted),
 * measure, stop. A volatile int (on x86 the worker's read is an ordinary load) in the middle of an array of 256
 * bytes, so that it shares no cache line with anything a worker writes: the objects allocated next to this one
 * (a latency histogram, say) are written by the front thread while the back thread reads the phase every turn.
 */
public final class RunControl
{
    public static final int WARMUP = 0;
    public static final int MEASURE = 1;
    public static final int STOP = 2;

    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
    /** 128 bytes either side of the phase. */
    private static final int PHASE_INDEX = 32;

    private final int[] phase = new int[2 * PHASE_INDEX + 1];
    private volatile Throwable failure;

    public int phase()
    {
        return (int)INTS.getVolatile(phase, PHASE_INDEX);
    }

    public void phase(final int phase)
    {
        INTS.setVolatile(this.phase, PHASE_INDEX, phase);
    }

    /** A worker thread failed: the run stops and the error is reported instead of a figure. */
    public void fail(final Throwable error)
    {
        if (failure == null)
        {
            failure = error;
        }
        phase(STOP);
    }

    public Throwable failure()
    {
        return failure;
    }
}
