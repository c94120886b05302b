package io.pvring.stats;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Devices register, count on their own threads and release; a reader maps the file separately and sees it all. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IoStatsTest
{
    private static final DeviceId XVDA = new DeviceId(DeviceKind.VBD, 3, 51712);
    private static final DeviceId VIF = new DeviceId(DeviceKind.VIF, 3, 0);

    @Test
    void aReaderSeesEachDevicesCountersSummedOverQueuesWrittenOnOtherThreads(@TempDir final Path tmp)
        throws Exception
    {
        final Path path = tmp.resolve("counters.dat");
        try (IoStats stats = IoStats.create(path, 4, 2);
            StatsReader reader = StatsReader.open(path))
        {
            stats.nameDomain(3, "web");
            final DeviceStats disk = stats.register(XVDA, 2);
            final DeviceStats nic = stats.register(VIF, 1);
            assertTrue(disk.published());
            // queue 0 on one thread, queue 1 on another: each queue has a single writer
            final Thread q1 = new Thread(() -> workload(disk.queue(1), 5, 8192, 2_000_000));
            q1.start();
            workload(disk.queue(0), 10, 4096, 1_000_000);
            q1.join(TimeUnit.SECONDS.toMillis(30));
            assertFalse(q1.isAlive(), "queue 1's writer finished");
            nic.queue(0).counters().add(NetCounters.TX_PACKETS, 7);
            nic.queue(0).counters().add(NetCounters.TX_BYTES, 7 * 1514);

            final List<DeviceSample> before = reader.sample();
            assertEquals(2, before.size(), before.toString());
            final DeviceSample d = before.get(0);
            assertEquals(XVDA, d.id());
            assertEquals("web", d.guest(), "named by its domain counter");
            assertEquals(2, d.queues());
            assertEquals(15, d.total("read_requests"));
            assertEquals(15, d.total("write_requests"));
            assertEquals(10 * 4096 + 5 * 8192, d.total("read_bytes"));
            assertEquals(30, d.total("completions"));
            assertEquals(20 * 1_000_000L + 10 * 2_000_000L, d.total("latency_ns"));
            assertEquals(0, d.total("in_flight"));
            assertNull(d.latency(), "no histogram before the publisher ran");
            assertEquals(7 * 1514, before.get(1).total("tx_bytes"));
            assertEquals(VIF, before.get(1).id());

            stats.publishHistograms();
            final Histogram h = reader.sample().get(0).latency();
            assertNotNull(h);
            assertEquals(30, h.getTotalCount());
            assertEquals(1_000_000, h.getValueAtPercentile(50), 1_000_000 * 0.01);
            assertEquals(2_000_000, h.getValueAtPercentile(99), 2_000_000 * 0.01);
        }
    }

    /** {@code n} reads and {@code n} writes of {@code bytes}, each answered {@code latency} ns after it came. */
    private static void workload(final QueueStats q, final int n, final int bytes, final long latency)
    {
        long now = 1_000;
        for (int i = 0; i < n; i++)
        {
            q.blkAccepted(BlkCounters.READ_REQUESTS, bytes, now);
            q.blkAccepted(BlkCounters.WRITE_REQUESTS, bytes, now);
            now += latency;
            q.blkCompleted(latency, now);
            q.blkCompleted(latency, now);
        }
    }

    @Test
    void busyTimeAndInFlightFollowTheRequests(@TempDir final Path tmp)
    {
        try (IoStats stats = IoStats.create(tmp.resolve("c"), 1, 1))
        {
            final QueueStats q = stats.register(XVDA, 1).queue(0);
            q.blkAccepted(BlkCounters.READ_REQUESTS, 512, 100);
            q.blkAccepted(BlkCounters.FLUSH_REQUESTS, 0, 150);
            assertEquals(2, q.counters().get(BlkCounters.IN_FLIGHT));
            q.blkCompleted(100, 200);
            assertEquals(100, q.counters().get(BlkCounters.BUSY_NANOS), "accrued at each completion");
            q.blkCompleted(150, 300);
            q.blkAccepted(BlkCounters.DISCARD_REQUESTS, 1 << 20, 1_000); // idle 300..1000 is not busy
            q.blkCompleted(10, 1_010);
            assertEquals(210, q.counters().get(BlkCounters.BUSY_NANOS));
            assertEquals(0, q.counters().get(BlkCounters.IN_FLIGHT));
            assertEquals(1 << 20, q.counters().get(BlkCounters.DISCARD_BYTES));
            assertEquals(1, q.counters().get(BlkCounters.FLUSH_REQUESTS));
        }
    }

    @Test
    void releasedDevicesFreeTheirCountersAndSlotsForTheNextOne(@TempDir final Path tmp)
    {
        final Path path = tmp.resolve("counters.dat");
        try (IoStats stats = IoStats.create(path, 1, 1);
            StatsReader reader = StatsReader.open(path))
        {
            final DeviceStats first = stats.register(XVDA, 1);
            first.queue(0).counters().add(BlkCounters.READ_REQUESTS, 3);
            first.queue(0).recordLatency(5_000);
            stats.publishHistograms();
            final int firstCounter = first.queue(0).counters().counterId(0);
            stats.release(first);
            assertTrue(reader.sample().isEmpty(), "a released device is gone: " + reader.sample());

            final DeviceId xvdb = new DeviceId(DeviceKind.VBD, 3, 51728);
            final DeviceStats second = stats.register(xvdb, 1);
            assertTrue(second.published(), "the slot came back");
            assertEquals(first.slot(), second.slot());
            assertNotEquals(first.generation(), second.generation());
            assertEquals(firstCounter, second.queue(0).counters().counterId(0), "counter records reused");
            final DeviceSample s = reader.sample().get(0);
            assertEquals(xvdb, s.id());
            assertEquals(0, s.total("read_requests"), "a reused record starts from zero");
            assertNull(s.latency(), "the previous device's latencies are not the new one's");
        }
    }

    @Test
    void aFullFileStillCountsPrivately(@TempDir final Path tmp)
    {
        final Path path = tmp.resolve("counters.dat");
        try (IoStats stats = IoStats.create(path, 1, 1);
            StatsReader reader = StatsReader.open(path))
        {
            stats.register(XVDA, 1);
            final DeviceStats noSlot = stats.register(new DeviceId(DeviceKind.VBD, 3, 51728), 1);
            assertTrue(noSlot.published(), "counters still fit");
            assertEquals(CounterKeyDescriptor.SLOT_NONE, noSlot.slot(), "but the only slot is taken");
            final int room = IoStats.DOMAIN_COUNTERS + IoStats.MAX_RUNNERS * RunnerCounters.SET.size() +
                BlkCounters.SET.size();
            final DeviceStats extra = stats.register(VIF, room / NetCounters.SET.size());
            assertFalse(extra.published());
            extra.queue(0).counters().add(NetCounters.RX_PACKETS, 2);
            assertEquals(2, extra.queue(0).counters().get(NetCounters.RX_PACKETS));
            assertEquals(2, reader.sample().size(), "the published devices: " + reader.sample());
            assertNull(reader.sample().get(1).latency(), "no slot, no histogram");
            stats.release(extra);
            stats.release(noSlot);
            assertEquals(1, reader.sample().size());
        }
    }

    @Test
    void filesOfAnotherVersionAreRefusedWithTheReason(@TempDir final Path tmp)
    {
        final Path path = tmp.resolve("counters.dat");
        try (CountersFile file = CountersFile.create(path, 4, 1))
        {
            file.slots().putInt(0, 0); // keep the mapping used
            final org.agrona.concurrent.UnsafeBuffer header = new org.agrona.concurrent.UnsafeBuffer(
                org.agrona.IoUtil.mapExistingFile(path.toFile(), "test"));
            header.putInt(CountersFileDescriptor.VERSION_OFFSET, 1);
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> StatsReader.open(path));
            assertTrue(ex.getMessage().contains("version=1 (want 2)"), ex.getMessage());
            org.agrona.IoUtil.unmap(header.byteBuffer());
        }
    }
}
