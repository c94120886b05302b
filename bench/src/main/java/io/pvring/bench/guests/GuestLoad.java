package io.pvring.bench.guests;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.pvring.bench.run.BenchRecord;
import io.pvring.bench.run.Environment;
import io.pvring.bench.run.LatencySummary;
import io.pvring.bench.run.Measurement;
import io.pvring.bench.run.PaddedCounters;
import io.pvring.bench.run.Progress;
import io.pvring.bench.run.RunControl;
import org.HdrHistogram.Histogram;

/**
 * What every guest's load generator shares in one many-guests run: the phase, one padded operations counter per
 * guest (its agent is the single writer; the progress line reads the sum), and the CPU meter the frontend threads
 * register with. The coordinator measures and turns the guests' figures into one record.
 */
final class GuestLoad
{
    static final long MAX_LATENCY_NANOS = TimeUnit.SECONDS.toNanos(60);

    final RunControl control = new RunControl();
    final PaddedCounters ops;
    final CpuMeter cpu = new CpuMeter();
    private final int guests;

    GuestLoad(final int guests)
    {
        this.guests = guests;
        this.ops = new PaddedCounters(guests);
    }

    long totalOps()
    {
        long total = 0;
        for (int g = 0; g < guests; g++)
        {
            total += ops.get(g);
        }
        return total;
    }

    /**
     * Warms up and measures, sampling CPU time (and whatever {@code atStart}/{@code atEnd} sample, such as backend
     * notification counters) at the edges of the measured interval; the run is stopped when this returns.
     */
    Measurement measure(final String label, final long durationNanos, final Progress progress,
        final Runnable atStart, final Runnable atEnd)
    {
        final Measurement measurement = new Measurement(label, Measurement.warmupFor(durationNanos), durationNanos,
            progress).onMeasure(() ->
            {
                cpu.start();
                atStart.run();
            }, () ->
            {
                cpu.stop();
                atEnd.run();
            });
        measurement.run(control, this::totalOps);
        return measurement;
    }

    /**
     * One record for the whole host: aggregate rate, latency over all guests, and the extras a many-guests run
     * reports ({@code guests}: per-guest counts and fairness; {@code cpu_percent}: process, backend, frontend).
     */
    static BenchRecord record(
        final String benchmark,
        final Map<String, Object> params,
        final Measurement measurement,
        final long[] perGuestOps,
        final Histogram latency,
        final long bytesPerOp,
        final long notificationsSent,
        final long notificationsSuppressed,
        final CpuMeter.Usage cpu,
        final Map<String, Object> more)
    {
        final Fairness fairness = Fairness.of(perGuestOps);
        final double seconds = measurement.measuredNanos() / 1e9;
        final long ops = fairness.total();
        final double rate = seconds > 0 ? ops / seconds : 0;
        final Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("guests", fairness.toJson(seconds));
        extra.put("cpu_percent", cpuJson(cpu));
        extra.putAll(more);
        return new BenchRecord(benchmark, params, rate, rate * bytesPerOp, ops, seconds,
            LatencySummary.ofNanos(latency), notificationsSent, notificationsSuppressed, measurement.partial(),
            Environment.current(), extra);
    }

    static Map<String, Object> cpuJson(final CpuMeter.Usage cpu)
    {
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("process", cpu.processPercent());
        json.put("backend", cpu.backendPercent());
        json.put("frontend", cpu.frontendPercent());
        json.put("window_sec", cpu.wallSeconds());
        json.put("method", CpuMeter.METHOD);
        return json;
    }
}
