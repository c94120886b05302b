package io.pvring.blkback;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.pvring.blkback.store.BlockIo;
import io.pvring.blkback.store.BlockStore;
import io.pvring.blkback.store.MemoryBlockStore;
import io.pvring.blkback.test.TestData;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontDriver;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.event.WaitMode;
import io.pvring.host.Domain;
import io.pvring.host.Host;
import io.pvring.runner.AgentHandle;
import io.pvring.runner.Runner;
import io.pvring.runner.RunnerPoolConfig;
import io.pvring.xenbus.XenbusDeviceSpec;
import io.pvring.xenbus.XenbusPaths;
import io.pvring.xenbus.XenbusState;
import io.pvring.testing.BoundedSpin;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many devices on a few shared runner threads (the {@link Host}'s pool): a device whose ring agent fails is closed
 * through xenbus while the devices sharing its runner keep serving, and idle connected devices cost their runners
 * no pass at all until something is notified.
 */
class RunnerPoolDevicesTest
{
    private static final String DEVID = "51712";
    /** Store type whose every submission throws: a store bug, the one way a ring agent fails. */
    private static final String BROKEN = "broken";

    private static BlockStore open(final String type, final String params, final boolean readOnly, final int sector)
    {
        final MemoryBlockStore memory = new MemoryBlockStore(Long.parseLong(params), sector, readOnly);
        return BROKEN.equals(type) ? new ThrowingStore(memory) : memory;
    }

    private static XenbusDeviceSpec vbd(final Domain guest, final String type)
    {
        return new XenbusDeviceSpec("vbd", 0, guest.domid(), DEVID,
            Map.of("type", type, "params", Long.toString(4L << 20), "mode", "w"),
            Map.of("virtual-device", DEVID, "device-type", "disk"));
    }

    /** One 4 KiB write then read back through {@code queue}; returns both statuses. */
    private static List<Integer> writeThenRead(final BlkFrontQueue queue, final int seed)
    {
        final UnsafeBuffer data = TestData.pattern(4096, seed);
        final UnsafeBuffer back = new UnsafeBuffer(new byte[4096]);
        final List<Integer> statuses = new ArrayList<>();
        assertTrue(queue.write(8, 8, data, 0, 1));
        queue.push();
        BoundedSpin.until(() ->
        {
            queue.poll((cookie, op, status) -> statuses.add(status));
            return statuses.size() == 1;
        }, () -> "the write's answer");
        assertTrue(queue.read(8, 8, back, 0, 2));
        queue.push();
        BoundedSpin.until(() ->
        {
            queue.poll((cookie, op, status) -> statuses.add(status));
            return statuses.size() == 2;
        }, () -> "the read's answer");
        assertEquals(data.getLong(256), back.getLong(256), "the data read back is the data written");
        return statuses;
    }

    private static BlkFrontDriver attach(final Host host, final Domain guest)
    {
        final BlkFrontDriver blkfront = new BlkFrontDriver(BlkFrontConfig.defaults(), 4096);
        host.attachFrontend(guest, "vbd", DEVID, blkfront);
        BoundedSpin.until(blkfront::isConnected, () -> guest + "'s blkfront to connect");
        return blkfront;
    }

    @Test
    void aDeviceWhoseRingAgentFailsIsClosedAndTheDevicesSharingItsRunnerKeepServing()
    {
        final BlkBackDriver driver = new BlkBackDriver(
            BlkBackConfig.builder().waitMode(WaitMode.NOTIFY).build(), RunnerPoolDevicesTest::open, null);
        try (Host host = Host.start(new RunnerPoolConfig().runners(1), driver))
        {
            final Domain good = host.createDomain("good", 64L << 20);
            final Domain bad = host.createDomain("bad", 64L << 20);
            final XenbusDeviceSpec goodSpec = vbd(good, "memory");
            final XenbusDeviceSpec badSpec = vbd(bad, BROKEN);
            host.addDevice(goodSpec);
            host.addDevice(badSpec);
            final BlkFrontDriver goodFront = attach(host, good);
            final BlkFrontDriver badFront = attach(host, bad);
            final Runner runner = host.runners().runner(0);
            assertEquals(2, runner.load(), "both devices' rings share the one runner");

            final BlkFrontQueue badQueue = badFront.front().queue(0);
            assertTrue(badQueue.write(0, 8, TestData.pattern(4096, 1), 0, 1));
            badQueue.push();
            // Closing, and Closed as soon as the frontend follows: either state says the device was closed.
            BoundedSpin.until(() -> host.toolstack().backendState(badSpec) != XenbusState.CONNECTED,
                () -> "the failed device to close, backend " + host.toolstack().backendState(badSpec) + ", " +
                runner);
            assertEquals(1, runner.errors(), "the runner counted the failure");
            final String error = host.xenStore().connect(0).readOrNull(
                XenbusPaths.errorPath(0, badSpec.backendPath()) + "/error");
            assertNotNull(error, "the reason is in the device's error node");
            assertTrue(error.startsWith("5 ") && error.contains("internal error") && error.contains("store bug"),
                "EIO and the cause, as xenbus_dev_fatal writes them: " + error);

            assertEquals(XenbusState.CONNECTED, host.toolstack().backendState(goodSpec));
            assertEquals(List.of(BLKIF_RSP_OKAY, BLKIF_RSP_OKAY), writeThenRead(goodFront.front().queue(0), 2),
                "the device on the same runner still serves");
            assertEquals(1, runner.load(), "only the good device's ring is left on the runner");
        }
    }

    @Test
    void idleConnectedDevicesCostTheirRunnersNoPassUntilNotified()
    {
        final int devices = 16;
        final BlkBackDriver driver = new BlkBackDriver(
            BlkBackConfig.builder().waitMode(WaitMode.ADAPTIVE).build(), RunnerPoolDevicesTest::open, null);
        try (Host host = Host.start(new RunnerPoolConfig().runners(2), driver))
        {
            final List<BlkFrontDriver> fronts = new ArrayList<>();
            for (int i = 0; i < devices; i++)
            {
                final Domain guest = host.createDomain("guest-" + i, 64L << 20);
                host.addDevice(vbd(guest, "memory"));
                fronts.add(attach(host, guest));
            }
            final List<AgentHandle> handles = new ArrayList<>();
            for (final BlkBackDriver.Device device : driver.devices())
            {
                BoundedSpin.until(() -> null != device.back() && device.back().handles().size() == 1,
                    () -> device.xenbus() + " to run its ring");
                handles.addAll(device.back().handles());
            }
            assertEquals(devices, handles.size());
            final Runner first = host.runners().runner(0);
            final Runner second = host.runners().runner(1);
            assertEquals(devices / 2, first.load(), "the pool spreads the rings");
            assertEquals(devices / 2, second.load(), "the pool spreads the rings");
            BoundedSpin.until(
                () -> handles.stream().allMatch(AgentHandle::isAsleep) && first.isParked() && second.isParked(),
                () -> "every ring to sleep and both runners to park: " + handles + " " + first + " " + second);

            // Device 0 works; its runner makes passes for it, the other runner and the other 15 rings stay asleep.
            final AgentHandle busy = driver.devices().get(0).back().handles().get(0);
            final Runner busyRunner = busy.runner();
            final Runner idleRunner = busyRunner == first ? second : first;
            final long idleLoops = idleRunner.loops();
            final long[] wakeups = handles.stream().mapToLong(AgentHandle::wakeups).toArray();
            final long busyLoops = busyRunner.loops();
            final BlkFrontDriver busyFront = fronts.get(indexOfDomain(driver, busy));
            for (int round = 0; round < 20; round++)
            {
                assertEquals(List.of(BLKIF_RSP_OKAY, BLKIF_RSP_OKAY), writeThenRead(busyFront.front().queue(0), round));
            }
            assertTrue(busyRunner.loops() > busyLoops, "the working device's runner ran");
            assertEquals(idleLoops, idleRunner.loops(), "a runner whose rings all sleep makes no pass: " + idleRunner);
            for (int i = 0; i < handles.size(); i++)
            {
                if (handles.get(i) != busy)
                {
                    assertEquals(wakeups[i], handles.get(i).wakeups(), "an idle ring is not woken: " + handles.get(i));
                    assertTrue(handles.get(i).isAsleep(), "an idle ring sleeps: " + handles.get(i));
                }
            }
        }
    }

    /** The position (in attach order) of the guest whose device {@code handle} belongs to. */
    private static int indexOfDomain(final BlkBackDriver driver, final AgentHandle handle)
    {
        final List<BlkBackDriver.Device> devices = driver.devices();
        for (int i = 0; i < devices.size(); i++)
        {
            if (devices.get(i).back().handles().contains(handle))
            {
                return i;
            }
        }
        throw new IllegalStateException("no device runs " + handle);
    }

    /** A memory disk whose submissions throw, as a store with a bug would. */
    private static final class ThrowingStore implements BlockStore
    {
        private final MemoryBlockStore disk;

        ThrowingStore(final MemoryBlockStore disk)
        {
            this.disk = disk;
        }

        @Override
        public long sizeBytes()
        {
            return disk.sizeBytes();
        }

        @Override
        public int logicalSectorSize()
        {
            return disk.logicalSectorSize();
        }

        @Override
        public int physicalSectorSize()
        {
            return disk.physicalSectorSize();
        }

        @Override
        public boolean isReadOnly()
        {
            return disk.isReadOnly();
        }

        @Override
        public boolean canFlush()
        {
            return disk.canFlush();
        }

        @Override
        public boolean canDiscard()
        {
            return disk.canDiscard();
        }

        @Override
        public boolean canSecureDiscard()
        {
            return disk.canSecureDiscard();
        }

        @Override
        public int discardGranularity()
        {
            return disk.discardGranularity();
        }

        @Override
        public void submit(final BlockIo io)
        {
            throw new IllegalStateException("store bug");
        }

        @Override
        public boolean resize(final long newSizeBytes)
        {
            return false;
        }

        @Override
        public String describe()
        {
            return "throwing " + disk.describe();
        }

        @Override
        public void close()
        {
            disk.close();
        }
    }
}
