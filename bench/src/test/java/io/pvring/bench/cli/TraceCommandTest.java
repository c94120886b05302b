package io.pvring.bench.cli;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.pvring.bench.report.Json;
import io.pvring.bench.stat.TraceAndDie;
import io.pvring.stats.DeviceId;
import io.pvring.stats.DeviceKind;
import io.pvring.stats.DeviceStats;
import io.pvring.stats.IoStats;
import io.pvring.stats.TraceFile;
import io.pvring.stats.TraceFileWriter;
import io.pvring.stats.TraceRecordDescriptor;
import io.pvring.stats.TraceRecorder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code pvring trace}: records a device of a running process into a file, and prints trace files. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TraceCommandTest
{
    private static final DeviceId XVDA = new DeviceId(DeviceKind.VBD, 1, 51712);

    @Test
    void printGivesBlkparseLikeTextAndJsonOfAKnownSequence(@TempDir final Path tmp) throws Exception
    {
        final Path file = tmp.resolve("xvda.trace");
        final long start = 1_000_000_000L;
        try (TraceFileWriter writer = new TraceFileWriter(file, XVDA, 1_765_000_000_000_000_000L, start))
        {
            writer.append(record(start + 1_500, 800, 2048, 7, 0, 0, 0, 2, 8192), 0);
            writer.append(record(start + 2_000_000, 1_250_000, 4096, 8, 1, 0, 1, 1, 4096), 0);
            writer.append(record(start + 3_000_000, 200, 0, 9, 1, -95, 3, 0, 0), 0);
            writer.close(5);
        }
        final CliRunner text = CliRunner.run("trace", "--print", file.toString());
        assertEquals(0, text.exitCode, text.toString());
        assertEquals(List.of(
            "  202,0   0        1    0.000001500      7  C   R 2048 + 16 [0] 0.8 us",
            "  202,0   1        2    0.002000000      8  C   W 4096 + 8 [0] 1250.0 us",
            "  202,0   1        3    0.003000000      9  C   F 0 + 0 [-95] 0.2 us",
            "# 3 records, 5 dropped, mean latency 417.0 us"),
            text.out.lines().skip(1).toList(), text.out);
        assertTrue(text.out.startsWith("# vbd-1-51712 of domid 1, trace started 2025-12-06T05:46:40Z"), text.out);

        final CliRunner json = CliRunner.run("trace", "--print", file.toString(), "--json");
        assertEquals(0, json.exitCode, json.toString());
        final Map<String, Object> doc = map(Json.parse(json.out));
        assertEquals("vbd-1-51712", doc.get("device"));
        assertEquals(3L, doc.get("records"));
        assertEquals(5L, doc.get("dropped"));
        final List<Object> events = list(doc.get("events"));
        assertEquals(3, events.size());
        assertEquals(Map.of("time_ns", 2_000_000L, "queue", 1L, "id", 8L, "op", "W", "sector", 4096L,
            "segments", 1L, "bytes", 4096L, "status", 0L, "latency_ns", 1_250_000L), events.get(1));
    }

    private static UnsafeBuffer record(final long time, final long latency, final long sector, final long id,
        final int queue, final int status, final int op, final int segments, final int bytes)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[TraceRecordDescriptor.LENGTH]);
        b.putLong(TraceRecordDescriptor.TIME_OFFSET, time, ByteOrder.LITTLE_ENDIAN);
        b.putLong(TraceRecordDescriptor.LATENCY_OFFSET, latency, ByteOrder.LITTLE_ENDIAN);
        b.putLong(TraceRecordDescriptor.SECTOR_OFFSET, sector, ByteOrder.LITTLE_ENDIAN);
        b.putLong(TraceRecordDescriptor.ID_OFFSET, id, ByteOrder.LITTLE_ENDIAN);
        b.putShort(TraceRecordDescriptor.QUEUE_OFFSET, (short)queue, ByteOrder.LITTLE_ENDIAN);
        b.putShort(TraceRecordDescriptor.STATUS_OFFSET, (short)status, ByteOrder.LITTLE_ENDIAN);
        b.putByte(TraceRecordDescriptor.OPERATION_OFFSET, (byte)op);
        b.putByte(TraceRecordDescriptor.SEGMENTS_OFFSET, (byte)segments);
        b.putInt(TraceRecordDescriptor.SIZE_OFFSET, bytes, ByteOrder.LITTLE_ENDIAN);
        return b;
    }

    @Test
    void traceRecordsWhatTheRingsCompleteWhileItRuns(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("out.trace");
        try (IoStats stats = IoStats.create(dir.resolve("counters.dat"), 2, 1))
        {
            stats.start();
            final DeviceStats disk = stats.register(XVDA, 1);
            final TraceRecorder ring = disk.queue(0).trace();
            final AtomicReference<CliRunner> result = new AtomicReference<>();
            final Thread command = new Thread(() -> result.set(CliRunner.run("trace", dir.toString(),
                "vbd-1-51712", "--for", "3s", "-o", file.toString())));
            command.start();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!ring.enabled())
            {
                assertTrue(System.nanoTime() < deadline, "the trace command turned tracing on within 30 s");
                assertTrue(command.isAlive() || ring.enabled(), () -> "trace exited early: " + result.get());
                Thread.onSpinWait();
            }
            for (int i = 0; i < 3; i++)
            {
                ring.blk(System.nanoTime(), 1_000 * (i + 1), i, 0, 8L * i, 1, 4096, 0);
            }
            command.join(TimeUnit.SECONDS.toMillis(30));
            assertFalse(command.isAlive(), "the trace command ended after --for");
            final CliRunner r = result.get();
            assertEquals(0, r.exitCode, r.toString());
            assertTrue(r.out.contains("vbd-1-51712: 3 records, 0 dropped, in " + file), r.out);
            assertFalse(ring.enabled(), "off once the command ended");
            final CliRunner print = CliRunner.run("trace", "--print", file.toString());
            assertEquals(3, print.out.lines().filter(l -> l.contains("  C   R ")).count(), print.out);
        }
    }

    @Test
    void theServeEndsATraceWhoseClientDiedWithoutStoppingIt(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("orphan.trace");
        try (IoStats stats = IoStats.create(dir.resolve("counters.dat"), 2, 1))
        {
            stats.start();
            final TraceRecorder ring = stats.register(XVDA, 1).queue(0).trace();
            final Process child = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
                "--add-opens", "java.base/java.nio=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), TraceAndDie.class.getName(),
                dir.resolve("counters.dat").toString(), XVDA.toString(), file.toString())
                .redirectErrorStream(true).start();
            final String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the client exited");
            assertEquals("tracing", output.strip(), "the client started its trace");
            ring.blk(System.nanoTime(), 1, 1, 0, 0, 1, 512, 0); // recorded if the serve has not noticed yet
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (ring.enabled())
            {
                assertTrue(System.nanoTime() < deadline, "the serve stopped the orphan trace within 30 s");
                Thread.onSpinWait();
            }
            final TraceFile trace = TraceFile.open(file);
            assertTrue(trace.records() <= 1, "the file was completed with its counts: " + trace);
            final CliRunner again = CliRunner.run("trace", dir.toString(), XVDA.toString(), "--for", "1ms", "-o",
                dir.resolve("next.trace").toString());
            assertEquals(0, again.exitCode, "the device can be traced again: " + again);
        }
    }

    @Test
    void refusalsSayWhy(@TempDir final Path dir) throws Exception
    {
        final Path junk = Files.write(dir.resolve("junk"), new byte[100]);
        final CliRunner notTrace = CliRunner.run("trace", "--print", junk.toString());
        assertEquals(Main.EXIT_FAILURE, notTrace.exitCode);
        assertTrue(notTrace.err.contains("not a pvring trace file: " + junk), notTrace.err);
        final CliRunner noDevice = CliRunner.run("trace");
        assertEquals(Main.EXIT_USAGE, noDevice.exitCode, noDevice.toString());
        final CliRunner badDevice = CliRunner.run("trace", "disk-1");
        assertEquals(Main.EXIT_USAGE, badDevice.exitCode, badDevice.toString());
        try (IoStats stats = IoStats.create(dir.resolve("counters.dat"), 2, 1))
        {
            stats.start();
            final CliRunner unknown = CliRunner.run("trace", dir.toString(), "vif-9-0", "-o",
                dir.resolve("x").toString());
            assertEquals(Main.EXIT_FAILURE, unknown.exitCode);
            assertTrue(unknown.err.contains("no device vif-9-0 in " + dir.resolve("counters.dat")), unknown.err);
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
