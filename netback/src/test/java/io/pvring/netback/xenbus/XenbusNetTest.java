package io.pvring.netback.xenbus;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.pvring.host.Hypervisor;
import io.pvring.netif.FrontendFeatures;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.NetBackDriver;
import io.pvring.netback.NetBackVif;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.test.TestFrames;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.netfront.NetFront;
import io.pvring.netfront.NetFrontConfig;
import io.pvring.netfront.NetFrontDriver;
import io.pvring.netif.CtrlResponse;
import io.pvring.netif.Netif;
import io.pvring.xenbus.HypervisorServices;
import io.pvring.xenbus.XenbusBackend;
import io.pvring.xenbus.XenbusDevice;
import io.pvring.xenbus.XenbusDeviceSpec;
import io.pvring.xenbus.XenbusFrontend;
import io.pvring.xenbus.XenbusState;
import io.pvring.xenbus.XenbusToolstack;
import io.pvring.xenstore.XenStore;
import io.pvring.xenstore.XsConnection;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two guests' netfronts negotiate with netback through xenstore exactly as Linux does, then talk. */
class XenbusNetTest
{
    private final Hypervisor hypervisor = new Hypervisor();
    private final XenStore store = new XenStore();
    private final XsConnection dom0 = store.connect(0);
    private final XenbusToolstack toolstack = new XenbusToolstack(dom0);
    private final VirtualSwitch vswitch = new VirtualSwitch();
    private final HypervisorServices services = hypervisor;
    private final CountersManager counters = new CountersManager(
        new UnsafeBuffer(ByteBuffer.allocateDirect(128 * CountersReader.METADATA_LENGTH)),
        new UnsafeBuffer(ByteBuffer.allocateDirect(128 * CountersReader.COUNTER_LENGTH)));
    private final NetBackDriver netback =
        new NetBackDriver(NetBackConfig.builder().build(), vswitch, SystemNanoClock.INSTANCE, null, counters);
    private final XenbusBackend backendBus = new XenbusBackend(store.connect(0), services);
    private final List<XenbusFrontend> frontendBuses = new ArrayList<>();

    XenbusNetTest()
    {
        toolstack.createDomain(0, "Domain-0");
        backendBus.register(netback);
    }

    @AfterEach
    void tearDown()
    {
        for (final XenbusFrontend bus : frontendBuses)
        {
            bus.close();
        }
        backendBus.close();
        netback.close();
        hypervisor.close();
    }

    private XenbusDeviceSpec spec(final int domid, final String mac, final String rate)
    {
        final Map<String, String> be = rate == null ? Map.of("mac", mac, "handle", "0")
            : Map.of("mac", mac, "handle", "0", "rate", rate);
        return new XenbusDeviceSpec("vif", 0, domid, "0", be, Map.of("mac", mac, "mtu", "1500"));
    }

    private XenbusDevice guest(final String name, final NetFrontDriver driver, final String rate)
    {
        final int domid = hypervisor.createDomain(name, 64L << 20).domid();
        toolstack.createDomain(domid, name);
        final XenbusDeviceSpec spec = spec(domid, "00:16:3e:00:00:0" + domid, rate);
        toolstack.addDevice(spec);
        pump();
        final XenbusFrontend bus = new XenbusFrontend(store.connect(domid), services);
        frontendBuses.add(bus);
        final XenbusDevice device = bus.attach("vif", "0", driver, true);
        pump();
        return device;
    }

    private void pump()
    {
        for (int i = 0; i < 10_000; i++)
        {
            int work = backendBus.doWork();
            for (final XenbusFrontend bus : frontendBuses)
            {
                work += bus.doWork();
            }
            work += netback.doWork();
            if (work == 0)
            {
                return;
            }
        }
        throw new AssertionError("did not settle");
    }

    @Test
    void linuxStyleNegotiationConnectsAndCarriesTraffic()
    {
        final NetFrontDriver a = new NetFrontDriver(
            NetFrontConfig.builder().firstGfn(0x100).splitEventChannels(true).build());
        final NetFrontDriver b = new NetFrontDriver(NetFrontConfig.builder().firstGfn(0x100).build());
        final XenbusDevice da = guest("a", a, null);
        final XenbusDevice db = guest("b", b, null);
        assertEquals(XenbusState.CONNECTED, da.state());
        assertEquals(XenbusState.CONNECTED, da.otherendState());
        assertEquals(XenbusState.CONNECTED, db.otherendState());
        assertTrue(a.isBackendConnected() && b.isBackendConnected());
        final String bePath = da.otherendPath();
        for (final String key : List.of("feature-sg", "feature-gso-tcpv4", "feature-gso-tcpv6", "feature-rx-copy",
            "feature-ipv6-csum-offload", "feature-split-event-channels", "feature-multicast-control"))
        {
            assertEquals("1", dom0.readString(bePath + "/" + key), key);
        }
        assertNotNull(dom0.readString(da.nodePath() + "/event-channel-tx"), "split channels negotiated");
        assertNull(dom0.readOrNull(db.nodePath() + "/event-channel-tx"));
        assertEquals("1", dom0.readString(db.nodePath() + "/request-rx-copy"));

        final NetFront fa = a.netFront();
        final NetFront fb = b.netFront();
        assertTrue(fa.splitEvents());
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[1514]);
        TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, 0x88B5);
        for (int i = 0; i < 100; i++)
        {
            frame.putInt(14, i);
            assertTrue(fa.send(frame, 0, 1514, 0, 0, 0));
            fa.flush();
            pump();
        }
        final int[] got = new int[1];
        assertEquals(100, fb.receive((buf, o, l, f, t, s) -> got[0]++, 1000));
        final NetBackVif vif = netback.vif(backendBus.device("vif", da.frontendDomid(), "0"));
        assertEquals(100, vif.queue(0).counters().txPackets());
        assertEquals(100, counters.getCounterValue(counterId(vif.name() + " q0 tx packets")),
            "the driver publishes the queue's counters");
    }

    private int counterId(final String label)
    {
        final int[] found = {-1};
        counters.forEach((id, typeId, key, l) ->
        {
            if (label.equals(l))
            {
                found[0] = id;
            }
        });
        return found[0];
    }

    @Test
    void multiQueueKeysUnderQueueDirectories()
    {
        final NetFrontDriver a = new NetFrontDriver(
            NetFrontConfig.builder().firstGfn(0x100).splitEventChannels(true).queues(2).build());
        final NetFrontDriver b = new NetFrontDriver(NetFrontConfig.builder().firstGfn(0x100).build());
        final XenbusDevice da = guest("a", a, null);
        guest("b", b, null);
        assertEquals(XenbusState.CONNECTED, da.otherendState());
        assertEquals(2, a.queues());
        assertEquals("2", dom0.readString(da.nodePath() + "/multi-queue-num-queues"));
        assertNotNull(dom0.readString(da.nodePath() + "/queue-1/event-channel-rx"));
        final NetBackVif vif = netback.vif(backendBus.device("vif", da.frontendDomid(), "0"));
        assertEquals(2, vif.queueCount());
        // many flows from b spread over a's two queues, each received by the queue's own netfront
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[200]);
        int delivered = 0;
        for (int i = 0; i < 64; i++)
        {
            final int length = TestFrames.udp(frame, false, 50);
            TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_B, Ethernet.TYPE_IPV4);
            frame.putByte(14 + 12 + 3, (byte)i); // another source address: another flow
            assertTrue(b.netFront().send(frame, 0, length, 0, 0, 0));
            b.netFront().flush();
            pump();
        }
        final int[] perQueue = new int[2];
        for (int q = 0; q < 2; q++)
        {
            perQueue[q] = a.netFront(q).receive((buf, o, l, f, t, s) -> { }, 1000);
            delivered += perQueue[q];
        }
        assertEquals(64, delivered);
        assertTrue(perQueue[0] > 0 && perQueue[1] > 0, "both queues used: " + perQueue[0] + "/" + perQueue[1]);
    }

    @Test
    void controlRingNegotiatedThroughXenstoreSteersQueues()
    {
        final NetFrontDriver a = new NetFrontDriver(
            NetFrontConfig.builder().firstGfn(0x100).queues(2).controlRing(0x3F00).build());
        final XenbusDevice da = guest("a", a, null);
        assertEquals(XenbusState.CONNECTED, da.otherendState(),
            dom0.readOrNull("/local/domain/0/error/backend/vif/" + da.frontendDomid() + "/0/error"));
        assertNotNull(a.ctrl());
        assertNotNull(dom0.readString(da.nodePath() + "/ctrl-ring-ref"));
        final NetBackVif vif = netback.vif(backendBus.device("vif", da.frontendDomid(), "0"));
        assertNotNull(vif.ctrl());
        a.ctrl().post(Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM, Netif.XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ, 0,
            0);
        a.ctrl().post(Netif.XEN_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE, 0, 0, 0);
        pump();
        final CtrlResponse first = a.ctrl().poll();
        assertNotNull(first);
        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_SUCCESS, first.status());
        final CtrlResponse second = a.ctrl().poll();
        assertNotNull(second);
        assertEquals(128, second.data());
        assertNull(a.ctrl().poll(), "nothing more");
        assertEquals(Netif.XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ, vif.ctrl().hashConfig().algorithm());
    }

    @Test
    void frontendWithoutRxCopyIsRefused()
    {
        final int domid = hypervisor.createDomain("old", 64L << 20).domid();
        toolstack.createDomain(domid, "old");
        final XenbusDeviceSpec spec = spec(domid, "00:16:3e:00:00:09", null);
        toolstack.addDevice(spec);
        pump();
        // an old frontend: writes its rings but no request-rx-copy, and goes Connected
        final XsConnection guestXs = store.connect(domid);
        guestXs.write(spec.frontendPath() + "/tx-ring-ref", "8");
        guestXs.write(spec.frontendPath() + "/rx-ring-ref", "9");
        guestXs.write(spec.frontendPath() + "/event-channel", "1");
        guestXs.write(spec.frontendPath() + "/state", XenbusState.CONNECTED.toXenstore());
        pump();
        assertEquals(XenbusState.CLOSING, toolstack.backendState(spec));
        assertTrue(dom0.readString("/local/domain/0/error/backend/vif/" + domid + "/0/error").contains("rx-copy"));
        assertEquals(0, vswitch.ports().length);
    }

    @Test
    void badRingReferenceFailsTheConnectAndLeavesNothingMapped()
    {
        final int domid = hypervisor.createDomain("liar", 64L << 20).domid();
        toolstack.createDomain(domid, "liar");
        final XenbusDeviceSpec spec = spec(domid, "00:16:3e:00:00:0a", null);
        toolstack.addDevice(spec);
        pump();
        final XsConnection guestXs = store.connect(domid);
        final int port = hypervisor.eventChannels().allocUnbound(domid, 0).port();
        guestXs.write(spec.frontendPath() + "/tx-ring-ref", "30000");
        guestXs.write(spec.frontendPath() + "/rx-ring-ref", "9");
        guestXs.write(spec.frontendPath() + "/event-channel", Integer.toString(port));
        guestXs.write(spec.frontendPath() + "/request-rx-copy", "1");
        guestXs.write(spec.frontendPath() + "/state", XenbusState.CONNECTED.toXenstore());
        pump();
        assertEquals(XenbusState.CLOSING, toolstack.backendState(spec));
        assertTrue(dom0.readString("/local/domain/0/error/backend/vif/" + domid + "/0/error").contains("tx-ring-ref"));
        assertEquals(0, vswitch.ports().length);
        assertEquals(0, hypervisor.openGrantMappers(), "a failed connect closes its grant mapper");
    }

    @Test
    void secondQueueWithABadRingReleasesTheFirstQueuesMappings()
    {
        final int domid = hypervisor.createDomain("half", 64L << 20).domid();
        toolstack.createDomain(domid, "half");
        final XenbusDeviceSpec spec = spec(domid, "00:16:3e:00:00:0b", null);
        toolstack.addDevice(spec);
        pump();
        final NetFront good = new NetFront(domid, hypervisor.domain(domid).memory(),
            hypervisor.domain(domid).grantTable(), hypervisor.eventChannels(), 0, 0x100, FrontendFeatures.LINUX,
            false);
        final XsConnection guestXs = store.connect(domid);
        final String fe = spec.frontendPath();
        guestXs.write(fe + "/multi-queue-num-queues", "2");
        guestXs.write(fe + "/queue-0/tx-ring-ref", Integer.toString(good.txRingRef()));
        guestXs.write(fe + "/queue-0/rx-ring-ref", Integer.toString(good.rxRingRef()));
        guestXs.write(fe + "/queue-0/event-channel", Integer.toString(good.txEventPort().port()));
        guestXs.write(fe + "/queue-1/tx-ring-ref", Integer.toString(good.txRingRef() + 100_000));
        guestXs.write(fe + "/queue-1/rx-ring-ref", Integer.toString(good.rxRingRef()));
        guestXs.write(fe + "/queue-1/event-channel", Integer.toString(good.txEventPort().port()));
        guestXs.write(fe + "/request-rx-copy", "1");
        guestXs.write(fe + "/state", XenbusState.CONNECTED.toXenstore());
        pump();
        assertEquals(XenbusState.CLOSING, toolstack.backendState(spec));
        assertTrue(hypervisor.domain(domid).grantTable().endForeignAccessRef(good.txRingRef()),
            "queue 0's ring is no longer mapped by the backend");
        assertTrue(hypervisor.domain(domid).grantTable().endForeignAccessRef(good.rxRingRef()));
        assertEquals(0, vswitch.ports().length);
    }

    @Test
    void multicastControlIsReReadWhenTheFrontendReconfigures()
    {
        final NetFrontDriver a = new NetFrontDriver(NetFrontConfig.builder().firstGfn(0x100).build());
        final NetFrontDriver b = new NetFrontDriver(NetFrontConfig.builder().firstGfn(0x100).build());
        final XenbusDevice da = guest("a", a, null);
        guest("b", b, null);
        assertEquals("1", dom0.readString(da.otherendPath() + "/feature-dynamic-multicast-control"));
        final NetBackVif vif = netback.vif(backendBus.device("vif", da.frontendDomid(), "0"));
        assertFalse(vif.queue(0).multicastControl(), "not requested at connect");
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[100]);
        TestFrames.ethernet(frame, 0x01005E000001L, TestFrames.MAC_B, 0x88B5); // a group a never joined
        assertTrue(b.netFront().send(frame, 0, 100, 0, 0, 0));
        b.netFront().flush();
        pump();
        assertEquals(1, a.netFront().receive((buf, o, l, f, t, s) -> { }, 10), "unfiltered: delivered");

        final XsConnection guestXs = store.connect(da.frontendDomid());
        guestXs.write(da.nodePath() + "/request-multicast-control", "1");
        guestXs.write(da.nodePath() + "/state", XenbusState.RECONFIGURING.toXenstore());
        pump();
        assertEquals(XenbusState.RECONFIGURED, da.otherendState());
        assertTrue(vif.queue(0).multicastControl(), "re-read on reconfigure");
        final long dropsBefore = vif.queue(0).counters().rxDrops();
        assertTrue(b.netFront().send(frame, 0, 100, 0, 0, 0));
        b.netFront().flush();
        pump();
        assertEquals(0, a.netFront().receive((buf, o, l, f, t, s) -> { }, 10), "filtered now");
        assertEquals(dropsBefore + 1, vif.queue(0).counters().rxDrops());

        guestXs.write(da.nodePath() + "/request-multicast-control", "0");
        guestXs.write(da.nodePath() + "/state", XenbusState.RECONFIGURING.toXenstore());
        pump();
        assertFalse(vif.queue(0).multicastControl(), "and off again");
    }

    @Test
    void hotplugScriptHoldsInitWaitUntilHotplugStatusConnected()
    {
        final int domid = hypervisor.createDomain("hp", 64L << 20).domid();
        toolstack.createDomain(domid, "hp");
        final XenbusDeviceSpec spec = new XenbusDeviceSpec("vif", 0, domid, "0",
            Map.of("mac", "00:16:3e:00:00:0c", "handle", "0", "script", "vif-bridge"),
            Map.of("mac", "00:16:3e:00:00:0c"));
        toolstack.addDevice(spec);
        pump();
        assertEquals("1", dom0.readString(spec.backendPath() + "/feature-sg"), "probed");
        assertTrue(toolstack.backendState(spec) != XenbusState.INIT_WAIT, "held while the script runs");
        dom0.write(spec.backendPath() + "/hotplug-status", "busy");
        pump();
        assertTrue(toolstack.backendState(spec) != XenbusState.INIT_WAIT, "only 'connected' releases it");
        dom0.write(spec.backendPath() + "/hotplug-status", "connected");
        pump();
        assertEquals(XenbusState.INIT_WAIT, toolstack.backendState(spec));
        final NetFrontDriver front = new NetFrontDriver(NetFrontConfig.builder().firstGfn(0x100).build());
        final XenbusFrontend bus = new XenbusFrontend(store.connect(domid), services);
        frontendBuses.add(bus);
        final XenbusDevice device = bus.attach("vif", "0", front, true);
        pump();
        assertEquals(XenbusState.CONNECTED, device.otherendState());
        assertTrue(front.isBackendConnected());
    }

    @Test
    void withoutAScriptKeyInitWaitIsImmediate()
    {
        final int domid = hypervisor.createDomain("noscript", 64L << 20).domid();
        toolstack.createDomain(domid, "noscript");
        final XenbusDeviceSpec spec = spec(domid, "00:16:3e:00:00:0d", null);
        toolstack.addDevice(spec);
        pump();
        assertNull(dom0.readOrNull(spec.backendPath() + "/hotplug-status"));
        assertEquals(XenbusState.INIT_WAIT, toolstack.backendState(spec));
    }

    @Test
    void unplugDisconnectsAndReleasesEverything()
    {
        final NetFrontDriver a = new NetFrontDriver(NetFrontConfig.builder().firstGfn(0x100).build());
        final XenbusDevice da = guest("a", a, "10000000,50000");
        assertEquals(XenbusState.CONNECTED, da.otherendState());
        assertEquals(1, vswitch.ports().length);
        assertEquals(1, hypervisor.openGrantMappers());
        final String name = "vif" + da.frontendDomid() + ".0";
        assertTrue(counterId(name + " q0 rx packets") >= 0);
        toolstack.requestRemove(spec(da.frontendDomid(), "00:16:3e:00:00:01", null));
        pump();
        assertEquals(0, vswitch.ports().length);
        assertEquals(0, hypervisor.openGrantMappers(), "the vif's grant mapper was closed");
        assertEquals(-1, counterId(name + " q0 rx packets"), "its counters were freed");
        assertNull(a.netFront());
        assertEquals(XenbusState.CLOSED, toolstack.frontendState(spec(da.frontendDomid(), "x", null)));
    }
}
