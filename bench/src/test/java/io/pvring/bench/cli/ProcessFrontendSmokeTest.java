package io.pvring.bench.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.pvring.bench.report.Json;
import io.pvring.bench.report.Records;
import io.pvring.bench.report.ResultsSchema;
import io.pvring.bench.ring.NativeRingBaseline;
import io.pvring.testing.RequiredTools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --frontend process} for a fraction of a second: the C frontend on the shipped client, compiled at run
 * time, runs against an in-JVM serve host, and its record stands beside the in-process one (same settings) in the
 * JSON and the table, with the ratio; once with each {@code --doorbell} (eventfd, socket). No speed is asserted;
 * only that I/O happened and the fields are there.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ProcessFrontendSmokeTest
{
    @TempDir
    Path dir;

    @Test
    void blkProcessFrontendReadsBesideTheInProcessRun() throws IOException
    {
        requireNativeToolchain();
        final Path json = dir.resolve("blk.json");
        // notify: two spinning sides may starve each other when other jobs hold both CPUs.
        final CliRunner run = CliRunner.run("bench", "blk", "--frontend", "process", "--qd", "4", "--wait",
            "notify", "--doorbell", "eventfd,socket", "--duration", "150ms", "--json", json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final List<Map<String, Object>> records = validRecords(json);
        assertEquals(List.of("pvring", "pvring-process", "pvring-process"),
            records.stream().map(Records::impl).toList());
        assertEquals(List.of("eventfd", "socket"), doorbells(records));
        for (final Map<String, Object> process : records.subList(1, 3))
        {
            assertBlkProcessRecord(records.get(0), process);
        }
        assertTrue(run.out.contains("x in-process"), run.out);
    }

    private static void assertBlkProcessRecord(final Map<String, Object> inProcess, final Map<String, Object> process)
    {
        assertEquals(Records.settings(inProcess), Records.settings(process, Records.DOORBELL), "the same job");
        assertEquals("blk", Records.benchmark(process));
        assertTrue(Records.number(process, "ops") > 0, process.toString());
        assertTrue(Records.number(process, "ops_per_sec") > 0, process.toString());
        assertEquals(Records.number(process, "ops_per_sec") * 4096, Records.number(process, "bytes_per_sec"),
            Records.number(process, "bytes_per_sec") * 1e-6);
        assertTrue(Records.latency(process, "p50") > 0, process.toString());
        assertTrue(Records.latency(process, "p50") <= Records.latency(process, "p99"), process.toString());
        assertTrue(Records.latency(process, "p99") <= Records.latency(process, "max"), process.toString());
        assertTrue(Records.notifications(process, "sent") > 0, "a sleeping backend needs notifications: " + process);
        assertEquals(4.0, Records.param(process, "qd"));
        assertEquals("notify", Records.params(process).get("wait"));
    }

    private static List<Object> doorbells(final List<Map<String, Object>> records)
    {
        return records.stream().skip(1).map(record -> Records.params(record).get(Records.DOORBELL)).toList();
    }

    @Test
    void blkProcessFrontendRefusesWhatItCannotRun()
    {
        final CliRunner run = CliRunner.run("bench", "blk", "--frontend", "process", "--bs", "8k");
        assertEquals(Main.EXIT_USAGE, run.exitCode, run.toString());
        assertTrue(run.err.contains("4k random reads only"), run.toString());
    }

    @Test
    void netProcessFrontendsSendAndReceiveBesideTheInProcessRun() throws IOException
    {
        requireNativeToolchain();
        final Path json = dir.resolve("net.json");
        final CliRunner run = CliRunner.run("bench", "net", "--frontend", "process", "--wait", "notify",
            "--doorbell", "eventfd,socket", "--duration", "150ms", "--json", json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final List<Map<String, Object>> records = validRecords(json);
        assertEquals(List.of("pvring", "pvring-process", "pvring-process"),
            records.stream().map(Records::impl).toList());
        assertEquals(List.of("eventfd", "socket"), doorbells(records));
        for (final Map<String, Object> process : records.subList(1, 3))
        {
            assertNetProcessRecord(records.get(0), process);
        }
        assertTrue(run.out.contains("x in-process"), run.out);
    }

    private static void assertNetProcessRecord(final Map<String, Object> inProcess, final Map<String, Object> process)
    {
        assertEquals(Records.settings(inProcess), Records.settings(process, Records.DOORBELL), "the same job");
        assertEquals("net", Records.benchmark(process));
        assertTrue(Records.number(process, "ops") > 0, "guest B received frames: " + process);
        assertTrue(Records.number(process, "ops_per_sec") > 0, process.toString());
        assertEquals(Records.number(process, "ops_per_sec") * 64, Records.number(process, "bytes_per_sec"),
            Records.number(process, "bytes_per_sec") * 1e-6);
        assertTrue(Records.latency(process, "p50") > 0, process.toString());
        assertTrue(Records.latency(process, "p50") <= Records.latency(process, "max"), process.toString());
        assertEquals(64.0, Records.param(process, "frame"));
    }

    @Test
    void doorbellGoesWithTheProcessFrontendOnly()
    {
        final CliRunner run = CliRunner.run("bench", "net", "--doorbell", "socket");
        assertEquals(Main.EXIT_USAGE, run.exitCode, run.toString());
        assertTrue(run.err.contains("--doorbell goes with --frontend process"), run.toString());
    }

    @Test
    void netProcessFrontendRefusesWhatItCannotRun()
    {
        final CliRunner run = CliRunner.run("bench", "net", "--frontend", "process", "--queues", "2");
        assertEquals(Main.EXIT_USAGE, run.exitCode, run.toString());
        assertTrue(run.err.contains("one queue"), run.toString());
    }

    static List<Map<String, Object>> validRecords(final Path json) throws IOException
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
        return records;
    }

    /** gcc and the Xen headers (see {@link RequiredTools}). */
    static void requireNativeToolchain()
    {
        final String missing = NativeRingBaseline.missingToolchain();
        RequiredTools.require(missing == null, "C frontend: " + missing);
    }
}
