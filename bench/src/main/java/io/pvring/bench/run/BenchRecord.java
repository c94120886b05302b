package io.pvring.bench.run;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One run's result, the unit of the JSON results file: which benchmark, with what parameters, how fast, how
 * latent, how many notifications were sent and how many the event indices suppressed, and where it ran.
 *
 * @param benchmark   {@code ring}, {@code blk} or {@code net}.
 * @param params      the settings that define the run (implementation, sizes, batch, ...), in display order.
 * @param opsPerSec   completed operations (round trips, I/Os, packets) per second.
 * @param bytesPerSec payload bytes per second.
 * @param ops         completed operations in the measured interval.
 * @param durationSec measured interval in seconds (warm-up excluded).
 * @param latency     percentiles in microseconds.
 * @param notificationsSent       notifications the event indices asked for.
 * @param notificationsSuppressed publishes that needed no notification.
 * @param partial     true when the run was cut short (Ctrl-C).
 * @param environment JDK, CPU count, OS.
 * @param extra       further figures of benchmarks that have them (the many-guests runs: per-guest counts,
 *                    fairness, CPU), printed after {@code notifications}; empty for the others.
 */
public record BenchRecord(
    String benchmark,
    Map<String, Object> params,
    double opsPerSec,
    double bytesPerSec,
    long ops,
    double durationSec,
    LatencySummary latency,
    long notificationsSent,
    long notificationsSuppressed,
    boolean partial,
    Map<String, Object> environment,
    Map<String, Object> extra)
{
    /** A record without extra figures. */
    public BenchRecord(
        final String benchmark,
        final Map<String, Object> params,
        final double opsPerSec,
        final double bytesPerSec,
        final long ops,
        final double durationSec,
        final LatencySummary latency,
        final long notificationsSent,
        final long notificationsSuppressed,
        final boolean partial,
        final Map<String, Object> environment)
    {
        this(benchmark, params, opsPerSec, bytesPerSec, ops, durationSec, latency, notificationsSent,
            notificationsSuppressed, partial, environment, Map.of());
    }

    /** This record with one more parameter (a setting the run had that its config does not name), last. */
    public BenchRecord withParam(final String name, final Object value)
    {
        final Map<String, Object> more = new LinkedHashMap<>(params);
        more.put(name, value);
        return new BenchRecord(benchmark, more, opsPerSec, bytesPerSec, ops, durationSec, latency, notificationsSent,
            notificationsSuppressed, partial, environment, extra);
    }

    /** The record as the ordered map the JSON writer prints. */
    public Map<String, Object> toJson()
    {
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", benchmark);
        json.put("params", params);
        json.put("ops_per_sec", opsPerSec);
        json.put("bytes_per_sec", bytesPerSec);
        json.put("ops", ops);
        json.put("duration_sec", durationSec);
        final Map<String, Object> lat = new LinkedHashMap<>();
        lat.put("p50", latency.p50());
        lat.put("p99", latency.p99());
        lat.put("p999", latency.p999());
        lat.put("max", latency.max());
        lat.put("mean", latency.mean());
        lat.put("samples", latency.samples());
        json.put("latency_us", lat);
        final Map<String, Object> notifications = new LinkedHashMap<>();
        notifications.put("sent", notificationsSent);
        notifications.put("suppressed", notificationsSuppressed);
        json.put("notifications", notifications);
        json.putAll(extra);
        json.put("partial", partial);
        json.put("environment", environment);
        return json;
    }

    /** The {@code impl} parameter, or the benchmark name when there is none. */
    public String impl()
    {
        final Object impl = params.get("impl");
        return impl == null ? benchmark : impl.toString();
    }
}
