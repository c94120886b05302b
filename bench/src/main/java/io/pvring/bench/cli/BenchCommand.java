package io.pvring.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

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
        + "Agrona, ArrayBlockingQueue and Xen's C ring.h for batch sizes 1/8/32 and slot sizes 64..480 bytes; a "
        + "summary table here, results.json and report.html in results/<timestamp>/.",
    subcommands = {RingCommand.class},
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

    @Spec
    private CommandSpec spec;

    @Option(names = "--duration", paramLabel = "D", defaultValue = "2s", converter = DurationConverter.class,
        description = "measured time of each run in the suite (default ${DEFAULT-VALUE})")
    private Duration duration;

    @Option(names = "--out", paramLabel = "DIR",
        description = "where results.json and report.html go (default results/<timestamp>)")
    private Path outDir;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the results JSON here")
    private Path json;

    @Option(names = "--no-native", description = "skip the C baseline even when gcc and libxen-dev are there")
    private boolean noNative;

    @Override
    public Integer call() throws Exception
    {
        final PrintWriter out = spec.commandLine().getOut();
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
        for (final int batch : SUITE_BATCHES)
        {
            final List<RingImpl> impls = new ArrayList<>(List.of(RingImpl.PVRING, RingImpl.AGRONA, RingImpl.JUC_ABQ));
            if (withNative)
            {
                impls.add(RingImpl.NATIVE_C);
            }
            final RingConfig config = new RingConfig(RingConfig.DEFAULT_SLOT_BYTES, 0, batch, IdleKind.SPIN, 0);
            if (!RingRuns.run(config, impls, nanos, progress, out, records::add))
            {
                return;
            }
        }
        for (final int slotBytes : SUITE_SLOT_BYTES)
        {
            final List<RingImpl> impls = new ArrayList<>(List.of(RingImpl.PVRING, RingImpl.AGRONA));
            if (withNative)
            {
                impls.add(RingImpl.NATIVE_C);
            }
            final RingConfig config = new RingConfig(slotBytes, 0, SUITE_SLOT_BATCH, IdleKind.SPIN, 0);
            if (!RingRuns.run(config, impls, nanos, progress, out, records::add))
            {
                return;
            }
        }
    }
}
