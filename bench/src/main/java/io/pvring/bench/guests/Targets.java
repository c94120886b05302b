package io.pvring.bench.guests;

import java.util.LinkedHashMap;
import java.util.Map;

import io.pvring.bench.run.BenchRecord;

/**
 * The targets for many guests (issue 11), computed from records measured in the same run and added to the
 * measured record as {@code targets}: each with its value, the target and whether it was met. The bench reports
 * them; it never fails on them (figures on a shared machine are the lead's to judge).
 */
public final class Targets
{
    private Targets()
    {
    }

    /**
     * N guests at a small depth against one guest at depth 32: aggregate at least 0.8x the single guest, the lowest
     * guest at least 0.7x the mean.
     */
    public static void blk(final BenchRecord guests, final BenchRecord single)
    {
        final Map<String, Object> targets = new LinkedHashMap<>();
        targets.put("aggregate_vs_single_guest", target(ratio(guests.opsPerSec(), single.opsPerSec()), ">= 0.8",
            0.8, true));
        targets.put("lowest_guest_vs_mean", target(lowestOverMean(guests), ">= 0.7", 0.7, true));
        guests.extra().put("targets", targets);
    }

    /** Net at a sleeping wait mode against poll in the same run: at least 0.8x the rate, at less backend CPU. */
    public static void net(final BenchRecord measured, final BenchRecord poll)
    {
        final Map<String, Object> targets = new LinkedHashMap<>();
        targets.put("rate_vs_poll", target(ratio(measured.opsPerSec(), poll.opsPerSec()), ">= 0.8", 0.8, true));
        targets.put("backend_cpu_vs_poll", target(ratio(backendCpu(measured), backendCpu(poll)), "< 1.0", 1.0,
            false));
        targets.put("lowest_guest_vs_mean", target(lowestOverMean(measured), ">= 0.7", 0.7, true));
        measured.extra().put("targets", targets);
    }

    /** Idle guests: the process under 2% of one core. */
    public static void idle(final BenchRecord idle, final double processPercent)
    {
        final Map<String, Object> targets = new LinkedHashMap<>();
        targets.put("process_cpu_percent", target(processPercent, "< 2", 2.0, false));
        idle.extra().put("targets", targets);
    }

    private static Map<String, Object> target(final double value, final String text, final double bound,
        final boolean atLeast)
    {
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("value", value);
        json.put("target", text);
        json.put("met", atLeast ? value >= bound : value < bound);
        return json;
    }

    private static double ratio(final double a, final double b)
    {
        return b > 0 ? a / b : 0;
    }

    private static double lowestOverMean(final BenchRecord record)
    {
        final Object guests = record.extra().get("guests");
        return guests instanceof Map<?, ?> map && map.get("lowest_over_mean") instanceof Number n
            ? n.doubleValue() : 0;
    }

    private static double backendCpu(final BenchRecord record)
    {
        final Object cpu = record.extra().get("cpu_percent");
        return cpu instanceof Map<?, ?> map && map.get("backend") instanceof Number n ? n.doubleValue() : 0;
    }
}
