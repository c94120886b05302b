package io.pvring.bench.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.pvring.bench.blk.FioBaseline;
import io.pvring.bench.report.Json;
import io.pvring.bench.report.Records;
import io.pvring.bench.report.ResultsSchema;
import io.pvring.bench.ring.NativeRingBaseline;
import io.pvring.testing.RequiredTools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every {@code pvring bench} mode for a fraction of a second, through the picocli entry point, with the JSON it
 * writes checked against the results schema.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BenchSmokeTest
{
    @TempDir
    Path dir;

    @Test
    void ringModeMeasuresPvringBesideBothJavaBaselines() throws IOException
    {
        final Path json = dir.resolve("ring.json");
        // Yielding sides make progress even when other jobs hold both CPUs (spinning pairs may starve there).
        final CliRunner run = CliRunner.run("bench", "ring", "--idle", "yield", "--duration", "150ms", "--json",
            json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final List<Map<String, Object>> records = validRecords(json);
        assertEquals(Set.of("pvring", "agrona", "juc-abq"), impls(records));
        for (final Map<String, Object> record : records)
        {
            assertEquals("ring", Records.benchmark(record));
            assertTrue(Records.number(record, "ops_per_sec") > 0, record.toString());
            assertEquals(Records.number(record, "ops_per_sec") * 112, Records.number(record, "bytes_per_sec"),
                Records.number(record, "bytes_per_sec") * 1e-6);
            assertTrue(Records.latency(record, "p50") <= Records.latency(record, "p99"));
            assertTrue(Records.latency(record, "p99") <= Records.latency(record, "max"));
            assertEquals(112.0, Records.param(record, "slot_bytes"));
            assertEquals(8.0, Records.param(record, "batch"));
        }
        final Map<String, Object> pvring = records.get(0);
        assertEquals("pvring", Records.impl(pvring));
        assertTrue(Records.notifications(pvring, "sent") + Records.notifications(pvring, "suppressed") > 0,
            "every push either notifies or is suppressed");
        assertTrue(run.out.contains("pvring") && run.out.contains("x agrona"), run.out);
    }

    @Test
    void ringModeHonoursSlotOrderBatchAndIdle() throws IOException
    {
        final Path json = dir.resolve("ring.json");
        final CliRunner run = CliRunner.run("bench", "ring", "--slot-bytes", "64", "--ring-order", "1",
            "--batch", "1", "--idle", "yield", "--no-baselines", "--duration", "100ms", "--json", json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final List<Map<String, Object>> records = validRecords(json);
        assertEquals(1, records.size());
        final Map<String, Object> params = Records.params(records.get(0));
        assertEquals(64L, params.get("slot_bytes"));
        assertEquals(1L, params.get("ring_order"));
        assertEquals(64L, params.get("entries"), "(8192 - 64) / 64 rounded down to a power of two");
        assertEquals(1L, params.get("batch"));
        assertEquals("yield", params.get("idle"));
    }

    @Test
    void ringModeAtAFixedRateStaysNearTheOfferedLoad() throws IOException
    {
        final Path json = dir.resolve("rate.json");
        final CliRunner run = CliRunner.run("bench", "ring", "--rate", "20000", "--no-baselines", "--idle", "yield",
            "--duration", "300ms", "--json", json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final Map<String, Object> record = validRecords(json).get(0);
        assertEquals(20000L, Records.params(record).get("rate"));
        assertWithinSchedule(record, 20000);
    }

    @Test
    void ringModeRunsTheNativeBaselineBesideTheJavaRing() throws IOException
    {
        requireNativeToolchain();
        final Path json = dir.resolve("native.json");
        final CliRunner run = CliRunner.run("bench", "ring", "--native", "--no-baselines", "--idle", "yield",
            "--duration", "150ms", "--json", json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final List<Map<String, Object>> records = validRecords(json);
        assertEquals(Set.of("pvring", "native-c"), impls(records));
        final Map<String, Object> c = records.get(1);
        assertTrue(Records.number(c, "ops_per_sec") > 0, c.toString());
        assertEquals(32.0, Records.param(c, "entries"), "ring.h sizes the 112-byte ring as pvring does");
        assertTrue(run.out.contains("x native-c"), run.out);
    }

    @Test
    void ringModeSleepsOnEventChannelsWithNotify() throws IOException
    {
        requireNativeToolchain();
        final Path json = dir.resolve("notify.json");
        final CliRunner run = CliRunner.run("bench", "ring", "--idle", "notify", "--native", "--batch", "4",
            "--duration", "200ms", "--json", json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final List<Map<String, Object>> records = validRecords(json);
        assertEquals(Set.of("pvring", "native-c"), impls(records), "the baselines without event indices sit out");
        assertTrue(run.out.contains("agrona: skipped with --idle notify"), run.out);
        for (final Map<String, Object> record : records)
        {
            assertEquals("notify", Records.params(record).get("idle"));
            assertTrue(Records.number(record, "ops_per_sec") > 0, record.toString());
            // Both sides sleep, so round trips need wake-ups: some pushes must have notified.
            assertTrue(Records.notifications(record, "sent") > 0, record.toString());
        }
    }

    @Test
    void aSleepingFrontWakesForItsScheduleUnderARate() throws IOException
    {
        // No event tells a sleeping front that its next request is due: it must bound its sleep by the schedule.
        final Path json = dir.resolve("notify-rate.json");
        final CliRunner run = CliRunner.run("bench", "ring", "--idle", "notify", "--rate", "20000",
            "--no-baselines", "--duration", "300ms", "--json", json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final Map<String, Object> record = validRecords(json).get(0);
        assertWithinSchedule(record, 20000);
        // Both sides sleep between requests, so each round trip needs an event; a front that slept past its
        // schedule would leave the run with the first batch only.
        assertTrue(Records.notifications(record, "sent") > 0, record.toString());
    }

    /**
     * An open loop sends no request before its intended time: whatever the machine's speed, what completes in the
     * measured interval is at most what the schedule made due in it, plus the requests in flight when it began
     * (one ring, 32 entries). A speed-independent check: how much of the schedule a busy machine keeps is the
     * benchmark's business, not a test's.
     */
    private static void assertWithinSchedule(final Map<String, Object> record, final double rate)
    {
        final double ops = Records.number(record, "ops");
        final double seconds = Records.number(record, "duration_sec");
        assertTrue(ops > 0, "some round trips completed: " + record);
        assertTrue(ops <= Math.floor(rate * seconds) + 1 + 32, "no request before its time: " + ops + " in "
            + seconds + " s at " + rate + "/s: " + record);
    }

    @Test
    void blkModeDrivesBlkfrontAgainstBlkbackWithPolling() throws IOException
    {
        final Path json = dir.resolve("blk.json");
        final CliRunner run = CliRunner.run("bench", "blk", "--qd", "4", "--duration", "300ms", "--json",
            json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final Map<String, Object> record = validRecords(json).get(0);
        assertEquals("blk", Records.benchmark(record));
        assertTrue(Records.number(record, "ops_per_sec") > 0, record.toString());
        assertEquals(Records.number(record, "ops_per_sec") * 4096, Records.number(record, "bytes_per_sec"),
            Records.number(record, "bytes_per_sec") * 1e-6);
        final Map<String, Object> params = Records.params(record);
        assertEquals("null", params.get("store"));
        assertEquals("randread", params.get("rw"));
        assertEquals(4L, params.get("qd"));
        assertEquals("poll", params.get("wait"));
        assertEquals(0, Records.notifications(record, "sent"), "a polling backend never asks for notifications");
    }

    @Test
    void blkModeWithNotificationsOnAFileWithIndirectSegments() throws IOException
    {
        final Path json = dir.resolve("blk.json");
        final Path image = dir.resolve("disk.img");
        final CliRunner run = CliRunner.run("bench", "blk", "--store", "file:" + image, "--size", "8m",
            "--rw", "randrw", "--bs", "64k", "--indirect", "32", "--persistent", "off", "--wait", "notify",
            "--queues", "2", "--qd", "2", "--ring-order", "1", "--duration", "150ms", "--json", json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final Map<String, Object> record = validRecords(json).get(0);
        assertTrue(Records.number(record, "ops_per_sec") > 0, record.toString());
        assertTrue(Records.notifications(record, "sent") + Records.notifications(record, "suppressed") > 0,
            "every publish is counted as notified or suppressed");
        final Map<String, Object> params = Records.params(record);
        assertEquals("file", params.get("store"));
        assertEquals(65536L, params.get("bs"));
        assertEquals(2L, params.get("queues"));
        assertEquals("off", params.get("persistent"));
        assertEquals("writeback", params.get("cache"));
        assertEquals("auto", params.get("aio"));
        assertTrue(!Files.exists(image), "the image the run created is deleted");
    }

    @Test
    void blkModeTakesTheDiskSpecsLimits() throws IOException
    {
        final Path json = dir.resolve("blk-limited.json");
        final CliRunner run = CliRunner.run("bench", "blk", "--store", "null:8m,iops=2000", "--qd", "4", "--wait",
            "notify", "--duration", "300ms", "--json", json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final Map<String, Object> record = validRecords(json).get(0);
        assertEquals("iops-total=2000", Records.params(record).get("limits"));
        final double ops = Records.number(record, "ops_per_sec");
        // 2000 per second plus at most the bucket (200 + 1) in a measured window of at least 150 ms.
        assertTrue(ops > 0 && ops <= 2000 + 201 / 0.15, "limited to 2000 IOPS: " + ops);
    }

    @Test
    void blkModeWaitsAdaptivelyOnTheSharedRunners() throws IOException
    {
        final Path json = dir.resolve("blk.json");
        final CliRunner run = CliRunner.run("bench", "blk", "--qd", "1", "--queues", "2", "--wait", "adaptive",
            "--duration", "150ms", "--json", json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final Map<String, Object> record = validRecords(json).get(0);
        assertTrue(Records.number(record, "ops_per_sec") > 0, record.toString());
        assertEquals("adaptive", Records.params(record).get("wait"));
        assertTrue(Records.notifications(record, "sent") + Records.notifications(record, "suppressed") > 0,
            "every publish is counted as notified or suppressed");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void blkHotPageCacheRunsFioOnTheWarmedFileToo() throws IOException
    {
        final String missing = FioBaseline.missingFio();
        RequiredTools.require(missing == null, "fio: " + missing);
        final Path json = dir.resolve("fio-hot.json");
        final Path image = dir.resolve("fio-hot.img");
        final CliRunner run = CliRunner.run("bench", "blk", "--store", "file:" + image, "--size", "4m", "--qd", "1",
            "--wait", "notify", "--duration", "150ms", "--baseline", "fio", "--page-cache", "hot", "--json",
            json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final List<Map<String, Object>> records = validRecords(json);
        assertEquals(Set.of("pvring", "fio-psync", "fio-io_uring"), impls(records));
        for (final Map<String, Object> record : records)
        {
            assertEquals("hot", Records.params(record).get("page_cache"), record.toString());
            assertTrue(Records.number(record, "ops_per_sec") > 0, record.toString());
        }
        assertTrue(run.out.contains("page_cache=hot"), run.out);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void blkFileRunsFioBesideItWithTheSameJob() throws IOException
    {
        final String missing = FioBaseline.missingFio();
        RequiredTools.require(missing == null, "fio: " + missing);
        final Path json = dir.resolve("fio.json");
        final Path image = dir.resolve("fio.img");
        // notify: a file store's engine has a thread of its own, which two spinning sides would starve of the two
        // vCPUs (a known limit of --wait poll with file stores; see docs/PERFORMANCE.md).
        final CliRunner run = CliRunner.run("bench", "blk", "--store", "file:" + image + ",cache=none", "--size",
            "8m", "--qd", "2", "--wait", "notify", "--duration", "150ms", "--baseline", "fio", "--json",
            json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final List<Map<String, Object>> records = validRecords(json);
        assertEquals(Set.of("pvring", "fio-psync", "fio-io_uring"), impls(records));
        for (final Map<String, Object> record : records)
        {
            assertTrue(Records.number(record, "ops_per_sec") > 0, record.toString());
            assertEquals(Records.settings(records.get(0)), Records.settings(record), "same job for every impl");
        }
        assertTrue(run.out.contains("x fio-psync") && run.out.contains("x fio-io_uring"), run.out);
        final Map<String, Object> pvring = records.stream().filter(r -> "pvring".equals(Records.impl(r)))
            .findFirst().orElseThrow();
        final Map<?, ?> ratios = (Map<?, ?>)pvring.get("ratios");
        assertEquals(Set.of("fio-psync", "fio-io_uring"), ratios.keySet(), "the ratios are in the JSON too");
        for (final Map<String, Object> record : records)
        {
            if (!"pvring".equals(Records.impl(record)))
            {
                final double ratio = ((Number)ratios.get(Records.impl(record))).doubleValue();
                // As the JSON writer rounds: four decimals.
                assertEquals(Records.number(pvring, "ops_per_sec") / Records.number(record, "ops_per_sec"), ratio,
                    1e-4 + 1e-3 * ratio, "pvring's ops/s over " + Records.impl(record) + "'s");
            }
        }
        assertTrue(!Files.exists(image), "the image the run created is deleted");
    }

    @Test
    void blkModeOnAFileWithCacheNoneAndAForcedEngine() throws IOException
    {
        final Path json = dir.resolve("blk-direct.json");
        final Path image = dir.resolve("direct.img");
        final CliRunner run = CliRunner.run("bench", "blk", "--store", "file:" + image + ",cache=none,aio=threads",
            "--size", "8m", "--rw", "randrw", "--bs", "4k", "--qd", "4", "--wait", "notify", "--duration", "150ms",
            "--json", json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final Map<String, Object> record = validRecords(json).get(0);
        assertTrue(Records.number(record, "ops_per_sec") > 0, record.toString());
        final Map<String, Object> params = Records.params(record);
        assertEquals("none", params.get("cache"));
        assertEquals("threads", params.get("aio"));
    }

    @Test
    void netModeCarriesFramesBetweenTwoVifs() throws IOException
    {
        final Path json = dir.resolve("net.json");
        final CliRunner run = CliRunner.run("bench", "net", "--duration", "300ms", "--json", json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final Map<String, Object> record = validRecords(json).get(0);
        assertEquals("net", Records.benchmark(record));
        assertTrue(Records.number(record, "ops_per_sec") > 0, record.toString());
        assertEquals(Records.number(record, "ops_per_sec") * 64, Records.number(record, "bytes_per_sec"),
            Records.number(record, "bytes_per_sec") * 1e-6);
        final Map<String, Object> params = Records.params(record);
        assertEquals(64L, params.get("frame"));
        assertEquals("poll", params.get("wait"));
        assertTrue(Records.latency(record, "p50") > 0, "one-way latency from the stamp in each frame");
    }

    @Test
    void netModeWithGsoSuperFramesNotificationsAndTwoQueues() throws IOException
    {
        final Path json = dir.resolve("net.json");
        final CliRunner run = CliRunner.run("bench", "net", "--frame", "20000", "--gso", "on", "--csum", "off",
            "--queues", "2", "--wait", "notify", "--duration", "150ms", "--json", json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final Map<String, Object> record = validRecords(json).get(0);
        assertTrue(Records.number(record, "ops_per_sec") > 0, record.toString());
        assertTrue(Records.notifications(record, "sent") + Records.notifications(record, "suppressed") > 0,
            "every publish is counted as notified or suppressed");
        final Map<String, Object> params = Records.params(record);
        assertEquals("on", params.get("gso"));
        assertEquals("off", params.get("csum"));
        assertEquals(2L, params.get("queues"));
    }

    @Test
    void defaultSuiteWritesJsonAndHtmlIntoItsResultsDirectory() throws IOException
    {
        final Path out = dir.resolve("suite");
        final CliRunner run = CliRunner.run("bench", "--duration", "40ms", "--out", out.toString(), "--no-native");

        assertEquals(0, run.exitCode, run.toString());
        final List<Map<String, Object>> records = validRecords(out.resolve("results.json"));
        final Set<String> configs = new TreeSet<>();
        for (final Map<String, Object> record : records)
        {
            configs.add(Records.impl(record) + " " + Records.settings(record));
        }
        assertEquals(BenchCommand.SUITE_BATCHES.length * 3 + BenchCommand.SUITE_SLOT_BYTES.length * 2
            + BenchCommand.blkSuite().size() + BenchCommand.netSuite().size()
            + (FioBaseline.missingFio() == null ? FioBaseline.IMPLS.size() : 0), configs.size(), configs.toString());
        assertTrue(configs.stream().anyMatch(c -> c.startsWith("pvring ") && c.contains("cache=none")),
            "the suite has a cold-cache file run: " + configs);
        final String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("<svg"), "report has charts");
        assertTrue(run.out.contains("report:"), run.out);
    }

    private static List<Map<String, Object>> validRecords(final Path json) throws IOException
    {
        final Object doc = Json.parse(Files.readString(json));
        final List<String> problems = ResultsSchema.check(doc);
        assertTrue(problems.isEmpty(), problems.toString());
        @SuppressWarnings("unchecked")
        final List<Object> list = (List<Object>)((Map<String, Object>)doc).get("records");
        final List<Map<String, Object>> records = new ArrayList<>();
        for (final Object record : list)
        {
            @SuppressWarnings("unchecked")
            final Map<String, Object> map = (Map<String, Object>)record;
            records.add(map);
        }
        assertTrue(!records.isEmpty(), "at least one record");
        return records;
    }

    private static Set<String> impls(final List<Map<String, Object>> records)
    {
        final Set<String> impls = new TreeSet<>();
        for (final Map<String, Object> record : records)
        {
            impls.add(Records.impl(record));
        }
        return impls;
    }

    /** gcc and the Xen headers (see {@link RequiredTools}). */
    private static void requireNativeToolchain()
    {
        final String missing = NativeRingBaseline.missingToolchain();
        RequiredTools.require(missing == null, "C baseline: " + missing);
    }
}
