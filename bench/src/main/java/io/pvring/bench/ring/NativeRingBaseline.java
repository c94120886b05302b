package io.pvring.bench.ring;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.pvring.bench.run.BenchRecord;
import io.pvring.bench.run.Environment;
import io.pvring.bench.run.LatencySummary;
import io.pvring.bench.run.Measurement;

/**
 * The native baseline: the ring workload in C over Xen's own {@code io/ring.h}, compiled at run time with gcc for
 * the slot size asked for and run for the same warm-up and duration as the Java ring. Ctrl-C reaches the child
 * too (same process group); it stops and prints what it measured.
 */
public final class NativeRingBaseline
{
    public static final Path RING_H = Path.of("/usr/include/xen/io/ring.h");
    private static final String SOURCE = "/native/ring_bench.c";
    private static final long EXTRA_WAIT_MILLIS = 20_000;

    private final RingConfig config;

    public NativeRingBaseline(final RingConfig config)
    {
        if (config.rate() > 0)
        {
            throw new IllegalArgumentException("--native runs closed loop: drop --rate to compare with C");
        }
        this.config = config;
    }

    /**
     * What is missing to build the baseline, with the Debian package that provides it, or null when gcc and the
     * Xen headers are both there.
     */
    public static String missingToolchain()
    {
        if (!gccWorks())
        {
            return "gcc not found: apt-get install gcc libc6-dev";
        }
        if (!Files.isRegularFile(RING_H))
        {
            return "Xen public headers not found (" + RING_H + "): apt-get install libxen-dev";
        }
        return null;
    }

    private static boolean gccWorks()
    {
        try
        {
            final Process gcc = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start();
            gcc.getInputStream().readAllBytes();
            return gcc.waitFor(30, TimeUnit.SECONDS) && gcc.exitValue() == 0;
        }
        catch (final IOException ex)
        {
            return false;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Compiles and runs the C workload; throws with a what-to-do message when the toolchain is missing. */
    public BenchRecord run(final long durationNanos) throws IOException, InterruptedException
    {
        final String missing = missingToolchain();
        if (missing != null)
        {
            throw new IllegalStateException(missing);
        }
        final Path dir = Files.createTempDirectory("pvring-native-");
        try
        {
            final Path source = dir.resolve("ring_bench.c");
            try (InputStream in = NativeRingBaseline.class.getResourceAsStream(SOURCE))
            {
                if (in == null)
                {
                    throw new IllegalStateException("resource " + SOURCE + " missing from the jar");
                }
                Files.write(source, in.readAllBytes());
            }
            final Path binary = dir.resolve("ring_bench");
            exec(List.of("gcc", "-O2", "-march=native", "-pthread", "-DSLOT_BYTES=" + config.slotBytes(),
                source.toString(), "-o", binary.toString()), 60_000);
            final long warmupMillis = TimeUnit.NANOSECONDS.toMillis(Measurement.warmupFor(durationNanos));
            final long durationMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(durationNanos));
            final String out = exec(List.of(binary.toString(), Integer.toString(config.batch()),
                Integer.toString(config.ringOrder()), Long.toString(warmupMillis), Long.toString(durationMillis),
                config.idle().label()),
                warmupMillis + durationMillis + EXTRA_WAIT_MILLIS);
            return parse(out.trim());
        }
        finally
        {
            deleteQuietly(dir);
        }
    }

    BenchRecord parse(final String line)
    {
        final Map<String, String> values = new HashMap<>();
        for (final String pair : line.split("\\s+"))
        {
            final int eq = pair.indexOf('=');
            if (eq > 0)
            {
                values.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        final long ops = Long.parseLong(require(values, "ops", line));
        final double seconds = Double.parseDouble(require(values, "seconds", line));
        final double opsPerSec = seconds > 0 ? ops / seconds : 0;
        final LatencySummary latency = ops == 0 ? LatencySummary.NONE : new LatencySummary(
            micros(values, "p50_ns", line), micros(values, "p99_ns", line), micros(values, "p999_ns", line),
            micros(values, "max_ns", line), 0, ops);
        return new BenchRecord("ring", RingHandoff.params(config, "native-c"), opsPerSec,
            opsPerSec * config.slotBytes(), ops, seconds, latency,
            Long.parseLong(require(values, "sent", line)), Long.parseLong(require(values, "suppressed", line)),
            "1".equals(values.get("partial")), Environment.current());
    }

    private static double micros(final Map<String, String> values, final String key, final String line)
    {
        return Long.parseLong(require(values, key, line)) / 1000.0;
    }

    private static String require(final Map<String, String> values, final String key, final String line)
    {
        final String value = values.get(key);
        if (value == null)
        {
            throw new IllegalStateException("native ring baseline printed no " + key + ": " + line);
        }
        return value;
    }

    private static String exec(final List<String> command, final long timeoutMillis)
        throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS))
        {
            process.destroyForcibly();
            throw new IllegalStateException(command.get(0) + " did not finish within " + timeoutMillis + " ms");
        }
        final String text = new String(output, StandardCharsets.UTF_8);
        if (process.exitValue() != 0)
        {
            throw new IllegalStateException(String.join(" ", command) + " failed (exit " + process.exitValue()
                + "): " + text.trim());
        }
        return text;
    }

    private static void deleteQuietly(final Path dir)
    {
        try (var files = Files.list(dir))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(dir);
        }
        catch (final IOException ignored)
        {
            // A temporary directory left behind is harmless.
        }
    }
}
