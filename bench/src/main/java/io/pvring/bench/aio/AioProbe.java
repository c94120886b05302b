package io.pvring.bench.aio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.pvring.aio.AioCompletionHandler;
import io.pvring.aio.AioConfig;
import io.pvring.aio.AioEngine;
import io.pvring.aio.AioEngines;
import io.pvring.aio.AioFile;
import io.pvring.aio.CacheMode;
import io.pvring.aio.Errno;
import org.agrona.BufferUtil;

/**
 * A hand-run probe (not a test, not part of the suite): random reads straight through the file engines of {@code
 * io.pvring.aio}, with no ring in front, beside fio on the same file with the same block size, depth and {@code
 * direct=} ({@code --ioengine=io_uring} at the depth, and {@code psync} with one job per unit of depth). It shows
 * what each engine costs on its own, before blkback is built on it.
 * <pre>
 *   java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/java.nio=ALL-UNNAMED \
 *       -cp bench/target/pvring.jar io.pvring.bench.aio.AioProbe \
 *       [file=/var/tmp/pvring-aio-probe.img] [size=256m] [qd=16] [bs=4096] [seconds=10] [cache=none]
 *       [engines=threads,io_uring] [fio=true]
 * </pre>
 */
public final class AioProbe
{
    private AioProbe()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Map<String, String> options = new HashMap<>();
        for (final String arg : args)
        {
            final int eq = arg.indexOf('=');
            if (eq < 0)
            {
                throw new IllegalArgumentException("expected key=value: " + arg);
            }
            options.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        final Path file = Path.of(options.getOrDefault("file", "/var/tmp/pvring-aio-probe.img"));
        final long size = parseSize(options.getOrDefault("size", "256m"));
        final int depth = Integer.parseInt(options.getOrDefault("qd", "16"));
        final int blockSize = Integer.parseInt(options.getOrDefault("bs", "4096"));
        final int seconds = Integer.parseInt(options.getOrDefault("seconds", "10"));
        final CacheMode cache = CacheMode.parse(options.getOrDefault("cache", "none"));
        final String[] engines = options.getOrDefault("engines", "threads,io_uring").split(",");
        final boolean fio = Boolean.parseBoolean(options.getOrDefault("fio", "true"));

        prepare(file, size);
        if (cache != CacheMode.NONE)
        {
            warmPageCache(file);
        }
        System.out.printf("randread bs=%d qd=%d cache=%s file=%s (%d MiB), %d s each%n",
            blockSize, depth, cache.qemuName(), file, size >> 20, seconds);
        final List<String[]> rows = new ArrayList<>();
        for (final String engine : engines)
        {
            rows.add(new String[]{ "pvring aio=" + engine,
                String.format("%.0f", runEngine(engine, file, size, depth, blockSize, seconds, cache)) });
        }
        if (fio)
        {
            final boolean direct = cache == CacheMode.NONE;
            rows.add(new String[]{ "fio io_uring iodepth=" + depth,
                String.format("%.0f", runFio(file, blockSize, seconds, direct, "io_uring", depth, 1)) });
            rows.add(new String[]{ "fio psync numjobs=" + depth,
                String.format("%.0f", runFio(file, blockSize, seconds, direct, "psync", 1, depth)) });
        }
        for (final String[] row : rows)
        {
            System.out.printf("%-28s %12s IOPS%n", row[0], row[1]);
        }
    }

    private static double runEngine(
        final String name, final Path path, final long size, final int depth, final int blockSize, final int seconds,
        final CacheMode cache) throws IOException
    {
        final Thread self = Thread.currentThread();
        final AioConfig config = new AioConfig().queueDepth(depth).maxThreads(depth).minThreads(Math.min(depth, 4))
            .maxIoBytes(Math.max(4096, blockSize));
        final ByteBuffer memory = BufferUtil.allocateDirectAligned(depth * blockSize, 4096);
        final long base = BufferUtil.address(memory);
        final long blocks = size / blockSize;
        final SplittableRandom random = new SplittableRandom(1);
        final long[] stats = new long[2];
        try (AioFile file = AioFile.open(path, cache, true);
            AioEngine engine = AioEngines.create(name, config, () -> LockSupport.unpark(self)))
        {
            final AioCompletionHandler handler = (tag, result) ->
            {
                if (result != blockSize)
                {
                    throw new IllegalStateException("read failed: " + Errno.name(result));
                }
                stats[0]++;
                engine.read(file, tag, random.nextLong(blocks) * blockSize, base + tag * blockSize, blockSize);
            };
            for (int i = 0; i < depth; i++)
            {
                engine.read(file, i, random.nextLong(blocks) * blockSize, base + (long)i * blockSize, blockSize);
            }
            engine.submitBatch();
            final long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            long start = 0;
            long end = Long.MAX_VALUE;
            while (true)
            {
                final long now = System.nanoTime();
                if (start == 0 && now >= warmEnd)
                {
                    start = now;
                    stats[1] = stats[0];
                    end = now + TimeUnit.SECONDS.toNanos(seconds);
                }
                if (now >= end)
                {
                    // Closing (by try-with-resources) waits for the reads still in flight.
                    return (stats[0] - stats[1]) * 1e9 / (now - start);
                }
                if (engine.poll(handler, depth) > 0)
                {
                    engine.submitBatch();
                }
                else if (engine.needsPolling())
                {
                    // The io_uring is reaped by this thread only, as a ring's runner reaps it: poll again.
                    Thread.onSpinWait();
                }
                else
                {
                    LockSupport.parkNanos(1_000_000);
                }
            }
        }
    }

    private static double runFio(
        final Path file, final int blockSize, final int seconds, final boolean direct, final String ioengine,
        final int iodepth, final int jobs) throws IOException, InterruptedException
    {
        final List<String> command = List.of("fio", "--name=probe", "--filename=" + file, "--readonly",
            "--rw=randread", "--bs=" + blockSize, "--iodepth=" + iodepth, "--numjobs=" + jobs, "--group_reporting",
            "--ioengine=" + ioengine, "--direct=" + (direct ? 1 : 0), "--ramp_time=1", "--runtime=" + seconds,
            // fio drops the file's page cache before a job unless told not to: a page-cache run keeps it hot.
            "--invalidate=" + (direct ? 1 : 0), "--time_based", "--output-format=json");
        final Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(seconds + 60L, TimeUnit.SECONDS) || process.exitValue() != 0)
        {
            throw new IllegalStateException("fio failed: " + command + "\n" + out);
        }
        final Matcher matcher = Pattern.compile("\"read\"\\s*:\\s*\\{[^}]*?\"iops\"\\s*:\\s*([0-9.]+)").matcher(out);
        if (!matcher.find())
        {
            throw new IllegalStateException("no read iops in fio output:\n" + out);
        }
        return Double.parseDouble(matcher.group(1));
    }

    private static void prepare(final Path file, final long size) throws IOException
    {
        if (Files.exists(file) && Files.size(file) == size)
        {
            return;
        }
        final ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
        final SplittableRandom random = new SplittableRandom(7);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING))
        {
            for (long at = 0; at < size; at += chunk.capacity())
            {
                chunk.clear();
                while (chunk.remaining() >= 8)
                {
                    chunk.putLong(random.nextLong());
                }
                chunk.flip();
                channel.write(chunk, at);
            }
            channel.force(true);
        }
    }

    /** Reads the file once so a page-cache run measures the hot cache, for pvring and fio alike. */
    private static void warmPageCache(final Path file) throws IOException
    {
        final ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            long at = 0;
            int n;
            while ((n = channel.read(chunk.clear(), at)) > 0)
            {
                at += n;
            }
        }
    }

    private static long parseSize(final String text)
    {
        final String lower = text.toLowerCase(java.util.Locale.ROOT);
        final char unit = lower.charAt(lower.length() - 1);
        final long shift = unit == 'k' ? 10 : unit == 'm' ? 20 : unit == 'g' ? 30 : 0;
        final String digits = shift == 0 ? lower : lower.substring(0, lower.length() - 1);
        return Long.parseLong(digits) << shift;
    }
}
