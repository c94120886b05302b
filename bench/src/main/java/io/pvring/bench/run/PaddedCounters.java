package io.pvring.bench.run;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A few counters with a single writer each, 128 bytes apart so two threads' counters never share a cache line
 * (or the adjacent-line prefetch pair). The writer publishes with opaque stores, a plain {@code mov} on x86; a
 * reporting thread reads them with opaque loads.
 */
public final class PaddedCounters
{
    private static final int STRIDE = 16;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] values;

    public PaddedCounters(final int count)
    {
        values = new long[(count + 2) * STRIDE];
    }

    public long get(final int counter)
    {
        return (long)LONGS.getOpaque(values, index(counter));
    }

    public void set(final int counter, final long value)
    {
        LONGS.setOpaque(values, index(counter), value);
    }

    public void add(final int counter, final long delta)
    {
        final int i = index(counter);
        LONGS.setOpaque(values, i, (long)LONGS.getOpaque(values, i) + delta);
    }

    private static int index(final int counter)
    {
        return (counter + 1) * STRIDE;
    }
}
