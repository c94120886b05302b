package io.pvring.bench.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.pvring.bench.report.Json;
import io.pvring.blkback.BlkBackConfig;
import io.pvring.blkback.BlkBackDriver;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontDriver;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.event.WaitMode;
import io.pvring.host.Domain;
import io.pvring.host.Host;
import io.pvring.runner.RunnerPoolConfig;
import io.pvring.stats.DeviceId;
import io.pvring.stats.DeviceKind;
import io.pvring.stats.IoStats;
import io.pvring.stats.StatsReader;
import io.pvring.stats.TraceClient;
import io.pvring.xenbus.XenbusDeviceSpec;
import io.pvring.testing.BoundedSpin;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_ERROR;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code pvring stat} and {@code pvring trace} show of a real blkback device is what a known workload did: a
 * blkfront on an in-process host, its blkback publishing to a counters file as {@code pvring serve} does.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StatBlkWorkloadTest
{
    private static final String DEVID = "51712";
    private static final long DISK_BYTES = 4L << 20;
    private static final int READS = 5;
    private static final int WRITES = 3;
    private static final int READ_BYTES = 4096;
    private static final int WRITE_BYTES = 8192;

    /** A guest with one connected vbd whose blkback publishes to {@code DIR/counters.dat}. */
    private record Rig(IoStats stats, Host host, Domain guest, BlkFrontQueue queue) implements AutoCloseable
    {
        static Rig start(final Path dir)
        {
            final IoStats stats = IoStats.create(dir.resolve("counters.dat"), 4, 4);
            stats.start();
            final BlkBackDriver blkback = new BlkBackDriver(BlkBackConfig.builder().waitMode(WaitMode.NOTIFY).build(),
                BlkBackDriver.DEFAULT_OPENER, null).publishTo(stats);
            final Host host = Host.start(new RunnerPoolConfig().runners(1), blkback);
            stats.publishRunners(host.runners());
            final Domain guest = host.createDomain("web", 64L << 20);
            stats.nameDomain(guest.domid(), "web");
            host.addDevice(new XenbusDeviceSpec("vbd", 0, guest.domid(), DEVID,
                Map.of("type", "memory", "params", Long.toString(DISK_BYTES), "mode", "w"),
                Map.of("virtual-device", DEVID, "device-type", "disk")));
            final BlkFrontDriver blkfront = new BlkFrontDriver(BlkFrontConfig.defaults(), 4096);
            host.attachFrontend(guest, "vbd", DEVID, blkfront);
            BoundedSpin.until(blkfront::isConnected, () -> "the blkfront to connect");
            return new Rig(stats, host, guest, blkfront.front().queue(0));
        }

        DeviceId device()
        {
            return new DeviceId(DeviceKind.VBD, guest.domid(), Integer.parseInt(DEVID));
        }

        @Override
        public void close()
        {
            host.close();
            stats.close();
        }
    }

    /**
     * One request at a time (ids 1..): READS reads of 4 KiB, WRITES writes of 8 KiB, a flush, and a read past the
     * end of the disk, which blkback refuses. Returns the statuses in order.
     */
    private static List<Integer> workload(final BlkFrontQueue queue)
    {
        final UnsafeBuffer data = new UnsafeBuffer(new byte[WRITE_BYTES]);
        final List<Integer> statuses = new ArrayList<>();
        long id = 1;
        for (int i = 0; i < WRITES; i++)
        {
            data.setMemory(0, WRITE_BYTES, (byte)(i + 1));
            assertTrue(queue.write(i * 16L, WRITE_BYTES / 512, data, 0, id++));
            answer(queue, statuses);
        }
        for (int i = 0; i < READS; i++)
        {
            assertTrue(queue.read(i * 8L, READ_BYTES / 512, data, 0, id++));
            answer(queue, statuses);
        }
        assertTrue(queue.flush(id++));
        answer(queue, statuses);
        assertTrue(queue.read(DISK_BYTES / 512, 8, data, 0, id));
        answer(queue, statuses);
        return statuses;
    }

    private static void answer(final BlkFrontQueue queue, final List<Integer> statuses)
    {
        final int expected = statuses.size() + 1;
        queue.push();
        BoundedSpin.until(() ->
        {
            queue.poll((cookie, op, status) -> statuses.add(status));
            return statuses.size() == expected;
        }, () -> "the answer to request " + expected);
    }

    private static List<Integer> expectedStatuses()
    {
        final List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < WRITES + READS + 1; i++)
        {
            expected.add(BLKIF_RSP_OKAY);
        }
        expected.add(BLKIF_RSP_ERROR);
        return expected;
    }

    @Test
    void statShowsTheCountsBytesAndLatenciesOfAKnownWorkload(@TempDir final Path dir)
    {
        try (Rig rig = Rig.start(dir))
        {
            assertEquals(expectedStatuses(), workload(rig.queue()));
            rig.stats().publishHistograms(); // the publisher's next cycle, now

            final CliRunner json = CliRunner.run("stat", dir.toString(), "--once", "--json");
            assertEquals(0, json.exitCode, json.toString());
            final List<Object> devices = list(map(Json.parse(json.out)).get("devices"));
            assertEquals(1, devices.size(), json.out);
            final Map<String, Object> xvda = map(devices.get(0));
            assertEquals("xvda", xvda.get("name"));
            assertEquals("web", xvda.get("guest"));
            final Map<String, Object> totals = map(xvda.get("totals"));
            assertEquals((long)READS, totals.get("read_requests"), json.out);
            assertEquals((long)READS * READ_BYTES, totals.get("read_bytes"));
            assertEquals((long)WRITES, totals.get("write_requests"));
            assertEquals((long)WRITES * WRITE_BYTES, totals.get("write_bytes"));
            assertEquals(1L, totals.get("flush_requests"));
            assertEquals(0L, totals.get("discard_requests"));
            assertEquals(0L, totals.get("in_flight"));
            assertEquals((long)READS + WRITES + 1, totals.get("completions"));
            assertEquals(1L, totals.get("protocol_errors"), "the read past the end");
            assertEquals(0L, totals.get("io_errors"));
            assertEquals(READS + WRITES * 2L, (long)totals.get("grant_maps") + (long)totals.get("persistent_hits"),
                "one grant per page of data, mapped or found persistent: " + json.out);
            assertEquals(0L, totals.get("ring_fill"), "the ring was left empty");
            assertTrue((long)totals.get("notify_sent") >= 1, json.out);
            assertTrue((long)totals.get("sleeps") >= 1, "a notify ring sleeps between requests: " + json.out);
            assertEquals((long)READS + WRITES + 1, map(xvda.get("latency_ns")).get("count"),
                "every accepted request is in the histogram");
            assertTrue((long)totals.get("latency_ns") > 0 && (long)totals.get("busy_ns") > 0, json.out);
            final Map<String, Object> figures = map(xvda.get("figures"));
            assertEquals(1.0, ((Number)figures.get("errors")).doubleValue());
            final double seconds = ((Number)xvda.get("seconds")).doubleValue();
            assertEquals(READS, ((Number)figures.get("r_s")).doubleValue() * seconds, READS * 1e-3,
                "r/s over the report");
            assertEquals(WRITES * WRITE_BYTES / 1024.0, ((Number)figures.get("wkB_s")).doubleValue() * seconds,
                WRITES * WRITE_BYTES / 1024.0 * 1e-3, "wkB/s over the report");

            final CliRunner text = CliRunner.run("stat", dir.toString(), "--once");
            assertEquals(0, text.exitCode, text.toString());
            assertTrue(text.out.lines().anyMatch(l -> l.matches("web\\s+" + rig.guest().domid() + "\\s+xvda\\s.*")),
                text.out);
            assertTrue(text.out.lines().anyMatch(l -> l.matches("runners\\s+r0: 1 rings .* 0 errors")), text.out);
            final Map<String, Object> runner = map(list(map(Json.parse(json.out)).get("runners")).get(0));
            assertEquals("r0", runner.get("name"));
            assertEquals(1L, map(runner.get("totals")).get("load"), json.out);
            assertTrue((long)map(runner.get("totals")).get("loops") > 0, json.out);
        }
        try (StatsReader reader = StatsReader.open(dir.resolve("counters.dat")))
        {
            assertEquals(List.of(), reader.sample().stream().filter(d -> d.id().kind() == DeviceKind.VBD).toList(),
                "the device released its counters when the host closed");
        }
    }

    @Test
    void traceRecordsEveryRequestWithItsOperationSectorAndStatus(@TempDir final Path dir)
    {
        final Path file = dir.resolve("xvda.trace");
        try (Rig rig = Rig.start(dir); StatsReader reader = StatsReader.open(dir.resolve("counters.dat")))
        {
            final TraceClient trace = TraceClient.start(reader, rig.device(), file, 30_000);
            assertEquals(expectedStatuses(), workload(rig.queue()));
            assertTrue(trace.stop(30_000), "the serving side completed the file");
        }
        final CliRunner print = CliRunner.run("trace", "--print", file.toString());
        assertEquals(0, print.exitCode, print.toString());
        final List<String> records = print.out.lines().filter(l -> !l.startsWith("#")).toList();
        final List<String> expected = new ArrayList<>();
        for (int i = 0; i < WRITES; i++)
        {
            expected.add("C W " + i * 16 + " + 16 [0]");
        }
        for (int i = 0; i < READS; i++)
        {
            expected.add("C R " + i * 8 + " + 8 [0]");
        }
        expected.add("C F 0 + 0 [0]");
        expected.add("C R " + DISK_BYTES / 512 + " + 0 [-1]");
        assertEquals(expected, records.stream().map(StatBlkWorkloadTest::requestPart).toList(), print.out);
        assertTrue(print.out.contains("# " + expected.size() + " records, 0 dropped"), print.out);
    }

    /**
     * {@code C rwbs sector + sectors [status]} of a blkparse-like line (times vary, and the id is the ring's
     * request id, which this blkfront reuses).
     */
    private static String requestPart(final String line)
    {
        final String[] f = line.trim().split("\\s+");
        return String.join(" ", List.of(f).subList(5, 11));
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
