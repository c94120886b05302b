package io.pvring.bench.oop;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.pvring.bench.blk.BlkBenchConfig;
import io.pvring.bench.blk.BlkPattern;
import io.pvring.bench.report.Records;
import io.pvring.bench.run.BenchRecord;
import io.pvring.bench.run.Environment;
import io.pvring.bench.run.LatencySummary;
import io.pvring.bench.run.Measurement;
import io.pvring.blkback.BlkBackConfig;
import io.pvring.blkback.BlkBackDriver;
import io.pvring.host.Domain;
import io.pvring.runner.RunnerPoolConfig;
import io.pvring.serve.ServeHost;
import io.pvring.xenbus.XenbusDeviceSpec;

/**
 * {@code pvring bench blk --frontend process}: blkback in a {@link ServeHost} of this JVM, serving a null disk to a
 * C blkfront in another process ({@code native/blkfront_bench.c} on the shipped client) that keeps {@code --qd}
 * 4 KiB random reads in flight and measures them itself. Same workload, wait mode and grant mode as the
 * in-process run it stands beside; the record's impl is {@value #IMPL}.
 */
public final class ProcessBlkBench
{
    public static final String IMPL = "pvring-process";
    private static final String DEVID = "51712";
    private static final long GUEST_BYTES = 4L << 20;
    private static final long EXTRA_MILLIS = 60_000;

    private ProcessBlkBench()
    {
    }

    /** What the out-of-process frontend cannot do of {@code config}, or null when it can run it. */
    public static String unsupported(final BlkBenchConfig config)
    {
        if (!"null".equals(config.store()))
        {
            return "--frontend process runs the null store only, got --store " + config.store();
        }
        if (config.pattern() != BlkPattern.RANDREAD || config.blockSize() != BlkBenchConfig.PAGE)
        {
            return "--frontend process runs 4k random reads only (--rw randread --bs 4k)";
        }
        if (config.queues() != 1 || config.ringOrder() != 0 || config.indirectSegments() != 0 || config.rate() != 0)
        {
            return "--frontend process runs one queue, ring order 0, direct requests, closed loop";
        }
        return null;
    }

    public static BenchRecord run(final BlkBenchConfig config, final Doorbell doorbell, final long durationNanos)
        throws IOException, InterruptedException
    {
        final String unsupported = unsupported(config);
        if (unsupported != null)
        {
            throw new IllegalArgumentException(unsupported);
        }
        final BlkBackDriver driver = new BlkBackDriver(BlkBackConfig.builder().waitMode(config.waitMode())
            .persistentGrants(config.persistent()).build(), BlkBackDriver.DEFAULT_OPENER, null);
        try (ServeDirectory dir = new ServeDirectory();
            ServeHost serve = ServeHost.start(dir.path(), new RunnerPoolConfig().runners(1), null, driver))
        {
            final NativeFrontend blkfront = NativeFrontend.compile("blkfront_bench", dir.path(), dir.work());
            final Domain guest = serve.createGuest("bench-guest", GUEST_BYTES);
            serve.addDevice(new XenbusDeviceSpec("vbd", 0, guest.domid(), DEVID,
                Map.of("mode", "r", "params", Long.toString(config.sizeBytes()), "type", "null"),
                Map.of("virtual-device", DEVID, "device-type", "disk")));
            final long warmupMillis = TimeUnit.NANOSECONDS.toMillis(Measurement.warmupFor(durationNanos));
            final long durationMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(durationNanos));
            final Map<String, Long> values = blkfront.run(List.of(dir.path().toString(),
                Integer.toString(guest.domid()), DEVID, Integer.toString(config.queueDepth()),
                config.poll() ? "1" : "0", config.persistent() ? "1" : "0", Long.toString(warmupMillis),
                Long.toString(durationMillis), Long.toString(config.sizeBytes() / BlkBenchConfig.SECTOR),
                Long.toString(System.nanoTime())), doorbell, warmupMillis + durationMillis + EXTRA_MILLIS);
            return record(config, doorbell, values);
        }
    }

    static BenchRecord record(final BlkBenchConfig config, final Doorbell doorbell, final Map<String, Long> values)
    {
        final long ops = NativeFrontend.require(values, "ops");
        final double seconds = NativeFrontend.require(values, "measured_ns") / 1e9;
        final double iops = seconds > 0 ? ops / seconds : 0;
        final Map<String, Object> params = io.pvring.bench.blk.BlkBench.params(config);
        params.put("impl", IMPL);
        params.put(Records.DOORBELL, doorbell.label());
        return new BenchRecord("blk", params, iops, iops * config.blockSize(), ops, seconds, latency(values),
            NativeFrontend.require(values, "notify_sent"), NativeFrontend.require(values, "notify_suppressed"),
            NativeFrontend.require(values, "partial") != 0, Environment.current());
    }

    static LatencySummary latency(final Map<String, Long> values)
    {
        final long samples = NativeFrontend.require(values, "samples");
        if (samples == 0)
        {
            return LatencySummary.NONE;
        }
        return new LatencySummary(micros(values, "p50_ns"), micros(values, "p99_ns"), micros(values, "p999_ns"),
            micros(values, "max_ns"), micros(values, "mean_ns"), samples);
    }

    private static double micros(final Map<String, Long> values, final String key)
    {
        return NativeFrontend.require(values, key) / 1000.0;
    }
}
