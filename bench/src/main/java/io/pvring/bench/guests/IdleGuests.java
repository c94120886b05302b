package io.pvring.bench.guests;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.pvring.bench.blk.BlkBenchConfig;
import io.pvring.bench.blk.BlkPattern;
import io.pvring.bench.run.BenchRecord;
import io.pvring.bench.run.Environment;
import io.pvring.bench.run.LatencySummary;
import io.pvring.bench.run.Measurement;
import io.pvring.bench.run.Progress;
import io.pvring.event.WaitMode;
import io.pvring.host.Domain;
import io.pvring.host.Hypervisor;
import io.pvring.memory.GuestMemory;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.NetBackVif;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.runner.RunnerPool;
import io.pvring.runner.RunnerPoolConfig;

/**
 * {@code pvring bench idle --guests N}: N guest domains, each with a connected vbd (blkback on the host's shared
 * runners) and a connected vif (netback, placed by {@link NetBackends}), and no traffic at all: the guests'
 * frontends are set up and then left alone, as idle guests' kernels leave them. What the host costs then is the
 * process's CPU time over a window after connect (a settling warm-up first), in percent of one core.
 */
public final class IdleGuests
{
    public static final String BENCHMARK = "idle-guests";
    private static final long FIRST_GFN = 16;
    private static final long DISK_BYTES = 64L << 20;

    private IdleGuests()
    {
    }

    /**
     * @param windowNanos the measured window (after a warm-up of a fifth of it, 50 ms..2 s, that lets connect's
     *     allocations, JIT and adaptive windows settle).
     */
    public static BenchRecord run(final GuestsConfig host, final WaitMode wait, final long windowNanos,
        final Progress progress)
    {
        final int n = host.guests();
        final BlkBenchConfig disk = new BlkBenchConfig("null", DISK_BYTES, BlkPattern.RANDREAD, BlkBenchConfig.PAGE,
            1, 1, 0, 0, true, wait, 0);
        final long netFirst = FIRST_GFN + BlkGuests.framesNeeded(disk) + 16;
        final long frames = netFirst + NetGuests.FRAMES_NEEDED + 16;
        final GuestLoad load = new GuestLoad(n);
        final List<BlkGuests.Guest> vbds = new ArrayList<>();
        final List<NetGuests.Guest> vifs = new ArrayList<>();
        try (Hypervisor hypervisor = new Hypervisor();
            RunnerPool pool = new RunnerPool(new RunnerPoolConfig().runners(host.runners())
                .threadNamePrefix("pvring-runner-")))
        {
            final VirtualSwitch vswitch = new VirtualSwitch();
            final NetBackConfig netConfig = NetBackConfig.builder().build();
            NetBackends backends = null;
            try
            {
                for (int g = 0; g < n; g++)
                {
                    final Domain domain = hypervisor.createDomain("guest-" + g, frames * GuestMemory.PAGE_SIZE);
                    vbds.add(BlkGuests.attach(hypervisor, domain, FIRST_GFN, disk, pool));
                    vifs.add(NetGuests.attach(hypervisor, vswitch, domain, netFirst, NetGuests.features(true),
                        netConfig));
                }
                final List<NetBackVif> netbacks = new ArrayList<>();
                for (final NetGuests.Guest vif : vifs)
                {
                    netbacks.add(vif.vif);
                }
                backends = NetBackends.start(netbacks, wait, pool, load.control::fail);
                final Measurement measurement = load.measure("idle " + n + " guests " + wait.configName(),
                    windowNanos, progress, () ->
                    {
                    }, () ->
                    {
                    });
                if (load.control.failure() != null)
                {
                    throw new IllegalStateException("idle guests failed: " + load.control.failure(),
                        load.control.failure());
                }
                final CpuMeter.Usage cpu = load.cpu.usage();
                final Map<String, Object> extra = new LinkedHashMap<>();
                extra.put("cpu_percent", GuestLoad.cpuJson(cpu));
                extra.put("backend_placement", "blkback: shared runner pool; netback: " + NetBackends.PLACEMENT);
                final BenchRecord record = new BenchRecord(BENCHMARK, params(host, wait), 0, 0, 0,
                    measurement.measuredNanos() / 1e9, LatencySummary.NONE, 0, 0, measurement.partial(),
                    Environment.current(), extra);
                Targets.idle(record, cpu.processPercent());
                return record;
            }
            finally
            {
                if (backends != null)
                {
                    backends.close();
                }
                BlkGuests.close(vbds);
                for (final NetGuests.Guest vif : vifs)
                {
                    NetGuests.close(vif);
                }
            }
        }
    }

    static Map<String, Object> params(final GuestsConfig host, final WaitMode wait)
    {
        final Map<String, Object> params = new LinkedHashMap<>();
        params.put("impl", "pvring");
        params.put("guests", host.guests());
        params.put("devices", "vbd+vif");
        params.put("wait", wait.configName());
        params.put("runners", host.runners());
        return params;
    }
}
