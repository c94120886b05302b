package io.pvring.bench.ring;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.function.Consumer;

import io.pvring.bench.run.BenchRecord;
import io.pvring.bench.run.Interruption;
import io.pvring.bench.run.Progress;

/** Runs one ring configuration on a list of implementations, one after the other, stopping on Ctrl-C. */
public final class RingRuns
{
    private RingRuns()
    {
    }

    /**
     * @param notes where "skipped" notes go (native toolchain missing).
     * @return false when Ctrl-C stopped the sequence.
     */
    public static boolean run(
        final RingConfig config,
        final List<RingImpl> impls,
        final long durationNanos,
        final Progress progress,
        final PrintWriter notes,
        final Consumer<BenchRecord> sink) throws IOException, InterruptedException
    {
        for (final RingImpl impl : impls)
        {
            if (Interruption.requested())
            {
                return false;
            }
            final BenchRecord record;
            if (impl == RingImpl.NATIVE_C)
            {
                final String missing = NativeRingBaseline.missingToolchain();
                if (missing != null)
                {
                    notes.println("native C baseline skipped: " + missing);
                    notes.flush();
                    continue;
                }
                record = new NativeRingBaseline(config).run(durationNanos);
            }
            else
            {
                record = impl.newHandoff(config).run(durationNanos, progress);
            }
            sink.accept(record);
            if (record.partial())
            {
                return false;
            }
        }
        return true;
    }
}
