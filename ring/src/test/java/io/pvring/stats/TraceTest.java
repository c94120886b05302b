package io.pvring.stats;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A client turns a device's trace on through the counters file; the serving side writes what the rings did. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TraceTest
{
    private static final DeviceId XVDA = new DeviceId(DeviceKind.VBD, 1, 51712);
    private static final long WAIT_MS = 20_000;

    @Test
    void aTraceRecordsTheKnownSequenceAndNothingWhenOff(@TempDir final Path tmp)
    {
        final Path path = tmp.resolve("counters.dat");
        final Path out = tmp.resolve("xvda.trace");
        try (IoStats stats = IoStats.create(path, 2, 2);
            StatsReader reader = StatsReader.open(path))
        {
            stats.start();
            final DeviceStats disk = stats.register(XVDA, 2);
            final TraceRecorder q0 = disk.queue(0).trace();
            final TraceRecorder q1 = disk.queue(1).trace();
            assertFalse(q0.enabled());
            q0.blk(1, 1, 99, 0, 0, 1, 512, 0); // off: not recorded

            final TraceClient client = TraceClient.start(reader, XVDA, out, WAIT_MS);
            assertTrue(q0.enabled() && q1.enabled(), "on once the client's start returned");
            assertThrows(IllegalStateException.class, () -> TraceClient.start(reader, XVDA, out, WAIT_MS),
                "one trace per device at a time");
            final long t0 = System.nanoTime();
            q0.blk(t0 + 1_000, 800, 7, 0, 2048, 2, 8192, 0);
            q0.blk(t0 + 2_000, 1_500, 8, 1, 4096, 1, 4096, 0);
            q1.blk(t0 + 2_500, 300, 9, 3, 0, 0, 0, 0);
            q0.blk(t0 + 3_000, 200, 10, 1, 99, 11, 45_056, -1);
            assertTrue(client.stop(WAIT_MS), "the owner confirmed the stop");
            assertFalse(q0.enabled(), "off again");

            final TraceFile file = TraceFile.open(out);
            assertEquals(XVDA, file.device());
            assertEquals(4, file.records());
            assertEquals(0, file.dropped());
            final List<TraceRecord> records = new ArrayList<>();
            file.forEach(records::add);
            final long base = t0 - file.startMonotonicNanos();
            final List<TraceRecord> expected = List.of(
                new TraceRecord(base + 1_000, 800, 2048, 7, 0, 0, 0, 2, 8192, 0),
                new TraceRecord(base + 2_000, 1_500, 4096, 8, 0, 0, 1, 1, 4096, 0),
                new TraceRecord(base + 3_000, 200, 99, 10, 0, -1, 1, 11, 45_056, 0),
                new TraceRecord(base + 2_500, 300, 0, 9, 1, 0, 3, 0, 0, 0));
            assertEquals(expected, records, "queue 0's records, then queue 1's (drained per queue)");
            assertEquals(4, client.records());
        }
    }

    @Test
    void aPathTheOwnerCannotWriteIsRefusedWithItsReason(@TempDir final Path tmp) throws IOException
    {
        final Path path = tmp.resolve("counters.dat");
        final Path notADirectory = Files.createFile(tmp.resolve("file"));
        try (IoStats stats = IoStats.create(path, 1, 1);
            StatsReader reader = StatsReader.open(path))
        {
            stats.start();
            stats.register(XVDA, 1);
            final IllegalStateException ex = assertThrows(IllegalStateException.class,
                () -> TraceClient.start(reader, XVDA, notADirectory.resolve("x.trace"), WAIT_MS));
            assertTrue(ex.getMessage().startsWith("cannot trace vbd-1-51712: cannot write trace file"),
                ex.getMessage());
            final IllegalStateException missing = assertThrows(IllegalStateException.class,
                () -> TraceClient.start(reader, new DeviceId(DeviceKind.VIF, 1, 0), tmp.resolve("y"), WAIT_MS));
            assertTrue(missing.getMessage().startsWith("no device vif-1-0 in "), missing.getMessage());
            final DeviceId slotless = new DeviceId(DeviceKind.VBD, 1, 51728);
            stats.register(slotless, 1); // the file's only slot is taken
            final IllegalStateException untraceable = assertThrows(IllegalStateException.class,
                () -> TraceClient.start(reader, slotless, tmp.resolve("z"), WAIT_MS));
            assertTrue(untraceable.getMessage().startsWith("vbd-1-51728 publishes counters but cannot be traced"),
                untraceable.getMessage());
            // after the refusal the device can be traced
            final TraceClient client = TraceClient.start(reader, XVDA, tmp.resolve("ok.trace"), WAIT_MS);
            assertTrue(client.stop(WAIT_MS));
        }
    }

    @Test
    void aFullBufferDropsAndCountsInsteadOfWaiting(@TempDir final Path tmp)
    {
        final Path path = tmp.resolve("counters.dat");
        try (IoStats stats = IoStats.create(path, 1, 1))
        {
            final DeviceStats disk = stats.register(XVDA, 1);
            final TraceRecorder q0 = disk.queue(0).trace();
            q0.start(); // as the drainer would, but nobody drains
            final int fits = TraceRecorder.BUFFER_BYTES / (TraceRecordDescriptor.LENGTH + 8);
            for (int i = 0; i < fits + 10; i++)
            {
                q0.blk(i, 0, i, 0, i, 1, 512, 0);
            }
            assertEquals(10, q0.dropped());
            q0.stop();
        }
    }
}
