package io.pvring.bench.blk;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.pvring.bench.report.Json;
import io.pvring.bench.run.BenchRecord;
import io.pvring.bench.run.Environment;
import io.pvring.bench.run.LatencySummary;
import io.pvring.bench.run.Measurement;
import io.pvring.blkback.store.DiskSpec;
import io.pvring.blkback.store.DiskStores;
import io.pvring.nbd.QemuNbdServer;

/**
 * fio with the job {@code bench blk} runs (same {@code --rw}, {@code --bs}, depth), beside pvring in one run.
 * <ul>
 * <li>{@code --store file:PATH}: on the same file ({@code direct=1} for {@code cache=none}), twice: {@code psync}
 *     with {@code numjobs} = depth (QEMU's thread pool does that) and {@code io_uring} with {@code iodepth} = depth.
 *     Every run starts from the same page cache: dropped (fio's {@code --invalidate=1}, {@link #dropCache} before
 *     pvring's) or, with {@link PageCache#HOT}, the whole file read in first and fio told not to drop it.</li>
 * <li>an NBD disk ({@code nbd://...}, {@code nbd+unix://...}, {@code qcow2:PATH}): fio's {@code nbd} engine (libnbd)
 *     at {@code iodepth} = depth against the same server: the user's for a URI; for an image a qemu-nbd started as
 *     pvring's store starts its own ({@link DiskStores#serveImage}), which lives for fio's run. The image's page
 *     cache is warmed before each run ({@link #prepareCache}): the comparison is of NBD clients, not of the disk.</li>
 * </ul>
 * Records have pvring's parameters with {@code impl} {@code fio-psync} / {@code fio-io_uring} / {@code fio-nbd}, so
 * tables and reports put pvring's ratio beside them. fio's nbd engine has no FUA: with {@code cache=writethrough}
 * pvring's writes carry FUA and fio's do not, so only reads compare like for like there.
 */
public final class FioBaseline
{
    /** The {@code impl} names of the two runs on a file. */
    public static final List<String> IMPLS = List.of("fio-psync", "fio-io_uring");
    /** The {@code impl} name of the run of fio's nbd engine. */
    public static final String NBD_IMPL = "fio-nbd";

    /** Images up to this size are read through once before each run so that both run on a hot page cache. */
    static final long MAX_WARMED_IMAGE = 4L << 30;

    private static final long EXTRA_WAIT_MILLIS = 60_000;

    private final BlkBenchConfig config;
    private final DiskSpec disk;
    private final PageCache pageCache;

    /** fio on a cold page cache, as every run beside fio was before {@link PageCache} existed. */
    public FioBaseline(final BlkBenchConfig config)
    {
        this(config, PageCache.COLD);
    }

    /**
     * @param pageCache the page cache's state at the start of every fio run, as of pvring's.
     * @throws IllegalArgumentException when the store is not a file or an NBD disk, or a hot cache is asked of
     *                                  anything but a page-cache file.
     */
    public FioBaseline(final BlkBenchConfig config, final PageCache pageCache)
    {
        final DiskSpec disk = config.disk();
        if (disk == null || disk.kind() == DiskSpec.Kind.MEMORY || disk.kind() == DiskSpec.Kind.NULL)
        {
            throw new IllegalArgumentException("--baseline fio needs --store file:PATH, qcow2:PATH or an nbd URI, " +
                "got " + config.store());
        }
        if (config.queues() != 1 || config.rate() != 0)
        {
            throw new IllegalArgumentException("--baseline fio compares one queue in a closed loop (--queues 1, " +
                "no --rate)");
        }
        if (pageCache == PageCache.HOT && disk.kind() != DiskSpec.Kind.FILE)
        {
            throw new IllegalArgumentException("--page-cache hot sets up file stores (an NBD image's cache is warmed "
                + "for every run anyway)");
        }
        if (pageCache == PageCache.HOT && disk.cache() == DiskSpec.CacheMode.NONE)
        {
            throw new IllegalArgumentException("--page-cache hot measures page-cache reads; cache=none bypasses the "
                + "page cache (drop cache=none, or the option)");
        }
        this.config = config;
        this.disk = disk;
        this.pageCache = pageCache;
    }

    /** Null when fio can run here, else what to install. */
    public static String missingFio()
    {
        try
        {
            final Process fio = new ProcessBuilder("fio", "--version").redirectErrorStream(true).start();
            fio.getInputStream().readAllBytes();
            return fio.waitFor(30, TimeUnit.SECONDS) && fio.exitValue() == 0 ? null : "fio --version failed";
        }
        catch (final IOException ex)
        {
            return "fio is not installed (apt-get install fio)";
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /**
     * Puts the disk's page cache where both runs start: a file's as {@code fileCache} says (dropped, or read in
     * whole), an image's warmed (read through once, when it is at most {@link #MAX_WARMED_IMAGE}; with {@code
     * cache=none} qemu-nbd bypasses it anyway), a remote server's left alone. A missing image is left to the store,
     * whose error names it.
     */
    public static void prepareCache(final DiskSpec disk, final PageCache fileCache)
        throws IOException, InterruptedException
    {
        if (disk.kind() == DiskSpec.Kind.FILE)
        {
            fileCache.prepare(Path.of(disk.target()));
        }
        else if (disk.kind() == DiskSpec.Kind.QCOW2 && disk.cache() != DiskSpec.CacheMode.NONE &&
            Files.isRegularFile(Path.of(disk.target())) && Files.size(Path.of(disk.target())) <= MAX_WARMED_IMAGE)
        {
            exec(List.of("dd", "if=" + disk.target(), "of=/dev/null", "bs=1M", "status=none"), 120_000);
        }
    }

    /**
     * Drops {@code file}'s pages from the page cache ({@code posix_fadvise(DONTNEED)} through GNU dd), so a
     * page-cache run starts cold as fio's {@code --invalidate=1} runs do.
     */
    public static void dropCache(final Path file) throws IOException, InterruptedException
    {
        exec(List.of("dd", "if=" + file, "iflag=nocache", "count=0", "status=none"), 30_000);
    }

    /**
     * Runs fio with each engine and returns one record per engine, with {@code pvringParams} (pvring's record's)
     * but for {@code impl}.
     */
    public List<BenchRecord> run(final long durationNanos, final Map<String, Object> pvringParams)
        throws IOException, InterruptedException
    {
        final List<BenchRecord> records = new ArrayList<>();
        if (disk.kind() == DiskSpec.Kind.NBD)
        {
            records.add(runNbd(disk.target(), durationNanos, pvringParams));
        }
        else if (disk.kind() == DiskSpec.Kind.QCOW2)
        {
            prepareCache(disk, pageCache);
            // Two connections: fio's nbd engine opens one to read the export's size, then one per job.
            try (QemuNbdServer server = DiskStores.serveImage(disk, false, 2))
            {
                records.add(runNbd(server.uri().toString(), durationNanos, pvringParams));
            }
        }
        else
        {
            prepareCache(disk, pageCache);
            records.add(parse(exec(command("psync", durationNanos), timeoutMillis(durationNanos)), IMPLS.get(0),
                pvringParams));
            prepareCache(disk, pageCache);
            records.add(parse(exec(command("io_uring", durationNanos), timeoutMillis(durationNanos)), IMPLS.get(1),
                pvringParams));
        }
        return records;
    }

    private BenchRecord runNbd(final String uri, final long durationNanos, final Map<String, Object> pvringParams)
        throws IOException, InterruptedException
    {
        return parse(exec(nbdCommand(uri, durationNanos), timeoutMillis(durationNanos)), NBD_IMPL, pvringParams);
    }

    /** fio's nbd engine reads the export's size from the server, as pvring's store does. */
    List<String> nbdCommand(final String uri, final long durationNanos)
    {
        return List.of("fio", "--name=pvring-baseline", "--ioengine=nbd", "--uri=" + uri,
            "--rw=" + config.pattern().label(), "--bs=" + config.blockSize(), "--iodepth=" + config.queueDepth(),
            "--time_based", "--ramp_time=" + warmupMillis(durationNanos) + "ms",
            "--runtime=" + runtimeMillis(durationNanos) + "ms", "--group_reporting", "--randrepeat=0",
            "--output-format=json");
    }

    private static long warmupMillis(final long durationNanos)
    {
        return TimeUnit.NANOSECONDS.toMillis(Measurement.warmupFor(durationNanos));
    }

    private static long runtimeMillis(final long durationNanos)
    {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(durationNanos));
    }

    List<String> command(final String engine, final long durationNanos) throws IOException
    {
        final Path file = Path.of(disk.target());
        final long size = Files.exists(file) ? Files.size(file) : config.sizeBytes();
        final long warmupMillis = warmupMillis(durationNanos);
        final long runtimeMillis = runtimeMillis(durationNanos);
        final List<String> command = new ArrayList<>(List.of("fio", "--name=pvring-baseline",
            "--filename=" + disk.target(), "--rw=" + config.pattern().label(), "--bs=" + config.blockSize(),
            "--size=" + size, "--direct=" + (disk.cache() == DiskSpec.CacheMode.NONE ? 1 : 0),
            "--ioengine=" + engine, "--invalidate=" + pageCache.fioInvalidate(), "--time_based",
            "--ramp_time=" + warmupMillis + "ms",
            "--runtime=" + runtimeMillis + "ms", "--group_reporting", "--randrepeat=0", "--output-format=json"));
        if (disk.cache() == DiskSpec.CacheMode.WRITETHROUGH)
        {
            command.add("--sync=dsync");
        }
        if ("psync".equals(engine))
        {
            command.add("--numjobs=" + config.queueDepth());
        }
        else
        {
            command.add("--iodepth=" + config.queueDepth());
        }
        return command;
    }

    @SuppressWarnings("unchecked")
    BenchRecord parse(final String output, final String impl, final Map<String, Object> pvringParams)
    {
        // fio may print notes before the JSON object.
        final int start = output.indexOf('{');
        if (start < 0)
        {
            throw new IllegalStateException("fio printed no JSON: " + output);
        }
        final Map<String, Object> root = (Map<String, Object>)Json.parse(output.substring(start));
        final Map<String, Object> job = ((List<Map<String, Object>>)root.get("jobs")).get(0);
        double iops = 0;
        double bytes = 0;
        long ops = 0;
        double seconds = 0;
        Map<String, Object> clat = null;
        for (final String direction : new String[]{ "read", "write" })
        {
            final Map<String, Object> stats = (Map<String, Object>)job.get(direction);
            iops += number(stats, "iops");
            bytes += number(stats, "bw_bytes");
            ops += (long)number(stats, "total_ios");
            seconds = Math.max(seconds, number(stats, "runtime") / 1000.0);
            final Map<String, Object> lat = (Map<String, Object>)stats.get("clat_ns");
            if (lat != null && number(lat, "N") > 0 && clat == null)
            {
                clat = lat;
            }
        }
        final Map<String, Object> params = new LinkedHashMap<>(pvringParams);
        params.put("impl", impl);
        return new BenchRecord("blk", params, iops, bytes, ops, seconds, latency(clat, ops), 0, 0, false,
            Environment.current());
    }

    @SuppressWarnings("unchecked")
    private static LatencySummary latency(final Map<String, Object> clat, final long ops)
    {
        if (clat == null)
        {
            return LatencySummary.NONE;
        }
        final Map<String, Object> percentiles = (Map<String, Object>)clat.get("percentile");
        return new LatencySummary(micros(percentiles, "50.000000"), micros(percentiles, "99.000000"),
            micros(percentiles, "99.900000"), number(clat, "max") / 1000.0, number(clat, "mean") / 1000.0, ops);
    }

    private static double micros(final Map<String, Object> percentiles, final String key)
    {
        return percentiles == null ? 0 : number(percentiles, key) / 1000.0;
    }

    private static double number(final Map<String, Object> map, final String key)
    {
        final Object value = map == null ? null : map.get(key);
        return value instanceof Number ? ((Number)value).doubleValue() : 0;
    }

    private static long timeoutMillis(final long durationNanos)
    {
        return TimeUnit.NANOSECONDS.toMillis(durationNanos + Measurement.warmupFor(durationNanos)) +
            EXTRA_WAIT_MILLIS;
    }

    private static String exec(final List<String> command, final long timeoutMillis)
        throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try
        {
            final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS))
            {
                throw new IllegalStateException(String.join(" ", command) + " did not finish in " + timeoutMillis +
                    " ms");
            }
            if (process.exitValue() != 0)
            {
                throw new IllegalStateException(String.join(" ", command) + " failed (exit " + process.exitValue() +
                    "): " + out);
            }
            return out;
        }
        finally
        {
            process.destroyForcibly();
        }
    }
}
