package io.pvring.bench.cli;

import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.Callable;

import io.pvring.bench.blk.BlkBench;
import io.pvring.bench.blk.BlkBenchConfig;
import io.pvring.bench.blk.BlkPattern;
import io.pvring.bench.blk.FioBaseline;
import io.pvring.bench.blk.PageCache;
import io.pvring.bench.oop.Doorbell;
import io.pvring.bench.oop.ProcessBlkBench;
import io.pvring.bench.run.BenchRecord;
import io.pvring.bench.run.Progress;
import io.pvring.blkback.store.DiskSpec;
import io.pvring.event.WaitMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code pvring bench blk}: fio-like load through blkfront and blkback on the emulated hypervisor. */
@Command(
    name = "blk",
    mixinStandardHelpOptions = true,
    description = "Block I/O through pvring's blkfront and blkback: a guest domain on the emulated hypervisor, "
        + "real grants and event channels, a null, memory, raw-file or NBD store (qemu-nbd images, NBD servers). "
        + "fio-like options.",
    footer = {
        "",
        "Examples:",
        "  pvring bench blk                                   4k random reads, qd 16, null store, polling",
        "  pvring bench blk --qd 1 --wait poll                round trip of one 4 KiB read",
        "  pvring bench blk --store file:/tmp/disk.img --size 1g --rw randrw --bs 16k --qd 32",
        "  pvring bench blk --bs 1m --indirect 256 --persistent off",
        "  pvring bench blk --queues 2 --wait notify --rate 50000",
        "  pvring bench blk --store file:/tmp/disk.img,cache=none,aio=io_uring --qd 32",
        "Beside fio on the same file (psync with 16 jobs, io_uring at depth 16, cold cache):",
        "  pvring bench blk --store file:/tmp/disk.img --size 1g --qd 16 --baseline fio",
        "  pvring bench blk --store file:/tmp/disk.img --size 1g --qd 1 --baseline fio --page-cache hot",
        "Beside fio's nbd engine against the same NBD server (an image: a qemu-nbd started the same way; hot cache):",
        "  pvring bench blk --store qcow2:/var/tmp/disk.raw,format=raw --qd 16 --wait notify --baseline fio",
        "  pvring bench blk --store nbd://localhost:10809/disk --qd 16 --wait notify --baseline fio",
        "Out of process (a C blkfront on pvring_client.h against an in-JVM serve host), beside in-process:",
        "  pvring bench blk --frontend process --qd 32 --wait poll",
        "  pvring bench blk --frontend process --qd 1 --wait notify",
        "Many guests on the host's shared runners (aggregate, per-guest fairness, backend CPU; then 1 guest at qd 32):",
        "  pvring bench blk --guests 64 --qd 4 --wait adaptive"})
public final class BlkCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    @Option(names = "--store", paramLabel = "SPEC", defaultValue = "null",
        description = "null or memory (sized by --size), or a disk as serve --disk takes it: file:PATH[,cache=...]"
            + " (created sparse with --size if missing, then deleted), qcow2:PATH[,format=raw|vmdk|...][,cache=...]"
            + " (an existing image, through a private qemu-nbd), nbd://HOST[:PORT]/EXPORT,"
            + " nbd+unix:///EXPORT?socket=PATH, memory:SIZE, null:SIZE (default ${DEFAULT-VALUE})")
    private String store;

    @Option(names = "--size", paramLabel = "SIZE", defaultValue = "1g", converter = SizeConverter.class,
        description = "disk size for null/memory/new files (default ${DEFAULT-VALUE})")
    private long size;

    @Option(names = "--rw", paramLabel = "PATTERN", defaultValue = "randread",
        description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
    private BlkPattern pattern;

    @Option(names = "--bs", paramLabel = "SIZE", defaultValue = "4k", converter = SizeConverter.class,
        description = "block size, a multiple of 512 (default ${DEFAULT-VALUE})")
    private long blockSize;

    @Option(names = "--qd", paramLabel = "N", defaultValue = "16",
        description = "requests in flight per queue, 1..ring entries (default ${DEFAULT-VALUE})")
    private int queueDepth;

    @Option(names = "--queues", paramLabel = "N", defaultValue = "1",
        description = "rings (multi-queue), each with a front and a back thread (default ${DEFAULT-VALUE})")
    private int queues;

    @Option(names = "--ring-order", paramLabel = "K", defaultValue = "0",
        description = "ring of 2^K pages, 0..4 (default ${DEFAULT-VALUE})")
    private int ringOrder;

    @Option(names = "--indirect", paramLabel = "N", defaultValue = "0",
        description = "indirect segments per request, 0 (direct, up to 44k) or 12..4096 (default ${DEFAULT-VALUE})")
    private int indirect;

    @Option(names = "--persistent", paramLabel = "on|off", defaultValue = "on",
        description = "persistent grants (default ${DEFAULT-VALUE})")
    private OnOff persistent;

    @Option(names = "--wait", paramLabel = "poll|notify|adaptive", defaultValue = "poll",
        converter = RingWaitConverter.class,
        description = "poll: both sides spin; notify: both sleep on event channels; adaptive: both poll for a window "
            + "adapted to the gaps between requests, then sleep (default ${DEFAULT-VALUE})")
    private WaitMode wait;

    @Option(names = "--rate", paramLabel = "IOPS", defaultValue = "0",
        description = "offered IOPS over all queues, requests stamped with their intended send time "
            + "(default: closed loop)")
    private long rate;

    @Option(names = "--baseline", paramLabel = "fio|single|none",
        description = "with --store file:PATH: also run fio on the same file, same --rw, --bs, depth and direct=,"
            + " with psync (numjobs = depth) and io_uring (iodepth = depth), every run from the same page cache"
            + " (--page-cache). With an NBD disk (nbd://, nbd+unix://, qcow2:PATH): also run fio's nbd engine"
            + " (iodepth = depth, impl fio-nbd) against the same server (for an image, a qemu-nbd started the same"
            + " way, --persistent); an image's page cache is warmed before every run. With --guests: single (the"
            + " default above one guest) also runs one guest at qd 32 for the ratio of aggregates; none skips it")
    private String baseline;

    @Option(names = "--page-cache", paramLabel = "cold|hot", defaultValue = "cold",
        description = "with --baseline fio: cold drops the file's page cache before every run (reads reach the "
            + "device); hot reads the whole file in first and keeps it (reads are page-cache copies; not with "
            + "cache=none) (default cold)")
    private String pageCache;

    @Option(names = "--frontend", paramLabel = "thread|process", defaultValue = "thread",
        description = "thread: blkfront in this JVM; process: also a C blkfront in another process on the shipped"
            + " client (pvring_client.h) against an in-JVM serve host, both in one table with the ratio"
            + " (null store, 4k randread, one queue; default ${DEFAULT-VALUE})")
    private FrontendKind frontend;

    @Mixin
    private DoorbellOptions doorbellOptions;

    @Mixin
    private MeasureOptions measure;

    @Mixin
    private GuestsOptions guests;

    @Override
    public Integer call() throws Exception
    {
        final BlkBenchConfig config;
        try
        {
            if (blockSize > Integer.MAX_VALUE)
            {
                throw new IllegalArgumentException("--bs must be at most 16m, got " + blockSize);
            }
            config = new BlkBenchConfig(store, size, pattern, (int)blockSize, queueDepth, queues, ringOrder,
                indirect, persistent.on(), wait, rate);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), ex.getMessage());
        }
        measure.validate(spec);
        final List<Doorbell> processDoorbells = doorbellOptions.doorbells(spec, frontend);
        if (guests.enabled())
        {
            GuestsRuns.blk(spec, spec.commandLine().getOut(), measure, config, guests.config(spec), baseline);
            return Main.EXIT_OK;
        }
        guests.checkUnused(spec);
        FioBaseline fio = null;
        if (baseline != null)
        {
            if (!"fio".equals(baseline))
            {
                throw new ParameterException(spec.commandLine(), "--baseline takes fio, got " + baseline);
            }
            try
            {
                fio = new FioBaseline(config, PageCache.parse(pageCache));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new ParameterException(spec.commandLine(), ex.getMessage());
            }
            final String missing = FioBaseline.missingFio();
            if (missing != null)
            {
                throw new ParameterException(spec.commandLine(), "--baseline fio: " + missing);
            }
        }
        if (fio == null && !PageCache.COLD.token().equalsIgnoreCase(pageCache.trim()))
        {
            throw new ParameterException(spec.commandLine(), "--page-cache " + pageCache
                + " sets up the runs beside fio: add --baseline fio");
        }
        if (frontend == FrontendKind.PROCESS)
        {
            final String unsupported = fio != null ? "--baseline fio and --frontend process are separate runs" :
                ProcessBlkBench.unsupported(config);
            if (unsupported != null)
            {
                throw new ParameterException(spec.commandLine(), unsupported);
            }
        }
        final PrintWriter out = spec.commandLine().getOut();
        out.println("blk: " + config.storeKind() + " store, " + config.pattern().label() + ", bs " + blockSize
            + ", qd " + queueDepth + " x " + queues + " queue(s), ring order " + ringOrder + ", indirect " + indirect
            + ", persistent " + persistent.name().toLowerCase(java.util.Locale.ROOT) + ", "
            + wait.configName() + ", " + measure.duration.toMillis() + " ms");
        final String starved = pollStarves(config, wait, Runtime.getRuntime().availableProcessors());
        if (starved != null)
        {
            out.println(starved);
        }
        if (frontend == FrontendKind.PROCESS)
        {
            Outputs.inProcessThenProcess(out, measure,
                () -> BlkBench.run(config, measure.duration.toNanos(), Progress.stderr()), processDoorbells,
                doorbell -> ProcessBlkBench.run(config, doorbell, measure.duration.toNanos()));
            return Main.EXIT_OK;
        }
        if (fio == null)
        {
            measure.measureBest(out, () -> BlkBench.run(config, measure.duration.toNanos(), Progress.stderr()));
            return Main.EXIT_OK;
        }
        // A file must outlive pvring's run for fio's: create it here when missing, delete it after. Written in
        // full, not sparse: reads of a hole never reach the device, and a cold-cache comparison must.
        final DiskSpec disk = config.disk();
        final Path file = disk.kind() == DiskSpec.Kind.FILE ? Path.of(disk.target()) : null;
        final boolean created = file != null && !Files.exists(file);
        if (created)
        {
            writeDense(file, size);
        }
        try
        {
            final FioBaseline baselines = fio;
            final PageCache cache = PageCache.parse(pageCache);
            Outputs.measureAndReport(out, measure.json, records ->
            {
                final BenchRecord run = Outputs.bestOf(measure.rounds, () ->
                {
                    FioBaseline.prepareCache(disk, cache);
                    return BlkBench.run(config, measure.duration.toNanos(), Progress.stderr());
                });
                final BenchRecord best = file == null ? run : run.withParam("page_cache", cache.token());
                records.add(best);
                if (best.partial())
                {
                    return false;
                }
                records.addAll(baselines.run(measure.duration.toNanos(), best.params()));
                return true;
            });
        }
        finally
        {
            if (created)
            {
                Files.deleteIfExists(file);
            }
        }
        return Main.EXIT_OK;
    }

    /**
     * A note when both spinning sides would take every CPU from what an NBD disk needs besides them (the server,
     * and the client's event loop where the io_uring data path is unavailable), else null.
     */
    static String pollStarves(final BlkBenchConfig config, final WaitMode wait, final int cpus)
    {
        final DiskSpec disk = config.disk();
        final boolean nbd = disk != null && (disk.kind() == DiskSpec.Kind.NBD || disk.kind() == DiskSpec.Kind.QCOW2);
        if (!nbd || wait != WaitMode.POLL || cpus > 2 * config.queues() + 1)
        {
            return null;
        }
        return "note: --wait poll spins the frontend and the ring runner on " + cpus + " CPUs, and the NBD server"
            + " needs CPU too: --wait notify measures the NBD path, poll measures how the server fares beside spinners";
    }

    static void writeDense(final Path file, final long bytes) throws java.io.IOException
    {
        final ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
        for (int i = 0; i < chunk.capacity(); i += 8)
        {
            chunk.putLong(i, 0x9E3779B97F4A7C15L * (i + 1)); // not zeros: no file system may store it as a hole
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
        {
            for (long position = 0; position < bytes; position += chunk.capacity())
            {
                chunk.clear().limit((int)Math.min(chunk.capacity(), bytes - position));
                while (chunk.hasRemaining())
                {
                    channel.write(chunk, position + chunk.position());
                }
            }
            channel.force(false);
        }
    }
}
