package io.pvring.bench.ring;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import io.pvring.bench.run.BenchRecord;
import io.pvring.bench.run.Interruption;
import io.pvring.bench.run.Progress;

/**
 * Runs one ring configuration on a list of implementations. With several rounds the implementations alternate
 * (pvring, agrona, ..., pvring, agrona, ...) and each keeps its best round: on a shared machine a neighbour's burst
 * then costs every implementation alike instead of whichever happened to run during it.
 */
public final class RingRuns
{
    private RingRuns()
    {
    }

    /**
     * @param rounds how many times each implementation runs; the best (highest ops/s) is kept.
     * @param notes  where "skipped" notes go (native toolchain missing).
     * @return false when Ctrl-C stopped the sequence (records measured so far are still delivered).
     */
    public static boolean run(
        final RingConfig config,
        final List<RingImpl> impls,
        final int rounds,
        final long durationNanos,
        final Progress progress,
        final PrintWriter notes,
        final Consumer<BenchRecord> sink) throws IOException, InterruptedException
    {
        final List<RingImpl> runnable = new ArrayList<>();
        for (final RingImpl impl : impls)
        {
            if (!config.idle().sleeps() || impl.hasEventIndices())
            {
                runnable.add(impl);
            }
            else
            {
                notes.println("  " + impl.label() + ": skipped with --idle notify (no event indices: nothing tells a"
                    + " sleeping side when to wake)");
                notes.flush();
            }
        }
        final Map<RingImpl, BenchRecord> best = new LinkedHashMap<>();
        boolean complete = true;
        rounds:
        for (int round = 0; round < rounds; round++)
        {
            for (final RingImpl impl : runnable)
            {
                if (Interruption.requested())
                {
                    complete = false;
                    break rounds;
                }
                final BenchRecord record = runOnce(config, impl, durationNanos, progress, notes, round == 0);
                if (record == null)
                {
                    continue;
                }
                final BenchRecord previous = best.get(impl);
                if (previous == null || previous.partial() || (!record.partial()
                    && record.opsPerSec() > previous.opsPerSec()))
                {
                    best.put(impl, record);
                }
                if (record.partial())
                {
                    complete = false;
                    break rounds;
                }
            }
        }
        for (final BenchRecord record : best.values())
        {
            if (rounds > 1)
            {
                record.params().put("best_of", rounds);
            }
            sink.accept(record);
        }
        return complete;
    }

    private static BenchRecord runOnce(
        final RingConfig config,
        final RingImpl impl,
        final long durationNanos,
        final Progress progress,
        final PrintWriter notes,
        final boolean firstRound) throws IOException, InterruptedException
    {
        if (impl == RingImpl.NATIVE_C)
        {
            final String missing = NativeRingBaseline.missingToolchain();
            if (missing != null)
            {
                if (firstRound)
                {
                    notes.println("native C baseline skipped: " + missing);
                    notes.flush();
                }
                return null;
            }
            progress.runStarted();
            return new NativeRingBaseline(config).run(durationNanos);
        }
        return impl.newHandoff(config).run(durationNanos, progress);
    }
}
