package io.pvring.bench.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.pvring.bench.report.Json;
import io.pvring.bench.report.Records;
import io.pvring.bench.report.ResultsSchema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bench blk|net --guests 3} and {@code bench idle} for a fraction of a second through the picocli entry
 * point: every guest did work, the JSON carries the many-guests fields, and the fairness figures agree with the
 * per-guest counts. Nothing here depends on how fast the machine is.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GuestsBenchTest
{
    /**
     * Long enough that every guest's frontend thread runs in it: on this machine kind two vCPUs kept busy by more
     * spinning threads than they have lose the CPU for up to ~200 ms at a time (measured), so a 200 ms run could
     * see a guest do nothing, which is the scheduler, not pvring.
     */
    private static final String GUEST_RUN = "1s";

    @TempDir
    Path dir;

    @Test
    void blkGuestsEachDoWorkAndTheSingleGuestBaselineFollows() throws IOException
    {
        final Path json = dir.resolve("blk.json");
        // notify: six sleeping threads make progress on two busy vCPUs, where spinning ones could starve
        final CliRunner run = CliRunner.run("bench", "blk", "--guests", "3", "--qd", "4", "--wait", "notify",
            "--size", "64m", "--runners", "2", "--front-threads", "2", "--duration", GUEST_RUN, "--json",
            json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final List<Map<String, Object>> records = records(json);
        assertEquals(2, records.size(), "3 guests, then 1 guest at qd 32: " + records);
        final Map<String, Object> guests = records.get(0);
        assertEquals("blk-guests", Records.benchmark(guests));
        assertEquals(3.0, Records.param(guests, "guests"));
        assertEquals(4.0, Records.param(guests, "qd"));
        assertEquals(2.0, Records.param(guests, "front_threads"));
        checkGuests(guests, 3);
        assertTrue(guests.get("ring_drained_fraction") instanceof Number, guests.toString());
        final Map<String, Object> single = records.get(1);
        assertEquals(1.0, Records.param(single, "guests"));
        assertEquals(32.0, Records.param(single, "qd"));
        checkGuests(single, 1);
        final Map<String, Object> targets = map(guests, "targets");
        final double ratio = number(map(targets, "aggregate_vs_single_guest"), "value");
        // the JSON keeps 4 decimals
        assertEquals(Records.number(guests, "ops_per_sec") / Records.number(single, "ops_per_sec"), ratio,
            Math.max(1e-4, 1e-3 * ratio));
        assertNotNull(map(targets, "lowest_guest_vs_mean").get("met"));
        assertTrue(run.out.contains("lowest/mean"), run.out);
    }

    @Test
    void netGuestsEachSendAndReceive() throws IOException
    {
        final Path json = dir.resolve("net.json");
        final CliRunner run = CliRunner.run("bench", "net", "--guests", "3", "--wait", "adaptive",
            "--runners", "2", "--front-threads", "2", "--duration", GUEST_RUN, "--json", json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final List<Map<String, Object>> records = records(json);
        assertEquals(2, records.size(), "adaptive, then poll: " + records);
        assertEquals("adaptive", Records.params(records.get(0)).get("wait"));
        assertEquals("poll", Records.params(records.get(1)).get("wait"));
        for (final Map<String, Object> record : records)
        {
            assertEquals("net-guests", Records.benchmark(record));
            checkGuests(record, 3);
            assertEquals(0.0, number(record, "rx_drops"), "the window keeps every frame: " + record);
        }
        final Map<String, Object> targets = map(records.get(0), "targets");
        final double ratio = Records.number(records.get(0), "ops_per_sec")
            / Records.number(records.get(1), "ops_per_sec");
        assertEquals(ratio, number(map(targets, "rate_vs_poll"), "value"), Math.max(1e-4, 1e-3 * ratio));
    }

    @Test
    void idleGuestsReportTheProcessCpuAndTheReportShowsEveryManyGuestsRun() throws IOException
    {
        final Path json = dir.resolve("idle.json");
        final CliRunner run = CliRunner.run("bench", "idle", "--guests", "4", "--runners", "2", "--duration",
            "200ms", "--json", json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final List<Map<String, Object>> records = records(json);
        assertEquals(1, records.size());
        final Map<String, Object> idle = records.get(0);
        assertEquals("idle-guests", Records.benchmark(idle));
        assertEquals(4.0, Records.param(idle, "guests"));
        final double cores = Runtime.getRuntime().availableProcessors() * 100.0;
        final double process = number(map(idle, "cpu_percent"), "process");
        assertTrue(process >= 0 && process <= cores, "process=" + process + " of " + cores);
        assertEquals(process, number(map(map(idle, "targets"), "process_cpu_percent"), "value"), 1e-3);
        assertTrue(run.out.contains("process_cpu_percent"), run.out);

        final Path blk = dir.resolve("blk.json");
        assertEquals(0, CliRunner.run("bench", "blk", "--guests", "2", "--wait", "notify", "--baseline", "none",
            "--duration", "100ms", "--json", blk.toString()).exitCode);
        final Path html = dir.resolve("report.html");
        final CliRunner report = CliRunner.run("report", json.toString(), blk.toString(), "-o",
            html.toString());
        assertEquals(0, report.exitCode, report.toString());
        final String page = Files.readString(html);
        assertTrue(page.contains("<h2>Many guests</h2>") && page.contains("Per guest: blk-guests"), page);
        assertTrue(!page.contains("NaN"), "no figure is NaN in the report");
    }

    @Test
    void netGuestsSleepingOnOneFrontendThreadEachDoWork() throws IOException
    {
        // Every wait here is a sleep (one backend thread, one frontend thread, notify): each guest still sends and
        // receives within the window, as it must when event channels and window wake-ups are its only signals.
        final Path json = dir.resolve("net.json");
        final CliRunner run = CliRunner.run("bench", "net", "--guests", "2", "--wait", "notify", "--baseline", "none",
            "--runners", "1", "--front-threads", "1", "--duration", "300ms", "--json", json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final List<Map<String, Object>> records = records(json);
        assertEquals(1, records.size());
        checkGuests(records.get(0), 2);
        assertEquals(1.0, Records.param(records.get(0), "front_threads"));
    }

    @Test
    void netBaselineGoesWithGuests()
    {
        final CliRunner baseline = CliRunner.run("bench", "net", "--baseline", "poll");

        assertEquals(Main.EXIT_USAGE, baseline.exitCode, baseline.toString());
        assertTrue(baseline.err.contains("goes with --guests"), baseline.err);
    }

    @Test
    void netGuestsNeedTwoGuests()
    {
        final CliRunner run = CliRunner.run("bench", "net", "--guests", "1");

        assertEquals(Main.EXIT_USAGE, run.exitCode, run.toString());
        assertTrue(run.err.contains("at least 2 guests"), run.err);
    }

    @Test
    void hostOptionsGoWithGuests()
    {
        final CliRunner run = CliRunner.run("bench", "blk", "--runners", "2");

        assertEquals(Main.EXIT_USAGE, run.exitCode, run.toString());
        assertTrue(run.err.contains("go with --guests"), run.err);
    }

    @Test
    void blkGuestsTakeOnlyPerGuestStores()
    {
        final CliRunner run = CliRunner.run("bench", "blk", "--guests", "2", "--store",
            "file:" + dir.resolve("disk.img"));

        assertEquals(Main.EXIT_USAGE, run.exitCode, run.toString());
        assertTrue(run.err.contains("--store null or memory"), run.err);
    }

    /** Every guest did work; total, lowest, highest, mean and their ratio agree with the per-guest counts. */
    static void checkGuests(final Map<String, Object> record, final int count)
    {
        final Map<String, Object> guests = map(record, "guests");
        assertEquals(count, number(guests, "count"));
        final List<?> ops = (List<?>)guests.get("ops");
        assertEquals(count, ops.size());
        long total = 0;
        long lowest = Long.MAX_VALUE;
        long highest = 0;
        for (final Object each : ops)
        {
            final long n = ((Number)each).longValue();
            assertTrue(n > 0, "every guest did work: " + ops);
            total += n;
            lowest = Math.min(lowest, n);
            highest = Math.max(highest, n);
        }
        assertEquals(total, (long)Records.number(record, "ops"));
        // the JSON rounds duration_sec and the rates to a few digits: rates agree to 1e-3 of the aggregate
        final double seconds = Records.number(record, "duration_sec");
        final double tolerance = 1e-3 * total / seconds;
        assertEquals(total / seconds, Records.number(record, "ops_per_sec"), tolerance);
        assertEquals(lowest, ((Number)ops.get((int)number(guests, "lowest_guest"))).longValue());
        assertEquals(highest, ((Number)ops.get((int)number(guests, "highest_guest"))).longValue());
        assertEquals(lowest / seconds, number(guests, "lowest_ops_per_sec"), tolerance);
        assertEquals(highest / seconds, number(guests, "highest_ops_per_sec"), tolerance);
        assertEquals((double)total / count / seconds, number(guests, "mean_ops_per_sec"), tolerance);
        assertEquals(lowest * (double)count / total, number(guests, "lowest_over_mean"), 1e-4);
        final Map<String, Object> cpu = map(record, "cpu_percent");
        final double cores = Runtime.getRuntime().availableProcessors() * 100.0;
        for (final String key : new String[] {"process", "backend", "frontend"})
        {
            final double percent = number(cpu, key);
            assertTrue(percent >= 0 && percent <= cores * 1.05, key + "=" + percent + " of " + cores);
        }
        assertTrue(Records.latency(record, "p50") > 0 && Records.latency(record, "p50")
            <= Records.latency(record, "p99"), record.toString());
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> records(final Path json) throws IOException
    {
        final Object doc = Json.parse(Files.readString(json));
        assertEquals(List.of(), ResultsSchema.check(doc));
        return (List<Map<String, Object>>)((Map<String, Object>)doc).get("records");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(final Map<String, Object> record, final String key)
    {
        final Object value = record.get(key);
        assertTrue(value instanceof Map, key + " in " + record);
        return (Map<String, Object>)value;
    }

    static double number(final Map<String, Object> map, final String key)
    {
        final Object value = map.get(key);
        assertTrue(value instanceof Number, key + " in " + map);
        return ((Number)value).doubleValue();
    }
}
