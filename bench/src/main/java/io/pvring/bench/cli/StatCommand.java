package io.pvring.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import io.pvring.bench.report.Json;
import io.pvring.bench.stat.CountersLocator;
import io.pvring.bench.stat.DeviceFigures;
import io.pvring.bench.stat.StatReport;
import io.pvring.stats.DeviceId;
import io.pvring.stats.DeviceSample;
import io.pvring.stats.StatsReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code pvring stat}: a live view of a running serve's devices from its counters file. It maps the file and reads;
 * it takes no lock and writes nothing the serving process reads, so it attaches, detaches and runs at any rate
 * without slowing the devices.
 */
@Command(
    name = "stat",
    mixinStandardHelpOptions = true,
    description = "Live I/O statistics of a running pvring serve (or any process with a pvring counters file): one "
        + "line per guest and device, iostat-like for vbds, ifstat-like for vifs. The first report averages since "
        + "each device connected, later ones cover the interval.",
    footer = {
        "",
        "Columns: vbd  r/s w/s rkB/s wkB/s, await (ms, mean latency of completed requests), p99 (ms), aqu-sz",
        "              (mean requests in flight), inflight (now), %util (time with a request in flight), errors",
        "         vif  tx = what the guest sent (its TX ring), rx = what it received; drops, errors (totals)",
        "",
        "Examples:",
        "  pvring stat                               the one running serve (/dev/shm/pvring-<pid>)",
        "  pvring stat /dev/shm/vm1 --sort await     a serve started with --dir /dev/shm/vm1, slowest disks first",
        "  pvring stat --once --json DIR             one report for scripts"})
public final class StatCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "DIR",
        description = "the serve's --dir (or its counters.dat); default: the one running serve")
    private Path dir;

    @Option(names = "--interval", paramLabel = "D", converter = DurationConverter.class, defaultValue = "1s",
        description = "time between reports (default ${DEFAULT-VALUE})")
    private Duration interval;

    @Option(names = "--count", paramLabel = "N", description = "stop after N reports (default: until interrupted)")
    private Integer count;

    @Option(names = "--once", description = "one report (averages since each device connected), then exit")
    private boolean once;

    @Option(names = "--json", description = "JSON reports instead of tables")
    private boolean json;

    @Option(names = "--sort", paramLabel = "COL", description = "sort by a column, largest first (r/s, await, "
        + "%util, tx-pps, ...; JSON names too)")
    private String sort;

    @Option(names = "--guest", paramLabel = "NAME|DOMID", description = "only this guest's devices")
    private String guest;

    @Option(names = "--device", paramLabel = "DEV", description = "only this device (xvda, vif1.0, vbd-1-51712)")
    private String device;

    @Override
    public Integer call() throws InterruptedException
    {
        final String column = sort == null ? null : StatReport.column(sort);
        if (sort != null && column == null)
        {
            throw new ParameterException(spec.commandLine(), "--sort: no column '" + sort + "'");
        }
        if (interval.isZero() || interval.isNegative())
        {
            throw new ParameterException(spec.commandLine(), "--interval must be positive");
        }
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Path path;
        try
        {
            path = CountersLocator.locate(dir);
        }
        catch (final IllegalStateException ex)
        {
            err.println("pvring stat: " + ex.getMessage());
            err.flush();
            return Main.EXIT_FAILURE;
        }
        final int reports = once ? 1 : count == null ? Integer.MAX_VALUE : Math.max(1, count);
        final boolean terminal = System.console() != null && !json;
        try (StatsReader reader = StatsReader.open(path))
        {
            Map<DeviceId, DeviceSample> previous = new HashMap<>();
            long previousNanos = 0;
            for (int report = 0; report < reports; report++)
            {
                if (report > 0)
                {
                    TimeUnit.NANOSECONDS.sleep(interval.toNanos());
                    if (!reader.file().ownerAlive())
                    {
                        err.println("pvring stat: the process serving " + path + " (pid " + reader.file().ownerPid() +
                            ") has exited");
                        err.flush();
                        return Main.EXIT_FAILURE;
                    }
                }
                final long nanos = System.nanoTime();
                final long millis = System.currentTimeMillis();
                final List<DeviceSample> samples = reader.sample();
                final Double seconds = report == 0 ? null : (nanos - previousNanos) / 1e9;
                final List<DeviceFigures> rows = new ArrayList<>();
                final Map<DeviceId, DeviceSample> current = new HashMap<>();
                for (final DeviceSample s : samples)
                {
                    current.put(s.id(), s);
                    if (StatReport.matches(s, guest, device))
                    {
                        rows.add(DeviceFigures.of(s, previous.get(s.id()), seconds == null ? 0 : seconds,
                            millis * 1000));
                    }
                }
                previous = current;
                previousNanos = nanos;
                final List<DeviceFigures> sorted = StatReport.sorted(rows, column);
                final long pid = reader.file().ownerPid();
                if (json)
                {
                    out.print(Json.write(StatReport.json(path.toString(), pid, millis, seconds, sorted)));
                }
                else
                {
                    out.print((terminal ? "\033[H\033[2J" : report > 0 ? "\n" : "") +
                        StatReport.text(path.toString(), pid, millis, seconds, sorted));
                }
                out.flush();
            }
        }
        return Main.EXIT_OK;
    }
}
