package io.pvring.netback.stats;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.pvring.netif.FrontendFeatures;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.test.NetRig;
import io.pvring.netback.test.TestFrames;
import io.pvring.stats.CountersFile;
import io.pvring.stats.DeviceId;
import io.pvring.stats.DeviceKind;
import io.pvring.stats.DeviceSample;
import io.pvring.stats.IoStats;
import io.pvring.stats.StatsReader;
import io.pvring.stats.TraceClient;
import io.pvring.stats.TraceFile;
import io.pvring.stats.TraceRecord;
import io.pvring.stats.TraceRecordDescriptor;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Vif counters published to a pvring counters file, read through a second, independent mapping as a monitor would. */
class CountersFileTest
{
    @Test
    void aMonitorMappingTheFileSeesTheQueuesCountersAtBatchBoundaries(@TempDir final Path tmp)
    {
        final Path path = tmp.resolve("netback-counters.dat");
        try (IoStats stats = IoStats.create(path, 4, 1);
            StatsReader monitor = StatsReader.open(path);
            NetRig rig = new NetRig())
        {
            final CountersFile file = stats.file();
            final NetRig.Guest a = rig.addGuest("a", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
            final NetRig.Guest b = rig.addGuest("b", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
            a.vif.publishCounters(file.manager());
            b.vif.publishCounters(file.manager());
            final CountersReader reader = monitor.file().reader();
            final String aName = a.vif.name();
            final String bName = b.vif.name();
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[1000]);
            TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, 0x88B5);
            for (int i = 0; i < 10; i++)
            {
                assertTrue(a.front.send(frame, 0, 1000, 0, 0, 0));
            }
            a.front.flush();
            assertEquals(0, value(reader, aName + " q0 tx packets"), "nothing published before a duty cycle");
            rig.pump();
            assertEquals(10, value(reader, aName + " q0 tx packets"));
            assertEquals(10_000, value(reader, aName + " q0 tx bytes"));
            assertEquals(a.vif.queue(0).counters().txPackets(), value(reader, aName + " q0 tx packets"));
            assertEquals(b.vif.queue(0).counters().rxPackets(), value(reader, bName + " q0 rx packets"));
            assertEquals(10, value(reader, bName + " q0 rx packets") + value(reader, bName + " q0 rx drops"));
            final DeviceSample aSample = monitor.sample().stream()
                .filter(s -> s.id().equals(new DeviceId(DeviceKind.VIF, a.domain.domid(), 0)))
                .findFirst().orElseThrow(() -> new AssertionError("no device for " + aName + " in " +
                    monitor.sample()));
            assertEquals(DeviceKind.VIF, aSample.id().kind());
            assertEquals(10, aSample.total("tx_packets"), "grouped by the key's domid and handle");
            assertEquals(10_000, aSample.total("tx_bytes"));

            a.vif.close();
            assertNull(find(reader, aName + " q0 tx packets"), "a closed vif frees its counters");
            assertEquals(10, value(reader, bName + " q0 rx packets") + value(reader, bName + " q0 rx drops"));
        }
    }

    @Test
    void aVifPublishedAsADeviceShowsItsFramesCopiesAndARingTrace(@TempDir final Path tmp)
    {
        final Path path = tmp.resolve("counters.dat");
        final Path tracePath = tmp.resolve("vif.trace");
        final int frames = 10;
        try (IoStats stats = IoStats.create(path, 4, 1);
            StatsReader monitor = StatsReader.open(path);
            NetRig rig = new NetRig())
        {
            stats.start();
            final NetRig.Guest a = rig.addGuest("a", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
            final NetRig.Guest b = rig.addGuest("b", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
            a.vif.publishStats(stats, 0);
            b.vif.publishStats(stats, 0);
            final DeviceId aId = new DeviceId(DeviceKind.VIF, a.domain.domid(), 0);
            final DeviceId bId = new DeviceId(DeviceKind.VIF, b.domain.domid(), 0);
            final TraceClient trace = TraceClient.start(monitor, aId, tracePath, 30_000);
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[1000]);
            TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, 0x88B5);
            for (int i = 0; i < frames; i++)
            {
                assertTrue(a.front.send(frame, 0, 1000, 0, 0, 0));
            }
            a.front.flush();
            rig.pump();
            assertTrue(trace.stop(30_000), "the publisher completed the trace file");

            final DeviceSample aSample = sample(monitor, aId);
            assertEquals(frames, aSample.total("tx_packets"));
            assertEquals(frames * 1000L, aSample.total("tx_bytes"));
            assertEquals(frames, aSample.total("grant_copies"), "one copy per single-slot frame");
            assertEquals(frames, aSample.total("ring_fill"), "the frames were waiting when the batch began");
            final DeviceSample bSample = sample(monitor, bId);
            assertEquals(b.vif.queue(0).counters().rxPackets(), bSample.total("rx_packets"));
            assertEquals(bSample.total("rx_packets"), bSample.total("grant_copies"), "one copy per received frame");

            final TraceFile file = TraceFile.open(tracePath);
            assertEquals(aId, file.device());
            final List<TraceRecord> records = new ArrayList<>();
            file.forEach(records::add);
            assertEquals(frames, records.size(), "a record per TX packet of the traced vif: " + records);
            for (final TraceRecord r : records)
            {
                assertEquals(TraceRecordDescriptor.OP_TX, r.operation());
                assertEquals(1000, r.size());
                assertEquals(1, r.segments(), "slots");
                assertEquals(0, r.status());
            }
            b.vif.close();
            a.vif.close();
            assertEquals(List.of(), monitor.sample(), "closed vifs release their devices");
        }
    }

    private static DeviceSample sample(final StatsReader monitor, final DeviceId id)
    {
        return monitor.sample().stream().filter(s -> s.id().equals(id)).findFirst()
            .orElseThrow(() -> new AssertionError("no " + id + " in " + monitor.sample()));
    }

    @Test
    void aFileThatIsNotACountersFileIsRefused(@TempDir final Path tmp) throws IOException
    {
        final Path path = Files.write(tmp.resolve("junk"), new byte[4096]);
        assertThrows(IllegalStateException.class, () -> CountersFile.openReader(path));
        assertThrows(IllegalArgumentException.class, () -> CountersFile.create(tmp.resolve("none"), 0, 0));
    }

    static long value(final CountersReader reader, final String label)
    {
        final Integer id = find(reader, label);
        if (id == null)
        {
            throw new AssertionError("no counter labelled '" + label + "'");
        }
        return reader.getCounterValue(id);
    }

    static Integer find(final CountersReader reader, final String label)
    {
        final Integer[] found = new Integer[1];
        reader.forEach((id, typeId, key, l) ->
        {
            if (label.equals(l))
            {
                found[0] = id;
            }
        });
        return found[0];
    }
}
