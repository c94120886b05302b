package io.pvring.xenbus;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import io.pvring.xenstore.XenStore;
import io.pvring.xenstore.XsConnection;

import static io.pvring.xenbus.XenbusState.CLOSED;
import static io.pvring.xenbus.XenbusState.CLOSING;
import static io.pvring.xenbus.XenbusState.CONNECTED;
import static io.pvring.xenbus.XenbusState.INITIALISED;
import static io.pvring.xenbus.XenbusState.INITIALISING;
import static io.pvring.xenbus.XenbusState.INIT_WAIT;
import static io.pvring.xenbus.XenbusState.RECONFIGURED;
import static io.pvring.xenbus.XenbusState.RECONFIGURING;
import static io.pvring.xenbus.XenbusState.UNKNOWN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class XenbusHandshakeTest
{
    private static final int FE = 1;
    private static final String DEVID = "51712";

    private final XenStore store = new XenStore();
    private final XsConnection dom0 = store.connect(0);
    private final XenbusToolstack toolstack = new XenbusToolstack(dom0);
    private final XsConnection guestXs = store.connect(FE);
    private final XenbusSpec spec = new XenbusSpec();
    private final FakeBackendDriver blkback = new FakeBackendDriver("vbd");
    private XenbusBackend backend;
    private XenbusFrontend frontend;

    /** Holder so the spec can be built after the domains exist. */
    private static final class XenbusSpec
    {
        final XenbusDeviceSpec value = new XenbusDeviceSpec("vbd", 0, FE, DEVID,
            Map.of("mode", "w", "params", "/tmp/disk.img", "type", "file"),
            Map.of("virtual-device", DEVID, "device-type", "disk"));
    }

    @BeforeEach
    void setUp()
    {
        toolstack.createDomain(0, "Domain-0");
        toolstack.createDomain(FE, "guest");
        backend = new XenbusBackend(store.connect(0), null);
        frontend = new XenbusFrontend(guestXs, null);
    }

    /** Steps both xenbus agents until neither has work (bounded: a livelock fails the test). */
    private void pump()
    {
        for (int i = 0; i < 10_000; i++)
        {
            if (backend.doWork() + frontend.doWork() == 0)
            {
                return;
            }
        }
        throw new AssertionError("xenbus did not settle");
    }

    private FakeBackendDriver.Dev backendDev()
    {
        return blkback.devices.get(FE + "/" + DEVID);
    }

    private XenbusDevice connectBlk(final FakeFrontendDriver blkfront)
    {
        backend.register(blkback);
        toolstack.addDevice(spec.value);
        pump();
        assertEquals(INIT_WAIT, toolstack.backendState(spec.value));
        final XenbusDevice d = frontend.attach("vbd", DEVID, blkfront, true);
        pump();
        return d;
    }

    @Test
    void fullHandshakeConnectsBothEnds()
    {
        final FakeFrontendDriver blkfront = new FakeFrontendDriver(INITIALISED);
        final XenbusDevice d = connectBlk(blkfront);
        assertEquals(CONNECTED, toolstack.backendState(spec.value));
        assertEquals(CONNECTED, toolstack.frontendState(spec.value));
        assertEquals(CONNECTED, d.state());
        assertEquals(CONNECTED, d.otherendState());
        assertEquals("4", blkfront.sawMaxRingPageOrder, "features are published before InitWait");
        assertEquals(1, backendDev().connects);
        assertEquals("9", backendDev().ringRef);
        assertEquals(1, blkfront.backendConnects);
        assertEquals("2048", dom0.readString(spec.value.backendPath() + "/sectors"));
        final XenbusDevice bd = backend.device("vbd", FE, DEVID);
        assertNotNull(bd);
        assertEquals(spec.value.frontendPath(), bd.otherendPath());
    }

    @Test
    void toolstackPermissionsFollowLibxl()
    {
        toolstack.addDevice(spec.value);
        assertEquals("n1 r0", dom0.getPerms(spec.value.frontendPath()).toString());
        assertEquals("n0 r1", dom0.getPerms(spec.value.backendPath()).toString());
        assertEquals(spec.value.backendPath(), guestXs.readString(spec.value.frontendPath() + "/backend"));
        assertEquals("1", guestXs.readString(spec.value.backendPath() + "/state"));
        final XsConnection other = store.connect(2);
        assertNull(readQuietly(other, spec.value.frontendPath() + "/state"));
    }

    private static String readQuietly(final XsConnection c, final String path)
    {
        try
        {
            return c.readString(path);
        }
        catch (final RuntimeException ex)
        {
            return null;
        }
    }

    @Test
    void frontendInitialisedWithoutWaitingForInitWait()
    {
        toolstack.addDevice(spec.value);
        final FakeFrontendDriver blkfront = new FakeFrontendDriver(INITIALISED);
        final XenbusDevice d = frontend.attach("vbd", DEVID, blkfront, false);
        assertEquals(INITIALISED, d.state());
        assertNull(blkfront.sawMaxRingPageOrder, "no backend features yet: defaults");
        backend.register(blkback);
        pump();
        assertEquals(CONNECTED, toolstack.backendState(spec.value));
        assertEquals(CONNECTED, d.state());
        assertEquals(1, backendDev().connects);
    }

    @Test
    void netfrontStyleJumpsStraightToConnected()
    {
        final FakeFrontendDriver netfront = new FakeFrontendDriver(CONNECTED);
        final XenbusDevice d = connectBlk(netfront);
        assertEquals(CONNECTED, d.state());
        assertEquals(CONNECTED, toolstack.backendState(spec.value));
        assertEquals(1, backendDev().connects);
        assertEquals(1, netfront.backendConnects);
    }

    @Test
    void coalescedWatchesStillConnectWhenInitialisedIsNeverSeen()
    {
        backend.register(blkback);
        toolstack.addDevice(spec.value);
        pump();
        final String fe = spec.value.frontendPath();
        guestXs.write(fe + "/ring-ref", "77");
        guestXs.write(fe + "/state", "3");
        guestXs.write(fe + "/state", "4");
        pump();
        assertEquals(CONNECTED, toolstack.backendState(spec.value));
        assertEquals("77", backendDev().ringRef);
        assertEquals(1, backendDev().connects);
    }

    @Test
    void gracefulUnplugClosesBothEndsAndUnregisters()
    {
        final FakeFrontendDriver blkfront = new FakeFrontendDriver(INITIALISED);
        final XenbusDevice d = connectBlk(blkfront);
        toolstack.requestRemove(spec.value);
        pump();
        assertEquals(CLOSED, d.state());
        assertEquals(CLOSED, toolstack.backendState(spec.value));
        assertEquals(1, blkfront.disconnects);
        assertEquals(1, backendDev().disconnects);
        assertEquals(1, backendDev().removes);
        assertEquals(0, backend.deviceCount());
        toolstack.destroyDevice(spec.value);
        pump();
        assertEquals(1, backendDev().removes);
    }

    @Test
    void frontendCloseThenReconnect()
    {
        final FakeFrontendDriver blkfront = new FakeFrontendDriver(INITIALISED);
        final XenbusDevice d = connectBlk(blkfront);
        frontend.close(d);
        pump();
        assertEquals(CLOSED, d.state());
        assertEquals(CLOSED, toolstack.backendState(spec.value));
        assertFalse(backendDev().connected);
        assertEquals(0, backendDev().removes, "online=1: the device stays registered");

        frontend.reconnect(d);
        pump();
        assertEquals(CONNECTED, d.state());
        assertEquals(CONNECTED, toolstack.backendState(spec.value));
        assertEquals(2, backendDev().connects);
        assertEquals(1, backendDev().disconnects);
        assertEquals("10", backendDev().ringRef, "new transport keys were read");
        assertEquals(2, blkfront.setups);
    }

    @Test
    void frontendReturningToInitialisingWhileBackendClosedGoesBackToInitWait()
    {
        backend.register(blkback);
        toolstack.addDevice(spec.value);
        pump();
        final String state = spec.value.frontendPath() + "/state";
        guestXs.write(spec.value.frontendPath() + "/ring-ref", "12");
        guestXs.write(state, "3");
        pump();
        guestXs.write(state, "5");
        pump();
        assertEquals(CLOSING, toolstack.backendState(spec.value));
        guestXs.write(state, "6");
        pump();
        assertEquals(CLOSED, toolstack.backendState(spec.value));
        guestXs.write(state, "1");
        pump();
        assertEquals(INIT_WAIT, toolstack.backendState(spec.value));
        guestXs.write(state, "4");
        pump();
        assertEquals(CONNECTED, toolstack.backendState(spec.value));
        assertEquals(2, backendDev().connects);
    }

    @Test
    void reconfigurationIsPassedToTheDriver()
    {
        final FakeFrontendDriver netfront = new FakeFrontendDriver(CONNECTED);
        final XenbusDevice d = connectBlk(netfront);
        final String state = spec.value.frontendPath() + "/state";
        guestXs.write(spec.value.frontendPath() + "/xdp-headroom", "256");
        guestXs.write(state, Integer.toString(RECONFIGURING.value()));
        pump();
        assertEquals(RECONFIGURED, toolstack.backendState(spec.value));
        assertTrue(backendDev().calls.contains("reconfigure-RECONFIGURING"));
        guestXs.write(state, Integer.toString(CONNECTED.value()));
        pump();
        assertEquals(CONNECTED, toolstack.backendState(spec.value));
        assertEquals(1, backendDev().connects, "rings stay connected across reconfiguration");
        assertEquals(CONNECTED, d.otherendState());
    }

    @Test
    void badTransportKeysFailTheConnectAndClose()
    {
        backend.register(blkback);
        toolstack.addDevice(spec.value);
        pump();
        guestXs.write(spec.value.frontendPath() + "/ring-ref", "not-a-number");
        guestXs.write(spec.value.frontendPath() + "/state", "3");
        pump();
        assertEquals(CLOSING, toolstack.backendState(spec.value));
        assertFalse(backendDev().connected);
        assertEquals(1, backendDev().disconnects);
        assertTrue(dom0.readString("/local/domain/0/error/backend/vbd/1/51712/error").contains("bad ring-ref"));
        // A stale Connected does not revive a closing device.
        guestXs.write(spec.value.frontendPath() + "/state", "4");
        pump();
        assertEquals(CLOSING, toolstack.backendState(spec.value));
        assertEquals(1, backendDev().connects);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "garbage", "99", "-1"})
    void unknownFrontendStateUnregisters(final String value)
    {
        final FakeFrontendDriver blkfront = new FakeFrontendDriver(INITIALISED);
        connectBlk(blkfront);
        guestXs.write(spec.value.frontendPath() + "/state", value);
        pump();
        assertEquals(1, backendDev().removes);
        assertEquals(0, backend.deviceCount());
        assertEquals(CLOSED, toolstack.backendState(spec.value));
    }

    @Test
    void frontendInitWaitIsAProtocolError()
    {
        backend.register(blkback);
        toolstack.addDevice(spec.value);
        pump();
        final XenbusDevice d = frontend.attach("vbd", DEVID, new FakeFrontendDriver(INITIALISED), true);
        guestXs.write(spec.value.frontendPath() + "/state", "2");
        backend.doWork();
        assertEquals(CLOSING, toolstack.backendState(spec.value));
        assertFalse(backendDev().connected);
        assertTrue(dom0.readString("/local/domain/0/error/backend/vbd/1/51712/error").contains("saw state 2"));
        pump();
        // The frontend follows the backend to Closed; the device stays registered (online=1).
        assertEquals(CLOSED, d.state());
        assertEquals(CLOSED, toolstack.backendState(spec.value));
        assertEquals(0, backendDev().removes);
    }

    @Test
    void ringThreadCloseRequestDisconnectsOnTheXenbusThread() throws InterruptedException
    {
        final FakeFrontendDriver blkfront = new FakeFrontendDriver(INITIALISED);
        final XenbusDevice d = connectBlk(blkfront);
        final XenbusDevice bd = backend.device("vbd", FE, DEVID);
        final Thread ring = new Thread(() -> bd.requestClose("ring overflow"));
        ring.start();
        ring.join();
        assertTrue(backendDev().connected, "nothing happens on the ring thread");
        pump();
        assertFalse(backendDev().connected);
        assertEquals(CLOSED, d.state(), "the frontend followed the backend to Closed");
        assertEquals(CLOSED, toolstack.backendState(spec.value));
        assertEquals(1, backendDev().disconnects);
    }

    @Test
    void closeRequestRecordsItsReasonAsXenbusDevFatalDoes() throws InterruptedException
    {
        final FakeFrontendDriver blkfront = new FakeFrontendDriver(INITIALISED);
        final XenbusDevice d = connectBlk(blkfront);
        final XenbusDevice bd = backend.device("vbd", FE, DEVID);
        final Thread runner = new Thread(() -> bd.requestClose(XenbusDevice.EIO, "vbd1.51712: internal error: boom"));
        runner.start();
        runner.join();
        pump();
        assertFalse(backendDev().connected, "the driver disconnected the device");
        assertEquals(1, backendDev().disconnects);
        // Linux xenbus_va_dev_error: "%i " of -err, then the message, at error/<nodename>/error of the own domain
        assertEquals("5 vbd1.51712: internal error: boom",
            dom0.readString("/local/domain/0/error/backend/vbd/1/51712/error"));
        assertEquals("vbd1.51712: internal error: boom", bd.errorReason());
        assertEquals(CLOSED, d.state(), "the frontend saw Closing and closed");
        assertEquals(CLOSED, toolstack.backendState(spec.value));
    }

    @Test
    void closeRequestOfAClosingDeviceStillRecordsTheCause()
    {
        final FakeFrontendDriver blkfront = new FakeFrontendDriver(INITIALISED);
        connectBlk(blkfront);
        final XenbusDevice bd = backend.device("vbd", FE, DEVID);
        guestXs.write(spec.value.frontendPath() + "/state", CLOSING.toXenstore());
        backend.doWork();
        assertEquals(CLOSING, toolstack.backendState(spec.value));
        bd.requestClose(XenbusDevice.EIO, "late failure");
        backend.doWork();
        assertEquals("5 late failure", dom0.readString("/local/domain/0/error/backend/vbd/1/51712/error"));
        assertFalse(backendDev().connected);
        assertEquals(CLOSING, toolstack.backendState(spec.value));
    }

    @Test
    void aDriverConnectThatThrowsClosesWithTheException()
    {
        blkback.connectFailure = new IllegalStateException("mapping failed");
        backend.register(blkback);
        toolstack.addDevice(spec.value);
        pump();
        frontend.attach("vbd", DEVID, new FakeFrontendDriver(INITIALISED), true);
        pump();
        assertEquals(1, backendDev().disconnects, "a failed connect is still followed by disconnect");
        assertEquals("5 connecting to frontend failed: java.lang.IllegalStateException: mapping failed",
            dom0.readString("/local/domain/0/error/backend/vbd/1/51712/error"));
    }

    @Test
    void fatalWithoutErrnoIsEinval()
    {
        backend.register(blkback);
        toolstack.addDevice(spec.value);
        pump();
        final XenbusDevice bd = backend.device("vbd", FE, DEVID);
        bd.fatal("bad ring-ref x");
        assertEquals("22 bad ring-ref x", dom0.readString("/local/domain/0/error/backend/vbd/1/51712/error"));
        assertEquals(CLOSING, toolstack.backendState(spec.value));
    }

    @Test
    void frontendRingErrorClosesBothEnds() throws InterruptedException
    {
        final FakeFrontendDriver blkfront = new FakeFrontendDriver(INITIALISED);
        final XenbusDevice d = connectBlk(blkfront);
        final Thread ring = new Thread(() -> d.requestClose("backend wrote a bogus rsp_prod"));
        ring.start();
        ring.join();
        pump();
        assertEquals(1, blkfront.disconnects);
        assertEquals(CLOSED, d.state());
        assertEquals(CLOSED, toolstack.backendState(spec.value));
        assertFalse(backendDev().connected);
        frontend.reconnect(d);
        pump();
        assertEquals(CONNECTED, toolstack.backendState(spec.value));
        assertEquals(2, blkfront.setups);
    }

    @Test
    void frontendStateFloodQueuesOneBackendEvent()
    {
        final FakeFrontendDriver blkfront = new FakeFrontendDriver(INITIALISED);
        connectBlk(blkfront);
        final String state = spec.value.frontendPath() + "/state";
        for (int i = 0; i < 250_000; i++)
        {
            guestXs.write(state, (i & 1) == 0 ? "3" : "4");
        }
        // XSA-349: the backend's queue holds one event for the state node, not one per write.
        assertTrue(store.pendingWatchEvents() <= 2, "pending=" + store.pendingWatchEvents());
        pump();
        assertEquals(CONNECTED, toolstack.backendState(spec.value));
        assertEquals(1, backendDev().connects);
    }

    @Test
    void hotplugGatesInitWaitAndConnect()
    {
        blkback.hotplugReady = false;
        backend.register(blkback);
        toolstack.addDevice(spec.value);
        pump();
        assertEquals(INITIALISING, toolstack.backendState(spec.value));
        final FakeFrontendDriver blkfront = new FakeFrontendDriver(INITIALISED);
        final XenbusDevice d = frontend.attach("vbd", DEVID, blkfront, false);
        pump();
        assertEquals(0, backendDev().connects);
        dom0.write(spec.value.backendPath() + "/hotplug-status", "connected");
        pump();
        assertEquals(CONNECTED, toolstack.backendState(spec.value));
        assertEquals(CONNECTED, d.state());
    }

    enum StopPoint
    {
        PROBED, FRONTEND_INITIALISED, CONNECTED, FRONTEND_CLOSING, CLOSED_ONLINE, RECONFIGURING, CONNECT_FAILED
    }

    @ParameterizedTest
    @EnumSource(StopPoint.class)
    void forcedRemovalInEveryStateTearsDownExactlyOnce(final StopPoint stop)
    {
        backend.register(blkback);
        toolstack.addDevice(spec.value);
        pump();
        final String fe = spec.value.frontendPath();
        guestXs.write(fe + "/ring-ref", stop == StopPoint.CONNECT_FAILED ? "x" : "3");
        switch (stop)
        {
            case PROBED:
                break;
            case FRONTEND_INITIALISED:
            case CONNECT_FAILED:
                guestXs.write(fe + "/state", "3");
                break;
            case CONNECTED:
                guestXs.write(fe + "/state", "4");
                break;
            case FRONTEND_CLOSING:
                guestXs.write(fe + "/state", "4");
                pump();
                guestXs.write(fe + "/state", "5");
                break;
            case CLOSED_ONLINE:
                guestXs.write(fe + "/state", "4");
                pump();
                guestXs.write(fe + "/state", "6");
                break;
            case RECONFIGURING:
                guestXs.write(fe + "/state", "4");
                pump();
                guestXs.write(fe + "/state", "7");
                break;
            default:
                throw new IllegalStateException();
        }
        pump();
        final FakeBackendDriver.Dev dev = backendDev();
        final int connects = dev.connects;
        toolstack.destroyDevice(spec.value);
        pump();
        assertEquals(1, dev.removes);
        assertFalse(dev.connected);
        assertEquals(connects, dev.disconnects, "one disconnect per connect");
        assertEquals(0, backend.deviceCount());
        assertNull(dom0.readOrNull(spec.value.backendPath()), "teardown does not resurrect the directory");
        backend.close();
        backend.close();
        assertEquals(1, dev.removes);
    }

    @Test
    void closingTheBusTearsDownConnectedDevices()
    {
        final FakeFrontendDriver blkfront = new FakeFrontendDriver(INITIALISED);
        final XenbusDevice d = connectBlk(blkfront);
        backend.close();
        frontend.close();
        assertEquals(1, backendDev().removes);
        assertEquals(1, backendDev().disconnects);
        assertEquals(1, blkfront.disconnects);
        assertEquals(0, backend.doWork());
        frontend.close(d);
    }

    @Test
    void backendGoneClosesTheFrontend()
    {
        final FakeFrontendDriver blkfront = new FakeFrontendDriver(INITIALISED);
        final XenbusDevice d = connectBlk(blkfront);
        dom0.rm(spec.value.backendPath());
        pump();
        assertEquals(CLOSED, d.state());
        assertEquals(1, blkfront.disconnects);
        assertEquals(1, backendDev().removes);
    }

    /**
     * XSA-350 style: a hostile frontend walks its state node through random values (valid, invalid, garbage)
     * with the toolstack occasionally unplugging and re-adding. Nothing throws; connect and disconnect strictly
     * alternate (the fake driver asserts it); the backend is never Connected without the driver connected, and
     * never connected while in InitWait or Closed.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 42, 1234567})
    @Timeout(60)
    void randomStateWalkNeverLeavesADeviceHalfConnected(final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final String[] values = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "x", ""};
        backend.register(blkback);
        toolstack.addDevice(spec.value);
        pump();
        final String fe = spec.value.frontendPath();
        int removals = 0;
        for (int step = 0; step < 2_000; step++)
        {
            final int action = random.nextInt(100);
            if (action < 3)
            {
                toolstack.destroyDevice(spec.value);
                removals++;
            }
            else if (action < 6)
            {
                toolstack.addDevice(spec.value);
            }
            else if (action < 8)
            {
                toolstack.requestRemove(spec.value);
            }
            else if (null != guestXs.readOrNull(fe + "/state"))
            {
                guestXs.write(fe + "/ring-ref", random.nextInt(4) == 0 ? "bad" : "7");
                guestXs.write(fe + "/state", values[random.nextInt(values.length)]);
            }
            if (random.nextInt(3) == 0)
            {
                pump();
                for (final FakeBackendDriver.Dev dev : blkback.all)
                {
                    assertEquals(dev.connects, dev.disconnects + (dev.connected ? 1 : 0));
                }
                final XenbusDevice bd = backend.device("vbd", FE, DEVID);
                if (null != bd)
                {
                    final FakeBackendDriver.Dev dev = backendDev();
                    if (bd.state() == CONNECTED)
                    {
                        assertTrue(dev.connected, "Connected without rings at step " + step);
                    }
                    if (bd.state() == INIT_WAIT || bd.state() == CLOSED || bd.state() == INITIALISING)
                    {
                        assertFalse(dev.connected, "rings mapped in " + bd.state() + " at step " + step);
                    }
                }
            }
        }
        toolstack.destroyDevice(spec.value);
        pump();
        assertEquals(0, backend.deviceCount());
        int connects = 0;
        for (final FakeBackendDriver.Dev dev : blkback.all)
        {
            assertFalse(dev.connected);
            assertEquals(dev.connects, dev.disconnects);
            assertEquals(1, dev.removes, "every probed device was removed exactly once");
            connects += dev.connects;
        }
        assertTrue(connects >= 3, "the walk connected devices: " + connects);
        assertTrue(blkback.all.size() > 1, "the walk re-probed devices: " + blkback.all.size());
        assertTrue(removals > 0);
        assertTrue(store.check());
    }

    @Test
    @Timeout(30)
    void xenbusThreadsRunTheHandshake() throws InterruptedException
    {
        final CountDownLatch connected = new CountDownLatch(1);
        final CountDownLatch disconnected = new CountDownLatch(1);
        final FakeFrontendDriver blkfront = new FakeFrontendDriver(INITIALISED)
        {
            @Override
            public void backendConnected(final XenbusDevice device)
            {
                super.backendConnected(device);
                connected.countDown();
            }

            @Override
            public void disconnect(final XenbusDevice device)
            {
                super.disconnect(device);
                disconnected.countDown();
            }
        };
        backend.register(blkback);
        toolstack.addDevice(spec.value);
        // Attach before the threads start: a bus is driven by one thread at a time.
        final XenbusDevice d = frontend.attach("vbd", DEVID, blkfront, false);
        assertEquals(INITIALISED, d.state());
        try (XenbusThread beThread = XenbusThread.start(backend); XenbusThread feThread = XenbusThread.start(frontend))
        {
            assertTrue(connected.await(20, TimeUnit.SECONDS));
            toolstack.requestRemove(spec.value);
            assertTrue(disconnected.await(20, TimeUnit.SECONDS));
            assertNotNull(beThread);
            assertNotNull(feThread);
        }
        // The watch on the backend's state fires on registration, on InitWait and on Connected, and each firing reads
        // the state as it is then: a frontend thread slower than the backend reads Connected up to three times and
        // connects again each time, as Linux's blkfront_connect does (idempotent). More would be a loop.
        assertTrue(blkfront.backendConnects >= 1 && blkfront.backendConnects <= 3,
            "backend connects: " + blkfront.backendConnects);
        assertEquals(UNKNOWN, XenbusState.parse(null));
    }
}
