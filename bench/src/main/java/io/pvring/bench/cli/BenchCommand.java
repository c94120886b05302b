package io.pvring.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import io.pvring.bench.blk.BlkBench;
import io.pvring.bench.blk.BlkBenchConfig;
import io.pvring.bench.blk.BlkPattern;
import io.pvring.bench.blk.FioBaseline;
import io.pvring.bench.net.NetBench;
import io.pvring.bench.net.NetBenchConfig;
import io.pvring.bench.report.HtmlReport;
import io.pvring.bench.report.ResultsFile;
import io.pvring.bench.ring.IdleKind;
import io.pvring.bench.ring.NativeRingBaseline;
import io.pvring.bench.ring.RingConfig;
import io.pvring.bench.ring.RingImpl;
import io.pvring.bench.ring.RingRuns;
import io.pvring.bench.run.BenchRecord;
import io.pvring.bench.run.Interruption;
import io.pvring.bench.run.Progress;
import io.pvring.blkback.store.DiskSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pvring bench}: without a subcommand, the default suite on embedded defaults, about a minute; a summary
 * table on the terminal and JSON + HTML in {@code results/<timestamp>/}.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks. Without a subcommand: the default suite (about a minute): the pvring ring against "
        + "Agrona, ArrayBlockingQueue and Xen's C ring.h for batch sizes 1/8/32 and slot sizes 64..480 bytes; "
        + "blkfront/blkback 4k random reads at queue depths 1..32, polling vs notifications, persistent grants on "
        + "vs off, null store vs a temporary raw file, and with cache=none (cold) beside fio's psync and io_uring "
        + "engines on the same file and job when fio is installed; netfront/netback frames of 64..9000 bytes between "
        + "two vifs, notifications, checksum offload off, GSO; a summary table here, results.json and report.html in "
        + "results/<timestamp>/.",
    subcommands = {RingCommand.class, BlkCommand.class, NetCommand.class, IdleCommand.class},
    footer = {
        "",
        "Examples:",
        "  pvring bench",
        "  pvring bench --duration 5s --out results/long-run",
        "  pvring bench ring --help"})
public final class BenchCommand implements Callable<Integer>
{
    static final int[] SUITE_BATCHES = {1, 8, 32};
    static final int[] SUITE_SLOT_BYTES = {64, 240, 480};
    static final int SUITE_SLOT_BATCH = 8;
    static final int[] SUITE_QUEUE_DEPTHS = {1, 4, 16, 32};
    static final long SUITE_DISK_BYTES = 256L << 20;
    /** The cold-cache file: O_DIRECT reads never hit the page cache, so a small file is as cold as a large one. */
    static final long SUITE_COLD_FILE_BYTES = 64L << 20;
    static final int[] SUITE_FRAMES = {64, 512, 1514, 9000};

    @Spec
    private CommandSpec spec;

    @Option(names = "--duration", paramLabel = "D", defaultValue = "1200ms", converter = DurationConverter.class,
        description = "measured time of each run in the suite (default ${DEFAULT-VALUE})")
    private Duration duration;

    @Option(names = "--out", paramLabel = "DIR",
        description = "where results.json and report.html go (default results/<timestamp>)")
    private Path outDir;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the results JSON here")
    private Path json;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "1",
        description = "ring runs: implementations in turn N times, best kept (default ${DEFAULT-VALUE})")
    private int rounds;

    @Option(names = "--idle", paramLabel = "HOW", defaultValue = "yield",
        description = "how idle ring sides wait: ${COMPLETION-CANDIDATES}; spin needs a free core per side, or a "
            + "spinning side waits out whole scheduler slices; notify sleeps on event channels (pvring and C "
            + "only) (default ${DEFAULT-VALUE})")
    private IdleKind idle;

    @Option(names = "--no-native", description = "skip the C baseline even when gcc and libxen-dev are there")
    private boolean noNative;

    @Override
    public Integer call() throws Exception
    {
        final PrintWriter out = spec.commandLine().getOut();
        Outputs.checkRounds(spec, rounds);
        final Path dir = outDir != null ? outDir
            : Path.of("results", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss")));
        final boolean withNative = !noNative && NativeRingBaseline.missingToolchain() == null;
        if (!noNative && !withNative)
        {
            out.println("native C baseline skipped: " + NativeRingBaseline.missingToolchain());
        }
        out.println("pvring bench: default suite, " + duration.toMillis() + " ms per run (+ warm-up); Ctrl-C stops "
            + "with partial results");
        out.flush();
        Outputs.warnIfBusy(out);
        final List<BenchRecord> records = new ArrayList<>();
        final Interruption interruption = Interruption.install();
        try
        {
            runSuite(withNative, out, records);
            Outputs.table(out, records);
            final Path results = dir.resolve(ResultsFile.DEFAULT_NAME);
            Outputs.writeJson(out, results, records);
            if (json != null)
            {
                Outputs.writeJson(out, json, records);
            }
            final Path html = dir.resolve(HtmlReport.DEFAULT_NAME);
            HtmlReport.write(html, List.of(ResultsFile.read(results)));
            out.println("report:  " + html);
            if (Interruption.requested())
            {
                out.println("interrupted: partial results above");
            }
            out.flush();
        }
        finally
        {
            interruption.resultsWritten();
        }
        return Main.EXIT_OK;
    }

    private void runSuite(final boolean withNative, final PrintWriter out, final List<BenchRecord> records)
        throws Exception
    {
        final long nanos = duration.toNanos();
        final Progress progress = Progress.stderr();
        final int ringImpls = SUITE_BATCHES.length * (withNative ? 4 : 3)
            + SUITE_SLOT_BYTES.length * (withNative ? 3 : 2);
        final boolean withFio = FioBaseline.missingFio() == null;
        progress.expectRuns(rounds * ringImpls + blkSuite().size() + netSuite().size());
        if (!withFio)
        {
            out.println("fio baseline of the cold file run skipped: " + FioBaseline.missingFio());
            out.flush();
        }
        if (!runRings(withNative, out, records, nanos, progress))
        {
            return;
        }
        for (final BlkBenchConfig config : blkSuite())
        {
            if (Interruption.requested())
            {
                return;
            }
            final boolean cold = isColdFileRun(config);
            final BenchRecord record = cold ? coldFileRun(config, withFio, nanos, progress, records) :
                BlkBench.run(config, nanos, progress);
            if (!cold)
            {
                records.add(record);
            }
            if (record.partial())
            {
                return;
            }
        }
        for (final NetBenchConfig config : netSuite())
        {
            if (Interruption.requested())
            {
                return;
            }
            final BenchRecord record = NetBench.run(config, nanos, progress);
            records.add(record);
            if (record.partial())
            {
                return;
            }
        }
    }

    /**
     * The net part of the suite: frames between two vifs from 64 bytes to 9000 with polling, 1514-byte frames with
     * notifications and without checksum offload, and 64 KB GSO super-frames.
     */
    static List<NetBenchConfig> netSuite()
    {
        final List<NetBenchConfig> configs = new ArrayList<>();
        for (final int frame : SUITE_FRAMES)
        {
            configs.add(new NetBenchConfig(frame, 1, true, false, true, io.pvring.event.WaitMode.POLL, 0));
        }
        configs.add(new NetBenchConfig(1514, 1, true, false, true, io.pvring.event.WaitMode.NOTIFY, 0));
        configs.add(new NetBenchConfig(1514, 1, true, false, false, io.pvring.event.WaitMode.POLL, 0));
        configs.add(new NetBenchConfig(65000, 1, true, true, true, io.pvring.event.WaitMode.POLL, 0));
        return configs;
    }

    /**
     * The blk part of the suite: 4 KiB random reads from the null store at queue depths 1..32, polling and with
     * notifications; qd 16 without persistent grants; random reads and writes on a temporary raw file.
     */
    static List<BlkBenchConfig> blkSuite()
    {
        final List<BlkBenchConfig> configs = new ArrayList<>();
        for (final boolean poll : new boolean[] {true, false})
        {
            for (final int qd : SUITE_QUEUE_DEPTHS)
            {
                configs.add(blk("null", BlkPattern.RANDREAD, qd, true, poll));
            }
        }
        configs.add(blk("null", BlkPattern.RANDREAD, 16, false, true));
        final String file = "file:" + Path.of(System.getProperty("java.io.tmpdir"),
            "pvring-bench-" + ProcessHandle.current().pid() + ".img");
        configs.add(blk(file, BlkPattern.RANDREAD, 16, true, true));
        configs.add(blk(file, BlkPattern.RANDWRITE, 16, true, true));
        // Cold: O_DIRECT, waiting on notifications (a file engine's own thread must not be starved by two
        // spinning sides on a small machine).
        configs.add(new BlkBenchConfig(file.replace(".img", "-cold.img") + ",cache=none", SUITE_COLD_FILE_BYTES,
            BlkPattern.RANDREAD, 4096, 16, 1, 0, 0, true, io.pvring.event.WaitMode.NOTIFY, 0));
        return configs;
    }

    private static boolean isColdFileRun(final BlkBenchConfig config)
    {
        return config.disk() != null && config.disk().cache() == DiskSpec.CacheMode.NONE;
    }

    /**
     * The cold file run: pvring on a dense file (a hole would never reach the device) with {@code cache=none}, then
     * fio's engines on the same file and job; adds every record and returns pvring's.
     */
    private static BenchRecord coldFileRun(final BlkBenchConfig config, final boolean withFio, final long nanos,
        final Progress progress, final List<BenchRecord> records) throws Exception
    {
        final Path file = Path.of(config.disk().target());
        BlkCommand.writeDense(file, config.sizeBytes());
        try
        {
            FioBaseline.dropCache(file);
            final BenchRecord record = BlkBench.run(config, nanos, progress);
            records.add(record);
            if (withFio && !record.partial() && !Interruption.requested())
            {
                records.addAll(new FioBaseline(config).run(nanos, record.params()));
            }
            return record;
        }
        finally
        {
            Files.deleteIfExists(file);
        }
    }

    private static BlkBenchConfig blk(final String store, final BlkPattern pattern, final int qd,
        final boolean persistent, final boolean poll)
    {
        return new BlkBenchConfig(store, SUITE_DISK_BYTES, pattern, 4096, qd, 1, 0, 0, persistent,
            poll ? io.pvring.event.WaitMode.POLL : io.pvring.event.WaitMode.NOTIFY, 0);
    }

    private boolean runRings(final boolean withNative, final PrintWriter out, final List<BenchRecord> records,
        final long nanos, final Progress progress) throws Exception
    {
        for (final int batch : SUITE_BATCHES)
        {
            final List<RingImpl> impls = new ArrayList<>(List.of(RingImpl.PVRING, RingImpl.AGRONA, RingImpl.JUC_ABQ));
            if (withNative)
            {
                impls.add(RingImpl.NATIVE_C);
            }
            final RingConfig config = new RingConfig(RingConfig.DEFAULT_SLOT_BYTES, 0, batch, idle, 0);
            if (!RingRuns.run(config, impls, rounds, nanos, progress, out, records::add))
            {
                return false;
            }
        }
        for (final int slotBytes : SUITE_SLOT_BYTES)
        {
            final List<RingImpl> impls = new ArrayList<>(List.of(RingImpl.PVRING, RingImpl.AGRONA));
            if (withNative)
            {
                impls.add(RingImpl.NATIVE_C);
            }
            final RingConfig config = new RingConfig(slotBytes, 0, SUITE_SLOT_BATCH, idle, 0);
            if (!RingRuns.run(config, impls, rounds, nanos, progress, out, records::add))
            {
                return false;
            }
        }
        return true;
    }
}
