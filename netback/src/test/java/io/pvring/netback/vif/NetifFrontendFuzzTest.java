package io.pvring.netback.vif;

import java.util.ArrayList;
import java.util.List;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.pvring.event.EventPort;
import io.pvring.grant.BackendGrantMapper;
import io.pvring.host.Domain;
import io.pvring.host.Hypervisor;
import io.pvring.netback.ConnectResult;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.NetBackVif;
import io.pvring.netback.ctrl.NetCtrl;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.vswitch.SwitchPort;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.netback.test.TestFrames;
import io.pvring.netif.CtrlRequest;
import io.pvring.netif.CtrlResponse;
import io.pvring.netif.FrontendFeatures;
import io.pvring.netif.ExtraInfo;
import io.pvring.netif.Netif;
import io.pvring.netif.NetifRings;
import io.pvring.netif.RxRequest;
import io.pvring.netif.RxResponse;
import io.pvring.netif.TxRequest;
import io.pvring.netif.TxResponse;
import io.pvring.ring.FrontRing;
import io.pvring.ring.SharedRingDescriptor;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of what a netfront controls: TX chains with extra-info slots, RX requests and the
 * control ring, written by hand into the rings of a vif on the emulated hypervisor core (a hostile frontend, as in
 * {@link HostileFrontendTest}), while another port on the same switch sends it broadcast frames.
 *
 * <p>Invariants, after every step: no exception escapes the vif's agent; response statuses are those of
 * {@code netif.h}; the bytes of a TX or control slot beyond its response are cleared or still the request's;
 * an RX response names a posted request, stays inside its page and the bytes it announces were written by the
 * backend; a page granted read-only and a page not granted at all never change; control responses echo id and
 * type. At the end two terminating slots are published: then either the vif was disabled (a fatal error, reported
 * once) or every TX and control request was answered. Regression inputs live in
 * {@code NetifFrontendFuzzTestInputs/}.
 */
class NetifFrontendFuzzTest
{
    private static final long TX_GFN = 0x80;
    private static final long RX_GFN = 0x81;
    private static final long CTRL_GFN = 0x82;
    private static final long DATA_GFN = 0x90;
    private static final int DATA_PAGES = 4;
    /** Granted read-only: the backend may read it, never write it. */
    private static final long RO_GFN = 0xA0;
    /** Never granted: nothing may touch it. */
    private static final long CANARY_GFN = 0xA1;
    private static final int PAGE = 4096;
    private static final byte FILL = 0x11;
    private static final byte PAYLOAD = (byte)0xA5;
    private static final int MAX_STEPS = 64;

    @FuzzTest
    void rings(final FuzzedDataProvider data)
    {
        try (Harness h = new Harness())
        {
            for (int step = 0; step < MAX_STEPS && data.remainingBytes() > 0; step++)
            {
                switch (data.consumeInt(0, 6))
                {
                    case 0, 1 -> h.txSlots(data);
                    case 2 -> h.rxRequests(data);
                    case 3 -> h.ctrlRequest(data);
                    case 4 -> h.peerSends(data.consumeInt(14, 1514));
                    case 5 -> h.txJump(data.consumeInt(0, 2 * NetifRings.TX_RING_SIZE));
                    default -> h.pump();
                }
                h.check();
            }
            h.finish();
        }
    }

    private static final class Harness implements AutoCloseable
    {
        final Hypervisor hypervisor = new Hypervisor();
        final VirtualSwitch vswitch = new VirtualSwitch();
        /** Another guest on the switch, reduced to its port: it sends broadcasts and takes whatever comes. */
        final SwitchPort peer = vswitch.attach("peer", (b, o, l, f, t, s) -> true, 0);
        final Domain evil = hypervisor.createDomain("evil", 16L << 20);
        final BackendGrantMapper mapper =
            hypervisor.grantMapper(Hypervisor.DOM0, evil.domid(), BackendGrantMapper.DEFAULT_MAX_MAPPINGS);
        final List<String> fatal = new ArrayList<>();
        final NetBackVif vif;
        final UnsafeBuffer tx = page(TX_GFN);
        final UnsafeBuffer rx = page(RX_GFN);
        final UnsafeBuffer ctrl = page(CTRL_GFN);
        final UnsafeBuffer ro = page(RO_GFN);
        final UnsafeBuffer canary = page(CANARY_GFN);
        final UnsafeBuffer[] dataPages = new UnsafeBuffer[DATA_PAGES];
        /** Grant refs a request may name: data pages (writable), the read-only page, a ring, and junk. */
        final int[] refs = new int[DATA_PAGES + 4];
        final byte[] txShadow = new byte[PAGE];
        final byte[] roBefore = new byte[PAGE];
        final byte[] canaryBefore = new byte[PAGE];
        final int[] rxPostedRef = new int[NetifRings.RX_RING_SIZE];
        final boolean[] rxIdPosted = new boolean[0x10000];
        final TxRequest txRequest = new TxRequest();
        final TxResponse txResponse = new TxResponse();
        final ExtraInfo extra = new ExtraInfo();
        final RxRequest rxRequest = new RxRequest();
        final RxResponse rxResponse = new RxResponse();
        final CtrlRequest ctrlRequest = new CtrlRequest();
        final CtrlResponse ctrlResponse = new CtrlResponse();
        final int[] ctrlTypes = new int[NetifRings.CTRL.entries()];
        final int[] ctrlIds = new int[NetifRings.CTRL.entries()];
        final byte[] ctrlShadow = new byte[NetifRings.CTRL.entries() * NetifRings.CTRL_SLOT_BYTES];
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[1514]);
        int txProd;
        int txSeen;
        int rxProd;
        int rxSeen;
        boolean rxExtraNext;
        int ctrlProd;
        int ctrlSeen;
        boolean ctrlConnected;

        Harness()
        {
            for (int i = 0; i < DATA_PAGES; i++)
            {
                dataPages[i] = page(DATA_GFN + i);
                dataPages[i].setMemory(0, PAGE, FILL);
                refs[i] = grant(DATA_GFN + i, false);
            }
            ro.setMemory(0, PAGE, (byte)0x3C);
            canary.setMemory(0, PAGE, (byte)0xC3);
            ro.getBytes(0, roBefore);
            canary.getBytes(0, canaryBefore);
            refs[DATA_PAGES] = grant(RO_GFN, true);
            final int txRef = grant(TX_GFN, false);
            final int rxRef = grant(RX_GFN, false);
            final int ctrlRef = grant(CTRL_GFN, false);
            refs[DATA_PAGES + 1] = rxRef;
            refs[DATA_PAGES + 2] = 0; // a reserved ref
            refs[DATA_PAGES + 3] = 0xFFFF_FFF0;
            new FrontRing(tx, NetifRings.TX).init();
            new FrontRing(rx, NetifRings.RX).init();
            new FrontRing(ctrl, NetifRings.CTRL).init();
            final EventPort txPort = hypervisor.eventChannels().allocUnbound(evil.domid(), Hypervisor.DOM0);
            final EventPort rxPort = hypervisor.eventChannels().allocUnbound(evil.domid(), Hypervisor.DOM0);
            final EventPort ctrlPort = hypervisor.eventChannels().allocUnbound(evil.domid(), Hypervisor.DOM0);
            vif = NetBackVif.builder("vif" + evil.domid() + ".0")
                .config(NetBackConfig.builder().rxBacklogBytes(256 << 10).build())
                .vswitch(vswitch)
                .mapper(mapper)
                .eventChannels(hypervisor.eventChannels(), Hypervisor.DOM0, evil.domid())
                .queues(new NetBackVif.QueueKeys(txRef, rxRef, txPort.port(), rxPort.port()))
                .features(FrontendFeatures.LINUX)
                .clock(() -> 1_000_000_000L)
                .fatalHandler(fatal::add)
                .connect()
                .orElseThrow();
            final ConnectResult<NetCtrl> ctrlResult = vif.connectCtrl(ctrlRef, ctrlPort.port());
            ctrlConnected = ctrlResult.isOk();
            assertTrue(ctrlConnected, () -> "connectCtrl: " + ctrlResult.error());
        }

        private UnsafeBuffer page(final long gfn)
        {
            final UnsafeBuffer b = new UnsafeBuffer(0, 0);
            assertTrue(evil.memory().wrap(b, gfn, 1), "gfn " + gfn);
            return b;
        }

        private int grant(final long gfn, final boolean readonly)
        {
            return evil.grantTable().grantAccess(Hypervisor.DOM0, gfn, readonly);
        }

        private int ref(final FuzzedDataProvider data)
        {
            return data.consumeInt(0, 7) == 0 ? data.consumeInt() : data.pickValue(refs);
        }

        /** A run of TX slots: data slots (any flags) or extra-info slots, then the producer index. */
        void txSlots(final FuzzedDataProvider data)
        {
            final int slots = data.consumeInt(1, 24);
            for (int i = 0; i < slots && txProd - txSeen < NetifRings.TX_RING_SIZE; i++)
            {
                final int offset = NetifRings.TX.slotOffset(txProd);
                if (data.consumeBoolean())
                {
                    txRequest.wrap(tx, offset)
                        .gref(ref(data))
                        .pageOffset(data.consumeBoolean() ? data.consumeInt(0, 64) : data.consumeInt(0, 0xFFFF))
                        .flags(data.consumeInt(0, 15))
                        .id(data.consumeInt(0, 0xFFFF))
                        .size(data.consumeBoolean() ? data.consumeInt(0, 2048) : data.consumeInt(0, 0xFFFF));
                }
                else
                {
                    extra.wrap(tx, offset).clear()
                        .type(data.consumeInt(0, Netif.XEN_NETIF_EXTRA_TYPE_MAX))
                        .flags(data.consumeInt(0, 1))
                        .gsoSize(data.consumeInt(0, 0xFFFF))
                        .gsoType(data.consumeInt(0, 3));
                    if (data.consumeBoolean())
                    {
                        tx.putBytes(offset + ExtraInfo.U_OFFSET, data.consumeBytes(6));
                    }
                }
                tx.getBytes(offset, txShadow, offset, NetifRings.TX_SLOT_BYTES);
                txProd++;
            }
            tx.putIntRelease(SharedRingDescriptor.REQ_PROD_OFFSET, txProd); // requests before the index
            pump();
        }

        /** A guest that moves its producer index by {@code n} without writing slots (beyond the ring: fatal). */
        void txJump(final int n)
        {
            txProd += n;
            tx.putIntRelease(SharedRingDescriptor.REQ_PROD_OFFSET, txProd);
            pump();
        }

        void rxRequests(final FuzzedDataProvider data)
        {
            final int n = data.consumeInt(1, 16);
            for (int i = 0; i < n && rxProd - rxSeen < NetifRings.RX_RING_SIZE; i++)
            {
                final int id = data.consumeBoolean() ? rxProd & 0xFF : data.consumeInt(0, 0xFFFF);
                final int gref = ref(data);
                rxRequest.wrap(rx, NetifRings.RX.slotOffset(rxProd)).id(id).gref(gref);
                rxPostedRef[rxProd & (NetifRings.RX_RING_SIZE - 1)] = gref;
                rxIdPosted[id] = true;
                rxProd++;
            }
            rx.putIntRelease(SharedRingDescriptor.REQ_PROD_OFFSET, rxProd);
            pump();
        }

        void ctrlRequest(final FuzzedDataProvider data)
        {
            if (ctrlProd - ctrlSeen >= NetifRings.CTRL.entries())
            {
                return;
            }
            final int slot = ctrlProd & (NetifRings.CTRL.entries() - 1);
            ctrlIds[slot] = data.consumeInt(0, 0xFFFF);
            ctrlTypes[slot] = data.consumeInt(0, 11);
            ctrlRequest.wrap(ctrl, NetifRings.CTRL.slotOffset(ctrlProd)).id(ctrlIds[slot]).type(ctrlTypes[slot]);
            for (int i = 0; i < CtrlRequest.DATA_COUNT; i++)
            {
                final long v = switch (data.consumeInt(0, 3))
                {
                    case 0 -> data.pickValue(refs) & 0xFFFF_FFFFL;
                    case 1 -> data.consumeInt(0, 64);
                    case 2 -> data.consumeInt(0, PAGE + 8);
                    default -> data.consumeInt() & 0xFFFF_FFFFL;
                };
                ctrlRequest.data(i, v);
            }
            ctrl.getBytes(NetifRings.CTRL.slotOffset(ctrlProd), ctrlShadow, slot * NetifRings.CTRL_SLOT_BYTES,
                NetifRings.CTRL_SLOT_BYTES);
            ctrlProd++;
            ctrl.putIntRelease(SharedRingDescriptor.REQ_PROD_OFFSET, ctrlProd);
            pump();
        }

        void peerSends(final int length)
        {
            TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_B, 0x88B5);
            frame.setMemory(14, length - 14, PAYLOAD);
            peer.transmit(frame, 0, length, 0, 0, 0);
            pump();
        }

        void pump()
        {
            for (int round = 0; round < 64; round++)
            {
                if (vif.doWork() == 0)
                {
                    return;
                }
            }
        }

        void check()
        {
            final byte[] now = new byte[PAGE];
            ro.getBytes(0, now);
            assertArrayEquals(roBefore, now, "the backend wrote into a page granted read-only");
            canary.getBytes(0, now);
            assertArrayEquals(canaryBefore, now, "the backend wrote into a page never granted");
            assertTrue(fatal.size() <= 1, "fatal errors reported more than once: " + fatal);
            checkTxResponses();
            checkRxResponses();
            checkCtrlResponses();
        }

        private void checkTxResponses()
        {
            final int rspProd = tx.getIntVolatile(SharedRingDescriptor.RSP_PROD_OFFSET);
            if (vif.isDisabled())
            {
                txSeen = rspProd;
                return;
            }
            assertTrue(rspProd - txSeen >= 0 && rspProd - txProd <= 0,
                "TX rsp_prod=" + rspProd + " outside [" + txSeen + ", " + txProd + "]");
            for (; txSeen != rspProd; txSeen++)
            {
                final int offset = NetifRings.TX.slotOffset(txSeen);
                final int status = txResponse.wrap(tx, offset).status();
                assertTrue(status >= Netif.NETIF_RSP_DROPPED && status <= Netif.NETIF_RSP_NULL,
                    "TX status " + status + " at " + txSeen);
                for (int i = TxResponse.LENGTH; i < NetifRings.TX_SLOT_BYTES; i++)
                {
                    final byte b = tx.getByte(offset + i);
                    assertTrue(b == 0 || b == txShadow[offset + i],
                        "TX response at " + txSeen + " left byte " + i + " neither cleared nor the request's: " + b);
                }
            }
        }

        private void checkRxResponses()
        {
            final int rspProd = rx.getIntVolatile(SharedRingDescriptor.RSP_PROD_OFFSET);
            if (vif.isDisabled())
            {
                rxSeen = rspProd;
                return;
            }
            assertTrue(rspProd - rxSeen >= 0 && rspProd - rxProd <= 0,
                "RX rsp_prod=" + rspProd + " outside [" + rxSeen + ", " + rxProd + "]");
            for (; rxSeen != rspProd; rxSeen++)
            {
                final int offset = NetifRings.RX.slotOffset(rxSeen);
                if (rxExtraNext)
                {
                    rxExtraNext = 0 != (extra.wrap(rx, offset).flags() & Netif.XEN_NETIF_EXTRA_FLAG_MORE);
                    continue;
                }
                rxResponse.wrap(rx, offset);
                final int status = rxResponse.status();
                assertTrue(rxIdPosted[rxResponse.id()], "RX response id " + rxResponse.id() + " never posted");
                assertTrue(status >= Netif.NETIF_RSP_DROPPED && status <= PAGE, "RX status " + status);
                rxExtraNext = 0 != (rxResponse.flags() & Netif.NETRXF_EXTRA_INFO);
                if (status > 0)
                {
                    final int at = rxResponse.pageOffset();
                    assertTrue(at + status <= PAGE, "RX data " + at + "+" + status + " crosses its page");
                    checkFrameBytes(rxPostedRef[rxSeen & (NetifRings.RX_RING_SIZE - 1)], at, status);
                }
            }
        }

        /** Bytes announced in an RX response are the peer's frame: its header or payload, never stale memory. */
        private void checkFrameBytes(final int gref, final int at, final int length)
        {
            for (int p = 0; p < DATA_PAGES; p++)
            {
                if (refs[p] == gref)
                {
                    for (int i = at; i < at + length; i++)
                    {
                        final byte b = dataPages[p].getByte(i);
                        assertTrue(b != FILL, "RX response announces byte " + i + " the backend never wrote");
                    }
                    return;
                }
            }
        }

        private void checkCtrlResponses()
        {
            final int rspProd = ctrl.getIntVolatile(SharedRingDescriptor.RSP_PROD_OFFSET);
            if (vif.isDisabled() || !fatal.isEmpty())
            {
                ctrlSeen = rspProd;
                return;
            }
            assertTrue(rspProd - ctrlSeen >= 0 && rspProd - ctrlProd <= 0,
                "ctrl rsp_prod=" + rspProd + " outside [" + ctrlSeen + ", " + ctrlProd + "]");
            for (; ctrlSeen != rspProd; ctrlSeen++)
            {
                final int slot = ctrlSeen & (NetifRings.CTRL.entries() - 1);
                ctrlResponse.wrap(ctrl, NetifRings.CTRL.slotOffset(ctrlSeen));
                assertEquals(ctrlIds[slot], ctrlResponse.id(), "ctrl response id");
                assertEquals(ctrlTypes[slot], ctrlResponse.type(), "ctrl response type");
                final long status = ctrlResponse.status();
                assertTrue(status >= Netif.XEN_NETIF_CTRL_STATUS_SUCCESS &&
                    status <= Netif.XEN_NETIF_CTRL_STATUS_BUFFER_OVERFLOW, "ctrl status " + status);
                final int offset = NetifRings.CTRL.slotOffset(ctrlSeen);
                for (int i = CtrlResponse.LENGTH; i < NetifRings.CTRL_SLOT_BYTES; i++)
                {
                    final byte b = ctrl.getByte(offset + i);
                    assertTrue(b == 0 || b == ctrlShadow[slot * NetifRings.CTRL_SLOT_BYTES + i],
                        "ctrl response at " + ctrlSeen + " left byte " + i + " neither cleared nor the request's");
                }
            }
        }

        /** Two terminating slots end any chain; then everything is answered unless the vif was disabled. */
        void finish()
        {
            for (int i = 0; i < 2 && txProd - txSeen < NetifRings.TX_RING_SIZE; i++)
            {
                final int offset = NetifRings.TX.slotOffset(txProd);
                tx.setMemory(offset, NetifRings.TX_SLOT_BYTES, (byte)0);
                txRequest.wrap(tx, offset).gref(refs[0]).pageOffset(0).flags(0).id(i).size(60);
                tx.getBytes(offset, txShadow, offset, NetifRings.TX_SLOT_BYTES);
                txProd++;
            }
            tx.putIntRelease(SharedRingDescriptor.REQ_PROD_OFFSET, txProd);
            pump();
            check();
            if (!vif.isDisabled())
            {
                assertEquals(txProd, tx.getIntVolatile(SharedRingDescriptor.RSP_PROD_OFFSET),
                    "TX requests left unanswered by a vif that is not disabled");
                if (fatal.isEmpty())
                {
                    assertEquals(ctrlProd, ctrl.getIntVolatile(SharedRingDescriptor.RSP_PROD_OFFSET),
                        "control requests left unanswered");
                }
            }
            else
            {
                assertEquals(1, fatal.size(), "a disabled vif reports why, once: " + fatal);
            }
        }

        @Override
        public void close()
        {
            vif.close();
            mapper.close();
            peer.detach();
            hypervisor.close();
        }
    }
}
