package io.pvring.bench.stat;

import java.util.LinkedHashMap;
import java.util.Map;

import io.pvring.stats.DeviceKind;
import io.pvring.stats.DeviceSample;
import org.HdrHistogram.Histogram;

/**
 * What {@code pvring stat} shows for one device over one interval, computed from two samples of its counters as
 * iostat computes from /proc/diskstats: rates are deltas over the interval, await is latency over completions,
 * aqu-sz latency over time, util busy time over time. Without an earlier sample the interval runs from the
 * device's registration (iostat's first report: averages since boot).
 *
 * @param seconds the interval.
 * @param figures the columns, by their JSON names ({@link #VBD_COLUMNS}, {@link #VIF_COLUMNS}), in order.
 * @param latency latencies recorded in the interval, null when the device publishes none.
 */
public record DeviceFigures(DeviceSample sample, double seconds, Map<String, Double> figures, Histogram latency)
{
    /** JSON names of the vbd columns, in display order. */
    public static final String[] VBD_COLUMNS = {
        "r_s", "w_s", "rkB_s", "wkB_s", "await_ms", "p50_ms", "p99_ms", "aqu_sz", "in_flight", "util_pct", "errors"};
    /** Headers of the vbd columns. */
    public static final String[] VBD_HEADERS = {
        "r/s", "w/s", "rkB/s", "wkB/s", "await", "p50", "p99", "aqu-sz", "inflight", "%util", "errors"};
    public static final String[] VIF_COLUMNS = {
        "tx_pps", "tx_kB_s", "rx_pps", "rx_kB_s", "drops", "errors"};
    public static final String[] VIF_HEADERS = {
        "tx pps", "tx kB/s", "rx pps", "rx kB/s", "drops", "errors"};
    /** JSON names of a runner's figures (the footer line). */
    public static final String[] RUNNER_COLUMNS = {"load", "loops_s", "parks_s", "unparks_s", "errors"};

    /**
     * @param before the same device's earlier sample, or null for "since it registered".
     * @param nowMicros when {@code now} was taken (wall clock, µs), for the interval since registration.
     */
    public static DeviceFigures of(
        final DeviceSample now, final DeviceSample before, final double intervalSeconds, final long nowMicros)
    {
        final boolean sinceStart = before == null || before.registeredMicros() != now.registeredMicros();
        final double seconds = sinceStart ? Math.max(1e-6, (nowMicros - now.registeredMicros()) / 1e6) :
            intervalSeconds;
        final Delta d = new Delta(now, sinceStart ? null : before);
        final Map<String, Double> f = new LinkedHashMap<>();
        Histogram interval = null;
        if (now.id().kind() == DeviceKind.VBD)
        {
            final double completions = d.of("completions");
            final double latencyNs = d.of("latency_ns");
            f.put("r_s", d.of("read_requests") / seconds);
            f.put("w_s", d.of("write_requests") / seconds);
            f.put("rkB_s", d.of("read_bytes") / 1024 / seconds);
            f.put("wkB_s", d.of("write_bytes") / 1024 / seconds);
            f.put("await_ms", completions == 0 ? 0 : latencyNs / completions / 1e6);
            interval = interval(now.latency(), sinceStart ? null : before.latency());
            f.put("p50_ms", interval == null || interval.getTotalCount() == 0 ? null :
                interval.getValueAtPercentile(50) / 1e6);
            f.put("p99_ms", interval == null || interval.getTotalCount() == 0 ? null :
                interval.getValueAtPercentile(99) / 1e6);
            f.put("aqu_sz", latencyNs / 1e9 / seconds);
            f.put("in_flight", (double)now.total("in_flight"));
            f.put("util_pct", Math.min(100, d.of("busy_ns") / 1e9 / seconds * 100));
            f.put("errors", (double)(now.total("io_errors") + now.total("unsupported_errors") +
                now.total("protocol_errors") + now.total("grant_errors")));
        }
        else if (now.id().kind() == DeviceKind.RUNNER)
        {
            f.put("load", (double)now.total("load"));
            f.put("loops_s", d.of("loops") / seconds);
            f.put("parks_s", d.of("parks") / seconds);
            f.put("unparks_s", d.of("unparks") / seconds);
            f.put("errors", (double)now.total("errors"));
        }
        else
        {
            f.put("tx_pps", d.of("tx_packets") / seconds);
            f.put("tx_kB_s", d.of("tx_bytes") / 1024 / seconds);
            f.put("rx_pps", d.of("rx_packets") / seconds);
            f.put("rx_kB_s", d.of("rx_bytes") / 1024 / seconds);
            f.put("drops", (double)now.total("rx_drops"));
            f.put("errors", (double)(now.total("tx_errors") + now.total("rx_errors")));
        }
        return new DeviceFigures(now, seconds, f, interval);
    }

    private static Histogram interval(final Histogram now, final Histogram before)
    {
        if (now == null)
        {
            return null;
        }
        final Histogram copy = now.copy();
        if (before != null && before.getTotalCount() <= now.getTotalCount())
        {
            copy.subtract(before);
        }
        return copy;
    }

    /** The device's display name: xvdX for Linux-numbered disks, vif&lt;domid&gt;.&lt;handle&gt; for NICs. */
    public String name()
    {
        return name(sample);
    }

    public static String name(final DeviceSample s)
    {
        final int devid = s.id().devid();
        if (s.id().kind() == DeviceKind.RUNNER)
        {
            return "r" + devid;
        }
        if (s.id().kind() == DeviceKind.VBD)
        {
            // XEN_XVD_MAJOR 202, minor 16 * index (xvda..xvdp)
            return (devid >> 8) == 202 && (devid & 0xF) == 0 ? "xvd" + (char)('a' + ((devid >> 4) & 0xF)) :
                Integer.toString(devid);
        }
        return "vif" + s.id().domid() + "." + devid;
    }

    /** Latency percentiles of the interval in nanoseconds, null without a histogram. */
    public Map<String, Object> latencySummary()
    {
        if (latency == null)
        {
            return null;
        }
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", latency.getTotalCount());
        final boolean any = latency.getTotalCount() > 0;
        m.put("p50", any ? latency.getValueAtPercentile(50) : null);
        m.put("p99", any ? latency.getValueAtPercentile(99) : null);
        m.put("p999", any ? latency.getValueAtPercentile(99.9) : null);
        m.put("max", any ? latency.getMaxValue() : null);
        return m;
    }

    private record Delta(DeviceSample now, DeviceSample before)
    {
        double of(final String counter)
        {
            return now.total(counter) - (before == null ? 0 : before.total(counter));
        }
    }
}
