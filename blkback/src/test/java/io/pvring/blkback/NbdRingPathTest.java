package io.pvring.blkback;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.pvring.blkback.store.BlockStore;
import io.pvring.blkback.store.DiskSpec;
import io.pvring.blkback.store.DiskStores;
import io.pvring.blkback.store.NbdBlockStore;
import io.pvring.blkback.test.ExternalTools;
import io.pvring.blkback.test.TestData;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontDriver;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.event.WaitMode;
import io.pvring.host.Domain;
import io.pvring.host.Host;
import io.pvring.nbd.NbdkitServer;
import io.pvring.runner.RunnerPoolConfig;
import io.pvring.testing.BoundedSpin;
import io.pvring.xenbus.XenbusDeviceSpec;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The NBD store's io_uring data path with real runners: the ring's runner drives the connection and sleeps in its
 * io_uring, so a reply must wake it ({@code --wait notify}, persistent grants off: no periodic wake-up of the ring
 * to hide a lost one); a device whose queues run on two runners has one driver, which sends the other queue's
 * requests when woken.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NbdRingPathTest
{
    private static final String DEVID = "51712";

    @TempDir
    Path dir;

    private static XenbusDeviceSpec vbd(final Domain guest, final String params)
    {
        return new XenbusDeviceSpec("vbd", 0, guest.domid(), DEVID, Map.of("type", "nbd", "params", params,
            "mode", "w"), Map.of("virtual-device", DEVID, "device-type", "disk"));
    }

    private static BlkBackDriver driver(final AtomicReference<NbdBlockStore> opened)
    {
        final BlkBackConfig config = BlkBackConfig.builder().waitMode(WaitMode.NOTIFY).persistentGrants(false).build();
        return new BlkBackDriver(config, (type, params, readOnly, sector) ->
        {
            final BlockStore store = DiskStores.open(DiskSpec.parse("params", params, Set.of(), Set.of()), sector,
                readOnly);
            opened.set((NbdBlockStore)store);
            return store;
        }, null);
    }

    private static BlkFrontDriver attach(final Host host, final Domain guest, final int queues)
    {
        final BlkFrontDriver blkfront = new BlkFrontDriver(BlkFrontConfig.builder().queues(queues)
            .persistentGrants(false).build(), 4096);
        host.attachFrontend(guest, "vbd", DEVID, blkfront);
        BoundedSpin.until(blkfront::isConnected, () -> guest + "'s blkfront to connect");
        return blkfront;
    }

    /** Pushes what is queued and waits, bounded, for one answer, which must be OKAY. */
    private static void answered(final BlkFrontQueue queue, final String what)
    {
        final int[] status = {Integer.MIN_VALUE};
        queue.push();
        BoundedSpin.until(() ->
        {
            queue.poll((cookie, op, result) -> status[0] = result);
            return status[0] != Integer.MIN_VALUE;
        }, () -> "the answer to " + what);
        assertEquals(BLKIF_RSP_OKAY, status[0], what);
    }

    @Test
    void aReplyReapedWhileTheRunnerSleepsInItsRingWakesTheRing() throws Exception
    {
        ExternalTools.require("nbdkit", "nbdkit");
        final AtomicReference<NbdBlockStore> store = new AtomicReference<>();
        try (NbdkitServer server = NbdkitServer.unix(dir, List.of(), List.of("memory", "size=16M"));
            Host host = Host.start(new RunnerPoolConfig().runners(1), driver(store)))
        {
            final Domain guest = host.createDomain("guest", 64L << 20);
            host.addDevice(vbd(guest, server.uri().toString()));
            final BlkFrontQueue queue = attach(host, guest, 1).front().queue(0);
            assertNotNull(store.get(), "the NBD store opened");
            assertTrue(store.get().onRing(), "the io_uring data path where it works: " + store.get());
            final UnsafeBuffer data = TestData.pattern(4096, 3);
            final UnsafeBuffer back = new UnsafeBuffer(new byte[4096]);
            // One request at a time: each is answered only if its reply, reaped in the runner's sleep, wakes the ring.
            for (int i = 0; i < 50; i++)
            {
                assertTrue(queue.write(i * 8L, 8, data, 0, 0));
                answered(queue, "write " + i);
                assertTrue(queue.read(i * 8L, 8, back, 0, 0));
                answered(queue, "read " + i);
                assertEquals(data, back, "read " + i + " returns what write " + i + " wrote");
                back.setMemory(0, 4096, (byte)0);
            }
        }
    }

    @Test
    void twoQueuesOnTwoRunnersShareOneConnectionDrivenByOneOfThem() throws Exception
    {
        ExternalTools.require("nbdkit", "nbdkit");
        final AtomicReference<NbdBlockStore> store = new AtomicReference<>();
        try (NbdkitServer server = NbdkitServer.unix(dir, List.of(), List.of("memory", "size=16M"));
            Host host = Host.start(new RunnerPoolConfig().runners(2), driver(store)))
        {
            final Domain guest = host.createDomain("guest", 64L << 20);
            host.addDevice(vbd(guest, server.uri().toString()));
            final BlkFrontDriver front = attach(host, guest, 2);
            final BlkFrontQueue q0 = front.front().queue(0);
            final BlkFrontQueue q1 = front.front().queue(1);
            assertTrue(store.get().onRing(), store.get().toString());
            final UnsafeBuffer data0 = TestData.pattern(4096, 10);
            final UnsafeBuffer data1 = TestData.pattern(4096, 11);
            for (int round = 0; round < 20; round++)
            {
                // Both queues at once: whichever ring does not drive hands its batch to the one that does.
                assertTrue(q0.write(round * 16L, 8, data0, 0, 0));
                assertTrue(q1.write(round * 16L + 8, 8, data1, 0, 0));
                q1.push();
                answered(q0, "queue 0's write " + round);
                answered(q1, "queue 1's write " + round);
            }
            final UnsafeBuffer back = new UnsafeBuffer(new byte[4096]);
            for (int round = 0; round < 20; round++)
            {
                assertTrue(q1.read(round * 16L, 8, back, 0, 0));
                answered(q1, "queue 1 reading queue 0's write " + round);
                assertEquals(data0, back, "round " + round);
                assertTrue(q0.read(round * 16L + 8, 8, back, 0, 0));
                answered(q0, "queue 0 reading queue 1's write " + round);
                assertEquals(data1, back, "round " + round);
            }
        }
    }
}
