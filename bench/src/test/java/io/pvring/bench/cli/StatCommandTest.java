package io.pvring.bench.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.pvring.bench.report.Json;
import io.pvring.bench.stat.StatWorkload;
import io.pvring.stats.BlkCounters;
import io.pvring.stats.DeviceId;
import io.pvring.stats.DeviceKind;
import io.pvring.stats.DeviceStats;
import io.pvring.stats.IoStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.pvring.bench.stat.StatWorkload.FLUSHES;
import static io.pvring.bench.stat.StatWorkload.FLUSH_NS;
import static io.pvring.bench.stat.StatWorkload.READS;
import static io.pvring.bench.stat.StatWorkload.READ_BYTES;
import static io.pvring.bench.stat.StatWorkload.READ_NS;
import static io.pvring.bench.stat.StatWorkload.WRITES;
import static io.pvring.bench.stat.StatWorkload.WRITE_BYTES;
import static io.pvring.bench.stat.StatWorkload.WRITE_NS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code pvring stat}: the figures of a known workload, from another process; filters, sorting, refusals. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class StatCommandTest
{
    @Test
    void onceJsonShowsExactlyWhatAKnownWorkloadInAnotherProcessDidThenTheFileIsStale(@TempDir final Path dir)
        throws Exception
    {
        final Process child = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"), StatWorkload.class.getName(), dir.toString())
            .redirectError(dir.resolve("child.err").toFile()).start();
        try
        {
            try (BufferedReader out = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)))
            {
                final String line = out.readLine(); // bounded by the class timeout
                assertEquals("ready", line, () -> "the workload process started: " + stderr(dir));
            }
            final CliRunner r = CliRunner.run("stat", dir.toString(), "--once", "--json");
            assertEquals(0, r.exitCode, r.toString());
            final Map<String, Object> doc = map(Json.parse(r.out));
            assertEquals(child.pid(), ((Number)doc.get("pid")).longValue());
            assertNull(doc.get("interval_s"), "one report: averages since each device connected");
            final List<Object> devices = list(doc.get("devices"));
            assertEquals(2, devices.size(), r.out);

            final Map<String, Object> xvda = map(devices.get(0));
            assertEquals("web", xvda.get("guest"));
            assertEquals("xvda", xvda.get("name"));
            assertEquals(2L, xvda.get("queues"));
            final Map<String, Object> totals = map(xvda.get("totals"));
            assertEquals((long)READS, totals.get("read_requests"));
            assertEquals((long)WRITES, totals.get("write_requests"));
            assertEquals((long)FLUSHES, totals.get("flush_requests"));
            assertEquals((long)READS * READ_BYTES, totals.get("read_bytes"));
            assertEquals((long)WRITES * WRITE_BYTES, totals.get("write_bytes"));
            assertEquals((long)READS + WRITES + FLUSHES, totals.get("completions"));
            final long latency = READS * READ_NS + WRITES * WRITE_NS + FLUSHES * FLUSH_NS;
            assertEquals(latency, totals.get("latency_ns"));
            assertEquals(0L, totals.get("in_flight"));
            final Map<String, Object> figures = map(xvda.get("figures"));
            final double seconds = ((Number)xvda.get("seconds")).doubleValue();
            assertEquals(READS, ((Number)figures.get("r_s")).doubleValue() * seconds, 0.01, "r/s covers the interval");
            assertEquals(latency / 1e6 / (READS + WRITES + FLUSHES), ((Number)figures.get("await_ms")).doubleValue(),
                1e-4);
            assertEquals((double)StatWorkload.IO_ERRORS, ((Number)figures.get("errors")).doubleValue());
            final Map<String, Object> percentiles = map(xvda.get("latency_ns"));
            assertEquals((long)READS + WRITES + FLUSHES, percentiles.get("count"));
            assertEquals(READ_NS, ((Number)percentiles.get("p50")).doubleValue(), READ_NS * 0.01, "p50: the reads");
            assertEquals(FLUSH_NS, ((Number)percentiles.get("p99")).doubleValue(), FLUSH_NS * 0.01, "p99: flushes");
            assertEquals(FLUSH_NS / 1e6, ((Number)figures.get("p99_ms")).doubleValue(), FLUSH_NS * 0.01 / 1e6);

            final Map<String, Object> vif = map(devices.get(1));
            assertEquals("vif1.0", vif.get("name"));
            assertEquals((long)StatWorkload.TX_BYTES, map(vif.get("totals")).get("tx_bytes"));
            assertEquals((double)StatWorkload.RX_DROPS, ((Number)map(vif.get("figures")).get("drops")).doubleValue());

            final CliRunner text = CliRunner.run("stat", dir.toString(), "--once");
            assertEquals(0, text.exitCode, text.toString());
            assertTrue(text.out.contains("guest  domid  vbd"), text.out);
            assertTrue(text.out.lines().anyMatch(l -> l.startsWith("web") && l.contains("xvda")), text.out);
            assertTrue(text.out.lines().anyMatch(l -> l.startsWith("web") && l.contains("vif1.0")), text.out);
        }
        finally
        {
            child.getOutputStream().close();
            if (!child.waitFor(30, TimeUnit.SECONDS))
            {
                child.destroyForcibly();
            }
        }
        assertEquals(0, child.exitValue(), () -> "the workload process: " + stderr(dir));
        final CliRunner stale = CliRunner.run("stat", dir.toString(), "--once");
        assertEquals(Main.EXIT_FAILURE, stale.exitCode, stale.toString());
        assertTrue(stale.err.contains("is stale: the process that wrote it (pid " + child.pid() + ") has exited"),
            stale.err);
    }

    private static String stderr(final Path dir)
    {
        try
        {
            return Files.readString(dir.resolve("child.err"));
        }
        catch (final java.io.IOException ex)
        {
            return ex.toString();
        }
    }

    @Test
    void aMissingDirectoryOrOneWithoutAServeSaysWhatToDo(@TempDir final Path tmp)
    {
        final CliRunner missing = CliRunner.run("stat", tmp.resolve("nope").toString(), "--once");
        assertEquals(Main.EXIT_FAILURE, missing.exitCode);
        assertTrue(missing.err.contains("no such directory or counters file: " + tmp.resolve("nope")), missing.err);
        final CliRunner empty = CliRunner.run("stat", tmp.toString(), "--once");
        assertEquals(Main.EXIT_FAILURE, empty.exitCode);
        assertTrue(empty.err.contains("no counters file in " + tmp + " (" + tmp.resolve("counters.dat") +
            "): is a pvring serve running there? Start one with: pvring serve --dir " + tmp), empty.err);
        final CliRunner badSort = CliRunner.run("stat", tmp.toString(), "--sort", "nonsense");
        assertEquals(Main.EXIT_USAGE, badSort.exitCode, badSort.toString());
    }

    @Test
    void filtersSortingAndIntervalReports(@TempDir final Path dir)
    {
        try (IoStats stats = IoStats.create(dir.resolve("counters.dat"), 8, 2))
        {
            StatWorkload.write(stats);
            stats.nameDomain(2, "db");
            final DeviceStats busy = stats.register(new DeviceId(DeviceKind.VBD, 2, 51728), 1);
            for (int i = 0; i < 3; i++)
            {
                busy.queue(0).blkAccepted(BlkCounters.READ_REQUESTS, 512, i);
                busy.queue(0).blkCompleted(50_000_000, i + 50_000_000);
            }
            final CliRunner sorted = CliRunner.run("stat", dir.toString(), "--once", "--json", "--sort", "await");
            assertEquals(0, sorted.exitCode, sorted.toString());
            final List<Object> byAwait = list(map(Json.parse(sorted.out)).get("devices"));
            assertEquals(List.of("xvdb", "xvda", "vif1.0"), byAwait.stream().map(d -> map(d).get("name")).toList(),
                "slowest first, devices without the column last");

            final CliRunner db = CliRunner.run("stat", dir.toString(), "--once", "--json", "--guest", "db");
            assertEquals(List.of("xvdb"), list(map(Json.parse(db.out)).get("devices")).stream()
                .map(d -> map(d).get("name")).toList());
            final CliRunner xvda = CliRunner.run("stat", dir.toString(), "--once", "--json", "--device", "vbd-1-51712");
            assertEquals(List.of("xvda"), list(map(Json.parse(xvda.out)).get("devices")).stream()
                .map(d -> map(d).get("name")).toList());

            final CliRunner live = CliRunner.run("stat", dir.toString(), "--count", "2", "--interval", "50ms");
            assertEquals(0, live.exitCode, live.toString());
            assertEquals(2, live.out.lines().filter(l -> l.startsWith("pvring stat")).count(), live.out);
            assertTrue(live.out.contains("interval 0."), "the second report covers the interval: " + live.out);
            final String second = live.out.substring(live.out.lastIndexOf("pvring stat"));
            final String xvdaLine = second.lines().filter(l -> l.contains("xvda")).findFirst().orElseThrow();
            assertTrue(xvdaLine.matches("web\\s+1\\s+xvda\\s+0\\.0\\s+0\\.0\\s+.*"),
                "no requests in the interval: " + xvdaLine);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(final Object o)
    {
        return (Map<String, Object>)o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(final Object o)
    {
        return (List<Object>)o;
    }
}
