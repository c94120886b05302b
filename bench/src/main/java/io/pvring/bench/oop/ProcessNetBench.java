package io.pvring.bench.oop;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.pvring.bench.net.NetBench;
import io.pvring.bench.net.NetBenchConfig;
import io.pvring.bench.report.Records;
import io.pvring.bench.run.BenchRecord;
import io.pvring.bench.run.Environment;
import io.pvring.bench.run.Measurement;
import io.pvring.event.WaitMode;
import io.pvring.host.Domain;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.NetBackDriver;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.runner.RunnerPoolConfig;
import io.pvring.serve.ServeHost;
import io.pvring.xenbus.XenbusDeviceSpec;
import org.agrona.concurrent.SystemNanoClock;

/**
 * {@code pvring bench net --frontend process}: netback in a {@link ServeHost} of this JVM, two guests on its
 * switch, and their netfronts in one C process ({@code native/netfront_bench.c} on the shipped client): guest A
 * transmits frames to guest B's MAC, B receives them; B's receive count is the packet rate and each frame's stamp
 * its latency, as in the in-process run it stands beside. The record's impl is {@value ProcessBlkBench#IMPL}.
 */
public final class ProcessNetBench
{
    private static final String DEVID = "0";
    private static final long GUEST_BYTES = 4L << 20;
    private static final long EXTRA_MILLIS = 60_000;
    private static final String MAC_A = "00:16:3e:00:00:01";
    private static final String MAC_B = "00:16:3e:00:00:02";

    private ProcessNetBench()
    {
    }

    /** What the out-of-process netfronts cannot do of {@code config}, or null when they can run it. */
    public static String unsupported(final NetBenchConfig config)
    {
        if (config.frameBytes() > NetBenchConfig.PAGE || config.gso() || config.queues() != 1 || config.rate() != 0)
        {
            return "--frontend process sends frames of one slot (--frame up to " + NetBenchConfig.PAGE
                + ", --gso off) on one queue, closed loop";
        }
        return null;
    }

    public static BenchRecord run(final NetBenchConfig config, final Doorbell doorbell, final long durationNanos)
        throws IOException, InterruptedException
    {
        final String unsupported = unsupported(config);
        if (unsupported != null)
        {
            throw new IllegalArgumentException(unsupported);
        }
        final NetBackDriver driver = new NetBackDriver(NetBackConfig.builder().build(), new VirtualSwitch(),
            new SystemNanoClock(), config.poll() ? WaitMode.POLL : WaitMode.NOTIFY);
        try (ServeDirectory dir = new ServeDirectory();
            ServeHost serve = ServeHost.start(dir.path(), new RunnerPoolConfig().runners(1), null, driver))
        {
            final NativeFrontend netfronts = NativeFrontend.compile("netfront_bench", dir.path(), dir.work());
            final Domain a = guest(serve, "bench-a", MAC_A);
            final Domain b = guest(serve, "bench-b", MAC_B);
            final long warmupMillis = TimeUnit.NANOSECONDS.toMillis(Measurement.warmupFor(durationNanos));
            final long durationMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(durationNanos));
            final Map<String, Long> values = netfronts.run(List.of(dir.path().toString(),
                Integer.toString(a.domid()), Integer.toString(b.domid()), DEVID, config.poll() ? "1" : "0",
                Integer.toString(config.frameBytes()), Long.toString(warmupMillis), Long.toString(durationMillis)),
                doorbell, warmupMillis + durationMillis + EXTRA_MILLIS);
            return record(config, doorbell, values);
        }
    }

    private static Domain guest(final ServeHost serve, final String name, final String mac)
    {
        final Domain guest = serve.createGuest(name, GUEST_BYTES);
        serve.addDevice(new XenbusDeviceSpec(NetBackDriver.TYPE, 0, guest.domid(), DEVID,
            Map.of("mac", mac, "handle", DEVID), Map.of("mac", mac, "handle", DEVID)));
        return guest;
    }

    static BenchRecord record(final NetBenchConfig config, final Doorbell doorbell, final Map<String, Long> values)
    {
        final long ops = NativeFrontend.require(values, "ops");
        final double seconds = NativeFrontend.require(values, "measured_ns") / 1e9;
        final double pps = seconds > 0 ? ops / seconds : 0;
        final Map<String, Object> params = NetBench.params(config);
        params.put("impl", ProcessBlkBench.IMPL);
        params.put(Records.DOORBELL, doorbell.label());
        return new BenchRecord("net", params, pps, pps * config.frameBytes(), ops, seconds,
            ProcessBlkBench.latency(values), NativeFrontend.require(values, "notify_sent"),
            NativeFrontend.require(values, "notify_suppressed"), NativeFrontend.require(values, "partial") != 0,
            Environment.current());
    }
}
