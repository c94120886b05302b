package io.pvring.blkback;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.pvring.blkback.store.MemoryBlockStore;
import io.pvring.blkback.test.TestData;
import io.pvring.blkfront.BlkFront;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontDriver;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.blkif.BlkifDescriptor;
import io.pvring.event.IdleStrategies;
import io.pvring.host.Domain;
import io.pvring.host.Hypervisor;
import io.pvring.testing.BoundedSpin;
import io.pvring.xenbus.XenbusBackend;
import io.pvring.xenbus.XenbusDevice;
import io.pvring.xenbus.XenbusDeviceSpec;
import io.pvring.xenbus.XenbusFrontend;
import io.pvring.xenbus.XenbusPaths;
import io.pvring.xenbus.XenbusState;
import io.pvring.xenbus.XenbusToolstack;
import io.pvring.xenstore.XenStore;
import io.pvring.xenstore.XsConnection;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_ERROR;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * blkback and blkfront negotiating through the emulated xenstore and xenbus, on the real hypervisor core (grant
 * table with Xen's checks, event channels), then moving data with the ring threads running.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class XenbusNegotiationTest
{
    private static final String DEVID = "51712";

    private final Hypervisor hypervisor = new Hypervisor();
    private final XenStore xenstore = new XenStore();
    private final XsConnection dom0 = xenstore.connect(0);
    private final XenbusToolstack toolstack = new XenbusToolstack(dom0);
    private Domain guest;
    private XenbusBackend backendBus;
    private XenbusFrontend frontendBus;

    @BeforeEach
    void setUp()
    {
        guest = hypervisor.createDomain("guest", 256L << 20);
        toolstack.createDomain(0, "Domain-0");
        toolstack.createDomain(guest.domid(), "guest");
        final HypervisorAdapter services = new HypervisorAdapter(hypervisor);
        backendBus = new XenbusBackend(xenstore.connect(0), services);
        frontendBus = new XenbusFrontend(xenstore.connect(guest.domid()), services);
    }

    @AfterEach
    void tearDown()
    {
        frontendBus.close();
        backendBus.close();
        hypervisor.close();
    }

    private XenbusDeviceSpec spec(final String mode, final long bytes)
    {
        return new XenbusDeviceSpec("vbd", 0, guest.domid(), DEVID,
            Map.of("mode", mode, "params", Long.toString(bytes), "type", "memory"),
            Map.of("virtual-device", DEVID, "device-type", "disk"));
    }

    private void pump()
    {
        for (int i = 0; i < 10_000; i++)
        {
            if (backendBus.doWork() + frontendBus.doWork() == 0)
            {
                return;
            }
        }
        throw new AssertionError("xenbus did not settle");
    }

    private String be(final XenbusDeviceSpec spec, final String key)
    {
        return dom0.readOrNull(spec.backendPath() + "/" + key);
    }

    private String fe(final XenbusDeviceSpec spec, final String key)
    {
        return dom0.readOrNull(spec.frontendPath() + "/" + key);
    }

    /** Writes then reads back through every queue of a connected frontend (ring threads serve). */
    private static void roundTrip(final BlkFront front, final int seed)
    {
        for (int q = 0; q < front.queueCount(); q++)
        {
            final BlkFrontQueue queue = front.queue(q);
            final UnsafeBuffer data = TestData.pattern(64 * 1024, seed + q);
            final UnsafeBuffer back = new UnsafeBuffer(new byte[data.capacity()]);
            final List<Integer> statuses = new ArrayList<>();
            assertTrue(queue.write(q * 1024L, 128, data, 0, 1));
            queue.push();
            for (final BoundedSpin spin = BoundedSpin.upTo(() -> "statuses.isEmpty()");
                statuses.isEmpty(); spin.pause())
            {
                queue.poll((c, op, status) -> statuses.add(status));
            }
            assertTrue(queue.read(q * 1024L, 128, back, 0, 2));
            queue.push();
            for (final BoundedSpin spin = BoundedSpin.upTo(() -> "statuses.size() < 2");
                statuses.size() < 2; spin.pause())
            {
                queue.poll((c, op, status) -> statuses.add(status));
            }
            assertEquals(List.of(BLKIF_RSP_OKAY, BLKIF_RSP_OKAY), statuses);
            assertEquals(data, back, "queue " + q);
        }
    }

    @Test
    void fullHandshakeMultiQueueMultiPageThenIo()
    {
        final BlkBackDriver driver = new BlkBackDriver(BlkBackConfig.builder().polling(false)
            .build(), BlkBackDriver.DEFAULT_OPENER,
            IdleStrategies.NOTIFY, 2, null);
        backendBus.register(driver);
        final XenbusDeviceSpec spec = spec("w", 32L << 20);
        toolstack.addDevice(spec);
        pump();
        assertEquals(XenbusState.INIT_WAIT, toolstack.backendState(spec));
        assertEquals("256", be(spec, "feature-max-indirect-segments"), "published before InitWait");
        assertEquals("4", be(spec, "multi-queue-max-queues"));
        assertEquals("4", be(spec, "max-ring-page-order"));

        final BlkFrontConfig wanted = BlkFrontConfig.builder().queues(2).ringPageOrder(2).maxIndirectSegments(512)
            .poolPages(600).build();
        final BlkFrontDriver blkfront = new BlkFrontDriver(wanted, 256);
        final XenbusDevice device = frontendBus.attach("vbd", DEVID, blkfront, true);
        pump();
        assertEquals(XenbusState.CONNECTED, toolstack.backendState(spec));
        assertEquals(XenbusState.CONNECTED, device.state());
        assertEquals("2", fe(spec, "multi-queue-num-queues"));
        assertEquals("2", fe(spec, "ring-page-order"));
        assertNotNull(fe(spec, "queue-1/ring-ref3"));
        assertNotNull(fe(spec, "queue-0/event-channel"));
        assertNull(fe(spec, "ring-ref"), "multi-queue keys live under queue-N/");
        assertEquals("x86_64-abi", fe(spec, "protocol"));
        assertEquals(256, blkfront.negotiated().maxIndirectSegments(), "min(wanted 512, offered 256)");
        assertEquals("65536", be(spec, "sectors"));
        assertEquals("512", be(spec, "sector-size"));
        assertEquals("1", be(spec, "feature-flush-cache"));
        assertEquals("1", be(spec, "feature-barrier"));
        assertEquals("1", be(spec, "feature-discard"));
        assertEquals("1", be(spec, "discard-secure"));
        assertEquals("1", be(spec, "feature-persistent"));
        assertEquals("0", be(spec, "info"));
        assertTrue(blkfront.isConnected());
        assertEquals(65536, blkfront.sectors());
        assertTrue(blkfront.flushCache() && blkfront.backendPersistent());

        roundTrip(blkfront.front(), 3);
        final BlkBack back = driver.devices().get(0).back();
        long sent = 0;
        for (final BlkRing ring : back.rings())
        {
            sent += ring.counters().notificationsSent.get();
        }
        assertTrue(sent > 0, "a notify-driven device notifies the frontend");
        assertTrue(back.rings().get(0).counters().grantMaps.get() > 0);

        // Frontend goes away and comes back (kexec, resume): the backend returns to InitWait and reconnects.
        frontendBus.close(device);
        pump();
        assertEquals(XenbusState.CLOSED, device.state());
        assertEquals(XenbusState.CLOSED, toolstack.backendState(spec));
        assertNull(driver.devices().get(0).back(), "disconnected");
        assertEquals(0, hypervisor.openGrantMappers(), "no mapper (so no mapping) left behind");
        frontendBus.reconnect(device);
        pump();
        assertEquals(XenbusState.CONNECTED, toolstack.backendState(spec));
        assertEquals(XenbusState.CONNECTED, device.state());
        roundTrip(blkfront.front(), 9);

        toolstack.destroyDevice(spec);
        pump();
        assertTrue(driver.devices().isEmpty(), "removed");
        assertEquals(false, Thread.getAllStackTraces().keySet().stream()
            .anyMatch(t -> t.getName().startsWith("blkback-")), "no ring thread left");
    }

    @Test
    void singleQueueX8632ReadOnlyCdrom()
    {
        final BlkBackDriver driver = new BlkBackDriver(BlkBackConfig.defaults(), BlkBackDriver.DEFAULT_OPENER,
            IdleStrategies.BACKOFF, 1, null);
        backendBus.register(driver);
        final XenbusDeviceSpec spec = new XenbusDeviceSpec("vbd", 0, guest.domid(), DEVID,
            Map.of("mode", "r", "params", Long.toString(1L << 20), "type", "memory"),
            Map.of("virtual-device", DEVID, "device-type", "cdrom"));
        toolstack.addDevice(spec);
        pump();
        final BlkFrontDriver blkfront = new BlkFrontDriver(BlkFrontConfig.builder().protocol("x86_32-abi")
            .build(), 256);
        final XenbusDevice device = frontendBus.attach("vbd", DEVID, blkfront, true);
        pump();
        assertEquals(XenbusState.CONNECTED, device.state());
        assertNotNull(fe(spec, "ring-ref"));
        assertNotNull(fe(spec, "event-channel"));
        assertNull(fe(spec, "ring-page-order"));
        assertEquals("x86_32-abi", fe(spec, "protocol"));
        assertEquals(BlkifDescriptor.VDISK_CDROM | BlkifDescriptor.VDISK_READONLY, blkfront.info());
        assertEquals("0", be(spec, "feature-flush-cache"), "nothing to flush on a read-only disk");
        assertEquals("0", be(spec, "feature-discard"));
        final BlkFrontQueue queue = blkfront.front().queue(0);
        final List<Integer> statuses = new ArrayList<>();
        assertTrue(queue.write(0, 8, TestData.pattern(4096, 1), 0, 1));
        assertTrue(queue.read(0, 8, new UnsafeBuffer(new byte[4096]), 0, 2));
        queue.push();
        for (final BoundedSpin spin = BoundedSpin.upTo(() -> "statuses.size() < 2"); statuses.size() < 2; spin.pause())
        {
            queue.poll((c, op, status) -> statuses.add(status));
        }
        assertEquals(List.of(BlkifDescriptor.BLKIF_RSP_ERROR, BLKIF_RSP_OKAY), statuses);
    }

    @Test
    void onlineResizeReachesTheFrontendAndTheRing()
    {
        final BlkBackDriver driver = new BlkBackDriver(BlkBackConfig.defaults(),
            (type, params, readOnly, sectorSize) -> new MemoryBlockStore(1L << 20, sectorSize, readOnly, 8L << 20),
            IdleStrategies.BACKOFF, 1, null);
        backendBus.register(driver);
        final XenbusDeviceSpec spec = spec("w", 1L << 20);
        toolstack.addDevice(spec);
        pump();
        final BlkFrontDriver blkfront = new BlkFrontDriver(BlkFrontConfig.defaults(), 256);
        final XenbusDevice device = frontendBus.attach("vbd", DEVID, blkfront, true);
        pump();
        assertEquals(2048, blkfront.sectors());
        final BlkFrontQueue queue = blkfront.front().queue(0);
        final List<Integer> statuses = new ArrayList<>();
        assertTrue(queue.write(4096, 8, TestData.pattern(4096, 1), 0, 1), "beyond the old end");
        queue.push();
        for (final BoundedSpin spin = BoundedSpin.upTo(() -> "statuses.isEmpty()"); statuses.isEmpty(); spin.pause())
        {
            queue.poll((c, op, status) -> statuses.add(status));
        }
        assertEquals(BlkifDescriptor.BLKIF_RSP_ERROR, statuses.get(0));

        assertTrue(driver.devices().get(0).resize(4L << 20));
        pump();
        assertEquals(2, blkfront.backendConnects(), "Connected again: a capacity change");
        assertEquals(8192, blkfront.sectors());
        assertEquals(XenbusState.CONNECTED, device.state());
        assertTrue(queue.write(4096, 8, TestData.pattern(4096, 1), 0, 2));
        queue.push();
        for (final BoundedSpin spin = BoundedSpin.upTo(() -> "statuses.size() < 2"); statuses.size() < 2; spin.pause())
        {
            queue.poll((c, op, status) -> statuses.add(status));
        }
        assertEquals(BLKIF_RSP_OKAY, statuses.get(1), "the ring serves the new size");
        assertTrue(!driver.devices().get(0).resize(16L << 20), "beyond what the store can hold");
    }

    @Test
    void aBogusProducerIndexClosesThatDeviceOnly()
    {
        final BlkBackDriver driver = new BlkBackDriver(BlkBackConfig.defaults(), BlkBackDriver.DEFAULT_OPENER,
            IdleStrategies.BACKOFF, 1, null);
        backendBus.register(driver);
        final XenbusDeviceSpec victim = spec("w", 1L << 20);
        final XenbusDeviceSpec bystander = new XenbusDeviceSpec("vbd", 0, guest.domid(), "51728",
            Map.of("mode", "w", "params", Long.toString(1L << 20), "type", "memory"),
            Map.of("virtual-device", "51728", "device-type", "disk"));
        toolstack.addDevice(victim);
        toolstack.addDevice(bystander);
        pump();
        final BlkFrontDriver bad = new BlkFrontDriver(BlkFrontConfig.defaults(), 256);
        final BlkFrontDriver good = new BlkFrontDriver(
            BlkFrontConfig.builder().maxIndirectSegments(256).poolPages(300).build(), 2048);
        frontendBus.attach("vbd", DEVID, bad, true);
        frontendBus.attach("vbd", "51728", good, true);
        pump();
        assertEquals(XenbusState.CONNECTED, toolstack.backendState(victim));
        assertEquals(XenbusState.CONNECTED, toolstack.backendState(bystander));

        bad.front().queue(0).frontRing().buffer().putIntRelease(0, 1 << 20); // req_prod far past the ring
        for (final BoundedSpin spin = BoundedSpin.upTo(() -> "toolstack.backendState(victim) == XenbusState.CONNECTED");
            toolstack.backendState(victim) == XenbusState.CONNECTED; spin.pause())
        {
            pump(); // the ring thread asks xenbus to close the device; this thread runs the bus
        }
        pump();
        assertEquals(XenbusState.CLOSED, toolstack.backendState(victim), "Closing, the frontend follows, Closed");
        assertEquals(XenbusState.CLOSED, toolstack.frontendState(victim));
        assertEquals(XenbusState.CONNECTED, toolstack.backendState(bystander));
        roundTrip(good.front(), 5);
    }

    @Test
    void aConnectThatFailsHalfWayLeavesNothingBehind()
    {
        final BlkBackDriver driver = new BlkBackDriver(BlkBackConfig.defaults(), BlkBackDriver.DEFAULT_OPENER,
            IdleStrategies.BACKOFF, 1, null);
        backendBus.register(driver);
        final XenbusDeviceSpec spec = spec("w", 1L << 20);
        toolstack.addDevice(spec);
        pump();
        // Queue 0 is real (granted ring, unbound port); queue 1 names an event channel that does not exist.
        final BlkFrontConfig fc = BlkFrontConfig.builder().queues(2).build();
        final io.pvring.event.EventPort port = hypervisor.eventChannels().allocUnbound(guest.domid(), 0);
        final BlkFront front = new BlkFront(guest.guestMemory(), guest.grantTable(), 0, fc, 256,
            new io.pvring.event.EventPort[]{ port, null });
        final XsConnection guestXs = xenstore.connect(guest.domid());
        final String fe = spec.frontendPath();
        guestXs.write(fe + "/multi-queue-num-queues", "2");
        guestXs.write(fe + "/queue-0/ring-ref", Integer.toString(front.queue(0).ringRefs()[0]));
        guestXs.write(fe + "/queue-0/event-channel", Integer.toString(port.port()));
        guestXs.write(fe + "/queue-1/ring-ref", Integer.toString(front.queue(1).ringRefs()[0]));
        guestXs.write(fe + "/queue-1/event-channel", "4000");
        guestXs.write(fe + "/state", XenbusState.INITIALISED.toXenstore());
        pump();
        assertEquals(XenbusState.CLOSING, toolstack.backendState(spec));
        final String error = dom0.readOrNull(XenbusPaths.errorPath(0, spec.backendPath()) + "/error");
        assertTrue(error != null && error.contains("event-channel 4000"), String.valueOf(error));
        assertNull(driver.devices().get(0).back());
        assertEquals(0, hypervisor.openGrantMappers(), "queue 0's ring mapping was released");
        assertTrue(!port.notifyRemote(), "the backend's end of queue 0's channel is closed");
        front.close();
    }

    @Test
    void unusableFrontendKeysCloseTheDevice()
    {
        final BlkBackDriver driver = new BlkBackDriver(BlkBackConfig.builder().maxQueues(1)
            .build(), BlkBackDriver.DEFAULT_OPENER,
            IdleStrategies.BACKOFF, 1, null);
        backendBus.register(driver);
        final XenbusDeviceSpec spec = spec("w", 1L << 20);
        toolstack.addDevice(spec);
        pump();
        // A frontend that ignores multi-queue-max-queues=1.
        final XsConnection guestXs = xenstore.connect(guest.domid());
        guestXs.write(spec.frontendPath() + "/multi-queue-num-queues", "8");
        guestXs.write(spec.frontendPath() + "/protocol", "x86_64-abi");
        guestXs.write(spec.frontendPath() + "/state", XenbusState.INITIALISED.toXenstore());
        pump();
        assertEquals(XenbusState.CLOSING, toolstack.backendState(spec));
        final String error = dom0.readOrNull(XenbusPaths.errorPath(0, spec.backendPath()) + "/error");
        assertNotNull(error);
        assertTrue(error.contains("8 queues"), error);
        assertNull(driver.devices().get(0).back(), "nothing stays connected");
    }

    private XenbusDeviceSpec fileSpec(final Path image, final Map<String, String> sectorKeys)
    {
        final Map<String, String> back = new java.util.HashMap<>(sectorKeys);
        back.put("mode", "w");
        back.put("params", image.toString());
        back.put("type", "file");
        return new XenbusDeviceSpec("vbd", 0, guest.domid(), DEVID, back,
            Map.of("virtual-device", DEVID, "device-type", "disk"));
    }

    /** Submits one request on queue 0 and spins (bounded by the class timeout) for its status. */
    private static int submit(final BlkFrontQueue queue, final boolean write, final long sector, final int sectors,
        final UnsafeBuffer data)
    {
        assertTrue(write ? queue.write(sector, sectors, data, 0, 7) : queue.read(sector, sectors, data, 0, 7));
        queue.push();
        final List<Integer> statuses = new ArrayList<>();
        for (final BoundedSpin spin = BoundedSpin.upTo(() -> "statuses.isEmpty()"); statuses.isEmpty(); spin.pause())
        {
            queue.poll((c, op, status) -> statuses.add(status));
        }
        return statuses.get(0);
    }

    @Test
    void toolstackChosen4096ByteSectorsOnARawImage(@TempDir final Path dir) throws IOException
    {
        final Path image = dir.resolve("disk4k.img");
        final byte[] initial = new byte[4 << 20];
        java.util.Arrays.fill(initial, (byte)0x5A);
        Files.write(image, initial);
        final BlkBackDriver driver = new BlkBackDriver(BlkBackConfig.builder().polling(false)
            .build(), BlkBackDriver.DEFAULT_OPENER,
            IdleStrategies.NOTIFY, 1, null);
        backendBus.register(driver);
        final XenbusDeviceSpec spec = fileSpec(image, Map.of("sector-size", "4096", "physical-sector-size", "4096"));
        toolstack.addDevice(spec);
        final BlkFrontDriver blkfront = new BlkFrontDriver(BlkFrontConfig.defaults(), 256);
        frontendBus.attach("vbd", DEVID, blkfront, true);
        pump();
        assertEquals(XenbusState.CONNECTED, toolstack.backendState(spec));
        assertEquals("4096", be(spec, "sector-size"));
        assertEquals("4096", be(spec, "physical-sector-size"));
        assertEquals("8192", be(spec, "sectors"), "sectors stay 512-byte units");
        assertEquals("0", be(spec, "feature-discard"), "FileChannel cannot punch holes: no discard on raw images");
        assertEquals(4096, blkfront.sectorSize());
        assertEquals(4096, driver.devices().get(0).store().logicalSectorSize());

        final BlkFrontQueue queue = blkfront.front().queue(0);
        final UnsafeBuffer data = TestData.pattern(8192, 4);
        assertEquals(BLKIF_RSP_OKAY, submit(queue, true, 8, 16, data), "sector 8 (512-byte units) is byte 4096");
        final byte[] onDisk = Files.readAllBytes(image);
        for (int i = 0; i < 8192; i++)
        {
            assertEquals(data.getByte(i), onDisk[4096 + i], "byte " + i);
        }
        assertEquals(0x5A, onDisk[4095]);
        assertEquals(0x5A, onDisk[4096 + 8192]);

        final UnsafeBuffer misaligned = TestData.pattern(8192, 6);
        assertEquals(BLKIF_RSP_ERROR, submit(queue, true, 1, 16, misaligned), "start not 4096-aligned");
        assertEquals(BLKIF_RSP_ERROR, submit(queue, true, 8, 1, misaligned), "length not a 4096 multiple");
        assertEquals(BLKIF_RSP_ERROR, submit(queue, false, 4, 8, misaligned), "misaligned read");
        assertTrue(java.util.Arrays.equals(onDisk, Files.readAllBytes(image)), "rejected writes touched nothing");

        final UnsafeBuffer back = new UnsafeBuffer(new byte[8192]);
        assertEquals(BLKIF_RSP_OKAY, submit(queue, false, 8, 16, back));
        assertEquals(data, back);
        toolstack.destroyDevice(spec);
        pump();
        assertTrue(driver.devices().isEmpty());
    }

    @Test
    void sectorSizeKeysAreValidated(@TempDir final Path dir) throws IOException
    {
        final Path image = dir.resolve("disk.img");
        Files.write(image, new byte[1 << 20]);
        final BlkBackDriver driver = new BlkBackDriver(BlkBackConfig.defaults(), BlkBackDriver.DEFAULT_OPENER,
            IdleStrategies.BACKOFF, 1, null);
        backendBus.register(driver);
        final List<Map<String, String>> bad = List.of(
            Map.of("sector-size", "3000"),
            Map.of("sector-size", "8192"),
            Map.of("sector-size", "4096", "physical-sector-size", "512"),
            Map.of("physical-sector-size", "256"));
        for (final Map<String, String> keys : bad)
        {
            final XenbusDeviceSpec spec = fileSpec(image, keys);
            toolstack.addDevice(spec);
            pump();
            assertEquals(XenbusState.CLOSING, toolstack.backendState(spec), keys.toString());
            final String error = dom0.readOrNull(
                io.pvring.xenbus.XenbusPaths.errorPath(0, spec.backendPath()) + "/error");
            assertNotNull(error, keys.toString());
            assertTrue(error.contains("sector-size"), error);
            assertTrue(driver.devices().isEmpty(), "no device for " + keys);
            toolstack.destroyDevice(spec);
            pump();
        }

        final XenbusDeviceSpec good = fileSpec(image, Map.of("sector-size", "1024"));
        toolstack.addDevice(good);
        pump();
        assertEquals(XenbusState.INIT_WAIT, toolstack.backendState(good));
        assertEquals(1024, driver.devices().get(0).store().logicalSectorSize());
        assertEquals(4096, driver.devices().get(0).physicalSectorSize(), "absent: the raw store's own 4096");
        toolstack.destroyDevice(good);
        pump();
    }

    /** The grant ref of segment 0 of the request most recently put on {@code queue}'s ring. */
    private static int lastSegmentRef(final BlkFrontQueue queue)
    {
        final io.pvring.ring.FrontRing ring = queue.frontRing();
        final int slot = ring.geometry().slotOffset(ring.reqProdPvt() - 1);
        return ring.buffer().getInt(slot + queue.abi().segmentOffset(0) + BlkifDescriptor.SEGMENT_GREF_OFFSET,
            java.nio.ByteOrder.LITTLE_ENDIAN);
    }

    /** Whether dom0 can map {@code ref} of the guest right now (unmapped again at once). */
    private boolean backendCanMap(final int ref)
    {
        try (io.pvring.grant.BackendGrantMapper probe = hypervisor.grantMapper(0, guest.domid(), 16))
        {
            final int handle = probe.map(ref, false);
            if (handle < 0)
            {
                return false;
            }
            probe.unmap(handle);
            return true;
        }
    }

    @Test
    void aFrontendWhoseBackendRefusesPersistentGrantsGrantsPerRequest()
    {
        persistentGrantNegotiation(false);
    }

    @Test
    void aFrontendWhoseBackendTakesPersistentGrantsReusesThem()
    {
        persistentGrantNegotiation(true);
    }

    private void persistentGrantNegotiation(final boolean backendPersistent)
    {
        final BlkBackDriver driver = new BlkBackDriver(
            BlkBackConfig.builder().polling(false).persistentGrants(backendPersistent)
                .build(), BlkBackDriver.DEFAULT_OPENER,
            IdleStrategies.NOTIFY, 1, null);
        backendBus.register(driver);
        final XenbusDeviceSpec spec = spec("w", 1L << 20);
        toolstack.addDevice(spec);
        final BlkFrontDriver blkfront = new BlkFrontDriver(BlkFrontConfig.builder().persistentGrants(true)
            .build(), 256);
        final XenbusDevice device = frontendBus.attach("vbd", DEVID, blkfront, true);
        pump();
        assertEquals(XenbusState.CONNECTED, device.state());
        assertEquals("1", fe(spec, "feature-persistent"), "the frontend offered persistent grants");
        assertEquals(backendPersistent ? "1" : "0", be(spec, "feature-persistent"));
        final BlkFrontQueue queue = blkfront.front().queue(0);
        assertEquals(backendPersistent, queue.persistentGrants());

        final UnsafeBuffer data = TestData.pattern(4096, 2);
        assertEquals(BLKIF_RSP_OKAY, submit(queue, true, 0, 8, data));
        final int first = lastSegmentRef(queue);
        assertEquals(backendPersistent, backendCanMap(first),
            "between requests the pool page stays granted only with persistent grants");
        assertEquals(BLKIF_RSP_OKAY, submit(queue, false, 0, 8, new UnsafeBuffer(new byte[4096])));
        final BlkRing ring = driver.devices().get(0).back().rings().get(0);
        if (backendPersistent)
        {
            assertEquals(first, lastSegmentRef(queue), "the same grant serves the next request");
            assertEquals(1, ring.counters().persistentHits.get());
        }
        else
        {
            assertFalse(backendCanMap(lastSegmentRef(queue)), "the read's grant ended with the read");
            assertEquals(0, ring.counters().persistentHits.get());
            assertEquals(0, ring.persistentGrants());
        }
        toolstack.destroyDevice(spec);
        pump();
    }
}
