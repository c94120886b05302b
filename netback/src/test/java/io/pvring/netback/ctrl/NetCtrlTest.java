package io.pvring.netback.ctrl;

import java.nio.ByteOrder;

import io.pvring.event.EventPort;
import io.pvring.grant.BackendGrantMapper;
import io.pvring.host.Domain;
import io.pvring.host.Hypervisor;
import io.pvring.netif.FrontendFeatures;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.NetBackVif;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.test.TestFrames;
import io.pvring.netback.vswitch.Offload;
import io.pvring.netback.vswitch.SwitchPort;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.netfront.FrameHandler;
import io.pvring.netfront.NetFront;
import io.pvring.netif.CtrlRequest;
import io.pvring.netif.CtrlResponse;
import io.pvring.netif.Netif;
import io.pvring.netif.NetifRings;
import io.pvring.ring.FrontRing;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A two-queue vif configured through its control ring by a guest that writes the ring by hand. */
class NetCtrlTest
{
    private static final long CTRL_GFN = 0x3000;
    private static final long KEY_GFN = 0x3001;
    private static final long MAP_GFN = 0x3002;
    private static final String RSS_KEY =
        "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa";

    private final Hypervisor hypervisor = new Hypervisor();
    private final VirtualSwitch vswitch = new VirtualSwitch();
    private final Domain guest = hypervisor.createDomain("g", 64L << 20);
    private final BackendGrantMapper mapper =
        hypervisor.grantMapper(0, guest.domid(), BackendGrantMapper.DEFAULT_MAX_MAPPINGS);
    private final NetFront q0 = new NetFront(guest.domid(), guest.memory(), guest.grantTable(),
        hypervisor.eventChannels(), 0, 0x100, FrontendFeatures.LINUX, false);
    private final NetFront q1 = new NetFront(guest.domid(), guest.memory(), guest.grantTable(),
        hypervisor.eventChannels(), 0, 0x100 + NetFront.PAGES, FrontendFeatures.LINUX, false);
    private final NetBackVif vif;
    private final FrontRing ctrl;
    private final EventPort ctrlPort;
    private final UnsafeBuffer keyPage = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer mapPage = new UnsafeBuffer(0, 0);
    private final int keyRef;
    private final int mapRef;
    private final UnsafeBuffer rsp = new UnsafeBuffer(new byte[16]);
    private int nextId;

    NetCtrlTest()
    {
        vif = NetBackVif.builder("vif1.0")
            .config(NetBackConfig.builder().maxQueues(2).build())
            .vswitch(vswitch)
            .mapper(mapper)
            .eventChannels(hypervisor.eventChannels(), 0, guest.domid())
            .queues(keys(q0), keys(q1))
            .features(FrontendFeatures.LINUX)
            .clock(() -> 0L)
            .fatalHandler(reason -> { })
            .connect()
            .orElseThrow();
        final UnsafeBuffer page = new UnsafeBuffer(0, 0);
        guest.memory().wrap(page, CTRL_GFN, 1);
        ctrl = new FrontRing(page, NetifRings.CTRL).init();
        final int ctrlRef = guest.grantTable().grantAccess(0, CTRL_GFN, false);
        ctrlPort = hypervisor.eventChannels().allocUnbound(guest.domid(), 0);
        final String error = vif.connectCtrl(ctrlRef, ctrlPort.port()).error();
        assertTrue(error == null, error);
        guest.memory().wrap(keyPage, KEY_GFN, 1);
        guest.memory().wrap(mapPage, MAP_GFN, 1);
        keyRef = guest.grantTable().grantAccess(0, KEY_GFN, true);
        mapRef = guest.grantTable().grantAccess(0, MAP_GFN, true);
    }

    private static NetBackVif.QueueKeys keys(final NetFront f)
    {
        return new NetBackVif.QueueKeys(f.txRingRef(), f.rxRingRef(), f.txEventPort().port(),
            f.rxEventPort().port());
    }

    @AfterEach
    void tearDown()
    {
        vif.close();
        assertEquals(0, mapper.liveMappings());
        hypervisor.close();
    }

    /** Sends one request and returns {status, data}. */
    private long[] call(final int type, final long d0, final long d1, final long d2)
    {
        final int id = nextId++;
        new CtrlRequest().wrap(ctrl.buffer(), ctrl.requestOffset()).id(id).type(type).data(0, d0).data(1, d1)
            .data(2, d2);
        ctrl.nextRequest();
        ctrl.pushRequestsAndCheckNotify();
        vif.doWork();
        assertEquals(1, ctrl.unconsumedResponses());
        ctrl.copyResponse(rsp, 0);
        final CtrlResponse r = new CtrlResponse().wrap(rsp, 0);
        assertEquals(id, r.id());
        assertEquals(type, r.type());
        return new long[]{r.status(), r.data()};
    }

    private long status(final int type, final long d0, final long d1, final long d2)
    {
        return call(type, d0, d1, d2)[0];
    }

    @Test
    void hashOperationsValidateAndSwapAtomically()
    {
        assertEquals(HashConfig.SUPPORTED_TYPES, call(Netif.XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS, 0, 0, 0)[1]);
        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER,
            status(Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS, Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV4, 0, 0),
            "flags need an algorithm first");
        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER,
            status(Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM, 2, 0, 0));
        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_SUCCESS,
            status(Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM, Netif.XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ, 0, 0));
        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER,
            status(Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS, 1 << 4, 0, 0));
        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_SUCCESS, status(Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS,
            Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV4 | Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP, 0, 0));

        keyPage.putBytes(0, java.util.HexFormat.of().parseHex(RSS_KEY));
        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER,
            status(Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_KEY, keyRef, 41, 0));
        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER,
            status(Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_KEY, 99_999, 40, 0), "bad grant");
        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_SUCCESS,
            status(Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_KEY, keyRef, 40, 0));
        assertEquals((byte)0x6d, vif.ctrl().hashConfig().keyByte(0));

        assertEquals(128, call(Netif.XEN_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE, 0, 0, 0)[1]);
        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER,
            status(Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE, 129, 0, 0));
        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_SUCCESS,
            status(Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE, 4, 0, 0));
        for (int i = 0; i < 4; i++)
        {
            mapPage.putInt(i * 4, 1, ByteOrder.LITTLE_ENDIAN);
        }
        mapPage.putInt(8, 2, ByteOrder.LITTLE_ENDIAN); // queue 2 does not exist
        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER,
            status(Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, mapRef, 4, 0));
        for (int i = 0; i < 4; i++)
        {
            assertEquals(0, vif.ctrl().hashConfig().mapping(i), "the rejected table left no trace (XSA-270)");
        }
        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER,
            status(Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, mapRef, 3, 2), "offset + length beyond size");
        mapPage.putInt(8, 1, ByteOrder.LITTLE_ENDIAN);
        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_SUCCESS,
            status(Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, mapRef, 4, 0));
        assertEquals(1, vif.ctrl().hashConfig().mapping(3));

        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED,
            status(Netif.XEN_NETIF_CTRL_TYPE_ADD_GREF_MAPPING, 0, 0, 0));
        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED, status(999, 0, 0, 0));

        // steering: every IPv4 flow now maps to queue 1
        final SwitchPort sender = vswitch.attach("sender", (b, o, l, f, t, s) -> true, Offload.CAP_ALL);
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[200]);
        for (int i = 0; i < 10; i++)
        {
            final int length = TestFrames.tcp(frame, false, 20 + i, 0x10);
            TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, Ethernet.TYPE_IPV4);
            sender.transmit(frame, 0, length, 0, 0, 0);
        }
        vif.doWork();
        assertEquals(0, vif.queue(0).counters().rxPackets());
        assertEquals(10, vif.queue(1).counters().rxPackets());
        assertEquals(10, q1.receive((b, o, l, f, t, s) -> { }, 100));
    }

    @Test
    void rxFramesCarryTheToeplitzHashExtraOnceAHashIsConfigured()
    {
        final SwitchPort sender = vswitch.attach("sender", (b, o, l, f, t, s) -> true, Offload.CAP_ALL);
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[200]);
        final int length = TestFrames.tcp(frame, false, 20, 0x10);
        TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, Ethernet.TYPE_IPV4);
        final long[] hashes = new long[4];
        final int[] count = new int[1];
        final FrameHandler onQ0 = (b, o, l, f, t, s) ->
        {
            hashes[count[0]++] = q0.rxHash();
            assertEquals(length, l, "an extra slot is not data");
        };
        final FrameHandler onQ1 = (b, o, l, f, t, s) -> hashes[count[0]++] = q1.rxHash();

        sender.transmit(frame, 0, length, 0, 0, 0);
        vif.doWork();
        assertEquals(1, q0.receive(onQ0, 10) + q1.receive(onQ1, 10));
        assertEquals(-1, hashes[0], "no hash configured: no hash extra");

        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_SUCCESS,
            status(Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM, Netif.XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ, 0, 0));
        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_SUCCESS, status(Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS,
            Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV4 | Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP, 0, 0));
        keyPage.putBytes(0, java.util.HexFormat.of().parseHex(RSS_KEY));
        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_SUCCESS,
            status(Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_KEY, keyRef, 40, 0));
        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_SUCCESS,
            status(Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE, 1, 0, 0));
        assertEquals(Netif.XEN_NETIF_CTRL_STATUS_SUCCESS, status(Netif.XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING,
            mapRef, 1, 0)); // mapPage is zeroed: every hash to queue 0
        count[0] = 0;
        final long slotsBefore = vif.queue(0).counters().rxSlots();
        sender.transmit(frame, 0, length, 0, 0, 0);
        vif.doWork();
        assertEquals(1, q0.receive(onQ0, 10), "the mapping steers it to queue 0");
        assertEquals(2, vif.queue(0).counters().rxSlots() - slotsBefore, "a data slot and the hash extra's slot");

        // the expected value, computed from the frame's 4-tuple by the Toeplitz function (checked against
        // Microsoft's RSS verification suite in ToeplitzTest)
        final UnsafeBuffer input = new UnsafeBuffer(new byte[12]);
        input.putBytes(0, frame, 14 + 12, 8); // IPv4 source and destination
        input.putBytes(8, frame, 14 + 20, 4); // TCP source and destination ports
        final byte[] key = java.util.HexFormat.of().parseHex(RSS_KEY);
        final long expected = Toeplitz.hash(key, key.length, input, 0, 12) & 0xFFFF_FFFFL;
        assertEquals(((long)Netif.XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP_BIT << 32) | expected, hashes[0]);
    }

    @Test
    void ctrlRingOverflowIsReported()
    {
        final boolean[] fatal = new boolean[1];
        final String[] error = new String[1];
        // a second control ring for the same guest, whose producer index lies
        final long gfn = 0x3010;
        final UnsafeBuffer page = new UnsafeBuffer(0, 0);
        guest.memory().wrap(page, gfn, 1);
        new FrontRing(page, NetifRings.CTRL).init();
        page.putIntRelease(0, 500);
        final NetCtrl lying = new NetCtrl(page, mapper, ctrlPort, 2, () -> fatal[0] = true);
        assertEquals(0, lying.doWork());
        assertTrue(fatal[0]);
        assertEquals(null, error[0]);
    }
}
