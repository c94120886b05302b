package io.pvring.bench.cli;

import java.io.PrintWriter;

import io.pvring.bench.blk.BlkBenchConfig;
import io.pvring.bench.guests.BlkGuests;
import io.pvring.bench.guests.GuestsConfig;
import io.pvring.bench.guests.NetGuests;
import io.pvring.bench.guests.NetGuestsConfig;
import io.pvring.bench.guests.Targets;
import io.pvring.bench.run.BenchRecord;
import io.pvring.bench.run.Progress;
import io.pvring.event.WaitMode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * {@code bench blk --guests N} and {@code bench net --guests N}: the many-guests run, then the baseline the issue's
 * targets compare it with, measured in the same process right after, and the targets' ratios.
 * <ul>
 *     <li>blk: {@code --baseline single} (the default with more than one guest) also runs one guest at queue
 *     depth 32 (the ring's entries at most) on the same host settings; {@code none} skips it;</li>
 *     <li>net: {@code --baseline poll} (the default when {@code --wait} is not poll) also runs the same guests with
 *     {@code --wait poll}; {@code none} skips it.</li>
 * </ul>
 */
final class GuestsRuns
{
    static final int SINGLE_GUEST_QD = 32;

    private GuestsRuns()
    {
    }

    static void blk(final CommandSpec spec, final PrintWriter out, final MeasureOptions measure,
        final BlkBenchConfig config, final GuestsConfig host, final String baseline) throws Exception
    {
        try
        {
            BlkGuests.check(config);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), ex.getMessage());
        }
        final boolean single = baseline == null ? host.guests() > 1 : baselineIs(spec, baseline, "single");
        final BlkBenchConfig singleConfig = single ? new BlkBenchConfig(config.store(), config.sizeBytes(),
            config.pattern(), config.blockSize(), Math.min(SINGLE_GUEST_QD, config.entries()), 1, config.ringOrder(),
            config.indirectSegments(), config.persistent(), config.waitMode(), 0) : null;
        out.println("blk: " + host.guests() + " guests, " + config.storeKind() + " store each, "
            + config.pattern().label() + ", bs " + config.blockSize() + ", qd " + config.queueDepth() + ", "
            + config.waitMode().configName() + ", " + host.runners() + " runner(s), " + host.frontThreads()
            + " frontend thread(s), " + measure.duration.toMillis() + " ms"
            + (single ? "; then 1 guest at qd " + singleConfig.queueDepth() : ""));
        final long nanos = measure.duration.toNanos();
        Outputs.measureAndReport(out, measure.json, records ->
        {
            final BenchRecord guests = Outputs.bestOf(measure.rounds,
                () -> BlkGuests.run(config, host, nanos, Progress.stderr()));
            records.add(guests);
            if (guests.partial() || !single)
            {
                return !guests.partial();
            }
            final BenchRecord one = Outputs.bestOf(measure.rounds,
                () -> BlkGuests.run(singleConfig, host.withGuests(1), nanos, Progress.stderr()));
            records.add(one);
            Targets.blk(guests, one);
            return !one.partial();
        });
    }

    static void net(final CommandSpec spec, final PrintWriter out, final MeasureOptions measure, final int frame,
        final boolean csum, final WaitMode wait, final GuestsConfig host, final String baseline) throws Exception
    {
        final NetGuestsConfig config;
        try
        {
            config = new NetGuestsConfig(frame, csum, wait);
            if (host.guests() < 2)
            {
                throw new IllegalArgumentException("net --guests needs at least 2 guests (each sends to the next), "
                    + "got " + host.guests());
            }
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), ex.getMessage());
        }
        final boolean poll = baseline == null ? config.waitMode() != WaitMode.POLL
            : baselineIs(spec, baseline, "poll");
        out.println("net: " + host.guests() + " guests in a ring (each sends to the next), " + config.frameBytes()
            + "-byte frames, " + config.waitMode().configName() + ", " + host.runners() + " runner(s), "
            + host.frontThreads() + " frontend thread(s), " + measure.duration.toMillis() + " ms"
            + (poll ? "; then the same with --wait poll" : ""));
        final long nanos = measure.duration.toNanos();
        Outputs.measureAndReport(out, measure.json, records ->
        {
            final BenchRecord measured = Outputs.bestOf(measure.rounds,
                () -> NetGuests.run(config, host, nanos, Progress.stderr()));
            records.add(measured);
            if (measured.partial() || !poll)
            {
                return !measured.partial();
            }
            final BenchRecord polled = Outputs.bestOf(measure.rounds,
                () -> NetGuests.run(config.withWait(WaitMode.POLL), host, nanos, Progress.stderr()));
            records.add(polled);
            Targets.net(measured, polled);
            return !polled.partial();
        });
    }

    private static boolean baselineIs(final CommandSpec spec, final String baseline, final String expected)
    {
        if (expected.equals(baseline))
        {
            return true;
        }
        if ("none".equals(baseline))
        {
            return false;
        }
        throw new ParameterException(spec.commandLine(), "--baseline with --guests takes " + expected + " or none, got "
            + baseline);
    }
}
