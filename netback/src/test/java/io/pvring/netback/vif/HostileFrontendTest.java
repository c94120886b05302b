package io.pvring.netback.vif;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import io.pvring.netif.FrontendFeatures;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.test.NetRig;
import io.pvring.netback.test.TestFrames;
import io.pvring.netif.ExtraInfo;
import io.pvring.netif.Netif;
import io.pvring.netif.NetifRings;
import io.pvring.netif.TxRequest;
import io.pvring.netif.TxResponse;
import io.pvring.ring.SharedRingDescriptor;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A frontend that writes the TX ring by hand. Linux netback's fatal cases disable that vif only; ordinary bad packets
 * are answered {@code NETIF_RSP_ERROR}; the other guests keep talking.
 */
class HostileFrontendTest
{
    private static final long DATA_GFN = 0x2000;

    private final NetRig rig = new NetRig();
    private NetRig.Guest evil;
    private NetRig.Guest b;
    private NetRig.Guest c;
    private final UnsafeBuffer ring = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer data = new UnsafeBuffer(0, 0);
    private final TxRequest request = new TxRequest();
    private int dataRef;
    private int reqProd;
    private final List<byte[]> atB = new ArrayList<>();

    @BeforeEach
    void setUp()
    {
        evil = rig.addGuest("evil", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
        b = rig.addGuest("b", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
        c = rig.addGuest("c", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
        assertTrue(evil.domain.memory().wrap(ring, NetRig.FIRST_GFN, 1));
        assertTrue(evil.domain.memory().wrap(data, DATA_GFN, 1));
        dataRef = evil.domain.grantTable().grantAccess(0, DATA_GFN, true);
        TestFrames.ethernet(data, Ethernet.BROADCAST, TestFrames.MAC_A, 0x88B5);
        TestFrames.fillPayload(data, 14, 4096 - 14, 1);
    }

    @AfterEach
    void tearDown()
    {
        rig.close();
    }

    private void put(final int gref, final int offset, final int flags, final int id, final int size)
    {
        request.wrap(ring, NetifRings.TX.slotOffset(reqProd++)).gref(gref).pageOffset(offset).flags(flags).id(id)
            .size(size);
    }

    private void putExtra(final int type, final int flags, final int gsoSize, final int gsoType)
    {
        new ExtraInfo().wrap(ring, NetifRings.TX.slotOffset(reqProd++)).clear().type(type).flags(flags)
            .gsoSize(gsoSize).gsoType(gsoType);
    }

    private void publish()
    {
        ring.putIntRelease(SharedRingDescriptor.REQ_PROD_OFFSET, reqProd);
        rig.pump();
    }

    private int status(final int index)
    {
        return new TxResponse().wrap(ring, NetifRings.TX.slotOffset(index)).status();
    }

    private int rspProd()
    {
        return ring.getIntVolatile(SharedRingDescriptor.RSP_PROD_OFFSET);
    }

    private void assertOthersStillTalk()
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[100]);
        TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_B, 0x88B5);
        assertTrue(c.front.send(frame, 0, 100, 0, 0, 0));
        c.front.flush();
        rig.pump();
        assertEquals(1, b.front.receive(this::collect, 10));
    }

    private void collect(final DirectBuffer buffer, final int offset, final int length, final int f, final int t,
        final int s)
    {
        final byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        atB.add(copy);
    }

    private void assertFatal()
    {
        assertTrue(evil.vif.isDisabled());
        assertEquals(1, evil.fatal.size(), evil.fatal.toString());
        assertOthersStillTalk();
        assertFalse(b.vif.isDisabled() || c.vif.isDisabled());
    }

    @Test
    void producerIndexBeyondTheRingDisablesTheVif()
    {
        reqProd = NetifRings.TX_RING_SIZE + 1;
        publish();
        assertFatal();
        assertTrue(evil.fatal.get(0).contains("overflow"), evil.fatal.toString());
    }

    private void chain(final int slots)
    {
        for (int i = 0; i < slots - 1; i++)
        {
            put(dataRef, 0, Netif.NETTXF_MORE_DATA, i, i == 0 ? slots * 10 : 10);
        }
        put(dataRef, 0, 0, slots - 1, 10);
    }

    @Test
    void moreThanTwentyFollowOnSlotsAreFatalNineteenOrTwentyAnError()
    {
        chain(20);
        chain(21);
        publish();
        assertFalse(evil.vif.isDisabled());
        assertEquals(41, rspProd());
        for (int i = 0; i < 41; i++)
        {
            assertEquals(Netif.NETIF_RSP_ERROR, status(i), "slot " + i);
        }
        chain(22);
        publish();
        assertFatal();
    }

    @Test
    void nineteenSlotsAreAcceptedAsLinuxDoes()
    {
        chain(19);
        publish();
        assertEquals(19, rspProd());
        assertEquals(Netif.NETIF_RSP_OKAY, status(0));
        assertEquals(1, b.front.receive(this::collect, 10));
        assertEquals(190, atB.get(0).length);
    }

    @Test
    void eighteenSlotsAreAccepted()
    {
        for (int i = 0; i < 17; i++)
        {
            put(dataRef, 0, Netif.NETTXF_MORE_DATA, i, i == 0 ? 18 * 100 : 100);
        }
        put(dataRef, 0, 0, 17, 100);
        publish();
        assertEquals(18, rspProd());
        assertEquals(Netif.NETIF_RSP_OKAY, status(0));
        assertEquals(1, b.front.receive(this::collect, 10));
        assertEquals(1800, atB.get(0).length);
    }

    @Test
    void slotCrossingItsPageIsFatal()
    {
        put(dataRef, 0, Netif.NETTXF_MORE_DATA, 0, 300);
        put(dataRef, 4000, 0, 1, 200);
        publish();
        assertFatal();
        assertTrue(evil.fatal.get(0).contains("crosses"));
    }

    @Test
    void firstSlotCrossingItsPageIsFatal()
    {
        put(dataRef, 4000, 0, 0, 200);
        publish();
        assertFatal();
    }

    @Test
    void packetLargerThan65535IsDroppedNotFatal()
    {
        put(dataRef, 0, Netif.NETTXF_MORE_DATA, 0, 65535);
        for (int i = 1; i < 17; i++)
        {
            put(dataRef, 0, Netif.NETTXF_MORE_DATA, i, 4096);
        }
        put(dataRef, 0, 0, 17, 4096); // 17 * 4096 = 69632 > 65535
        publish();
        assertFalse(evil.vif.isDisabled());
        assertEquals(18, rspProd());
        assertEquals(Netif.NETIF_RSP_ERROR, status(0));
        assertEquals(Netif.NETIF_RSP_ERROR, status(17));
        assertEquals(0, b.front.receive(this::collect, 10));
    }

    @Test
    void badGrantReferencesAreAnsweredWithErrors()
    {
        put(0x7FFF_FFF0, 0, 0, 0, 100);
        put(dataRef, 0, Netif.NETTXF_MORE_DATA, 1, 200);
        put(12345, 0, 0, 2, 100);
        final int writable = evil.domain.grantTable().grantAccess(7, DATA_GFN, false); // granted to another domain
        put(writable, 0, 0, 3, 100);
        publish();
        assertFalse(evil.vif.isDisabled());
        assertEquals(4, rspProd());
        assertEquals(Netif.NETIF_RSP_ERROR, status(0));
        assertEquals(Netif.NETIF_RSP_ERROR, status(1));
        assertEquals(Netif.NETIF_RSP_ERROR, status(2));
        assertEquals(Netif.NETIF_RSP_ERROR, status(3));
        assertEquals(3, evil.vif.queue(0).counters().txErrors());
        assertOthersStillTalk();
    }

    @Test
    void zeroSizeFragmentsAreAnsweredWithoutTouchingTheirGrant()
    {
        put(dataRef, 0, Netif.NETTXF_MORE_DATA, 0, 100);
        put(0x7FFF_FFF0, 0, Netif.NETTXF_MORE_DATA, 1, 0);
        put(0x7FFF_FFF1, 4096, Netif.NETTXF_MORE_DATA, 2, 0);
        put(dataRef, 50, 0, 3, 50);
        publish();
        assertEquals(4, rspProd());
        for (int i = 0; i < 4; i++)
        {
            assertEquals(Netif.NETIF_RSP_OKAY, status(i));
        }
        assertEquals(2, evil.vif.queue(0).counters().txZeroSlots());
        assertEquals(1, b.front.receive(this::collect, 10));
        final byte[] expected = new byte[100];
        data.getBytes(0, expected, 0, 50);
        data.getBytes(50, expected, 50, 50);
        assertArrayEquals(expected, atB.get(0));
    }

    @Test
    void headersSplitOverTinySlotsArriveContiguous()
    {
        final int total = 14 + 20 + 8 + 10;
        put(dataRef, 0, Netif.NETTXF_MORE_DATA, 0, total);
        int offset = 1;
        for (int i = 1; i < total && i < 18; i++)
        {
            final boolean last = i == 17 || offset + 1 >= total;
            final int size = last ? total - offset : 1;
            put(dataRef, offset, last ? 0 : Netif.NETTXF_MORE_DATA, i, size);
            offset += size;
            if (last)
            {
                break;
            }
        }
        publish();
        assertFalse(evil.vif.isDisabled());
        assertEquals(1, b.front.receive(this::collect, 10));
        final byte[] expected = new byte[total];
        data.getBytes(0, expected);
        assertArrayEquals(expected, atB.get(0));
    }

    @Test
    void chainLongerThanPublishedIsFatal()
    {
        put(dataRef, 0, Netif.NETTXF_MORE_DATA, 0, 200);
        put(dataRef, 0, Netif.NETTXF_MORE_DATA, 1, 100);
        publish();
        assertFatal();
    }

    @Test
    void invalidExtraTypeAndZeroGsoSizeAreFatal()
    {
        put(dataRef, 0, Netif.NETTXF_EXTRA_INFO, 0, 100);
        putExtra(Netif.XEN_NETIF_EXTRA_TYPE_MAX, 0, 0, 0);
        publish();
        assertFatal();
    }

    @Test
    void zeroGsoSizeIsFatal()
    {
        put(dataRef, 0, Netif.NETTXF_EXTRA_INFO, 0, 100);
        putExtra(Netif.XEN_NETIF_EXTRA_TYPE_GSO, 0, 0, Netif.XEN_NETIF_GSO_TYPE_TCPV4);
        publish();
        assertFatal();
    }

    @Test
    void runtIsAnError()
    {
        put(dataRef, 0, 0, 0, 13);
        put(dataRef, 0, 0, 1, 60);
        publish();
        assertEquals(Netif.NETIF_RSP_ERROR, status(0));
        assertEquals(Netif.NETIF_RSP_OKAY, status(1));
        assertFalse(evil.vif.isDisabled());
    }

    @Test
    void extraInfoResponsesAreNullAndTheRestOfTheSlotIsClean()
    {
        put(dataRef, 0, Netif.NETTXF_EXTRA_INFO, 9, 100);
        putExtra(Netif.XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 0, 0, 0);
        new ExtraInfo().wrap(ring, NetifRings.TX.slotOffset(1)).mcastAddr(0x0100_5E00_0001L);
        publish();
        assertEquals(2, rspProd());
        assertEquals(Netif.NETIF_RSP_OKAY, status(0));
        assertEquals(9, new TxResponse().wrap(ring, NetifRings.TX.slotOffset(0)).id());
        assertEquals(Netif.NETIF_RSP_NULL, status(1));
        assertEquals(0L, ring.getLong(NetifRings.TX.slotOffset(0) + TxResponse.LENGTH, ByteOrder.LITTLE_ENDIAN));
        assertNull(evil.vif.queue(0).fatalReason());
    }

    @Test
    void rxStallIsDetectedAndNewFramesAreDropped()
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[1514]);
        TestFrames.ethernet(frame, TestFrames.MAC_B, TestFrames.MAC_A, 0x88B5);
        for (int i = 0; i < 300; i++)
        {
            assertTrue(c.front.send(frame, 0, 1514, 0, 0, 0) || flushAndRetry(frame));
        }
        c.front.flush();
        rig.pump();
        assertEquals(256, b.vif.queue(0).counters().rxPackets());
        assertFalse(b.vif.queue(0).isRxStalled());
        rig.nanos += NetBackConfig.DEFAULT_RX_STALL_NANOS + 1;
        rig.pump();
        rig.nanos += 1;
        rig.pump();
        assertTrue(b.vif.queue(0).isRxStalled());
        assertEquals(1, b.vif.queue(0).counters().rxStalls());
        assertEquals(0, b.vif.queue(0).rxBacklogBytes(), "a stalled guest's backlog is dropped");
        // the guest wakes up and posts buffers: carrier on again
        assertEquals(256, b.front.receive(this::collect, 1000));
        rig.pump();
        assertFalse(b.vif.queue(0).isRxStalled());
        assertOthersStillTalk();
    }

    @Test
    void framesWaitingLongerThanTheDrainTimeoutAreDropped()
    {
        try (NetRig quiet = new NetRig())
        {
            final FrontendFeatures noRxNotify = new FrontendFeatures(true, true, true, true, true, false, false);
            final NetRig.Guest sender = quiet.addGuest("s", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
            final NetRig.Guest sleepy = quiet.addGuest("z", NetBackConfig.builder().build(), noRxNotify);
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[100]);
            TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, 0x88B5);
            for (int i = 0; i < 300; i++)
            {
                assertTrue(sender.front.send(frame, 0, 100, 0, 0, 0));
                if (i % 100 == 99)
                {
                    sender.front.flush();
                    quiet.pump();
                }
            }
            assertEquals(256, sleepy.vif.queue(0).counters().rxPackets());
            assertTrue(sleepy.vif.queue(0).rxBacklogBytes() > 0);
            quiet.nanos += NetBackConfig.DEFAULT_RX_DRAIN_NANOS + 1;
            quiet.pump();
            assertEquals(0, sleepy.vif.queue(0).rxBacklogBytes(), "drained");
            assertEquals(44, sleepy.vif.queue(0).counters().rxDrops());
            assertFalse(sleepy.vif.queue(0).isRxStalled(), "no stall detection without feature-rx-notify");
        }
    }

    @Test
    void netfrontStopsTrustingABackendThatOverflowsItsResponses()
    {
        final UnsafeBuffer rx = new UnsafeBuffer(0, 0);
        assertTrue(b.domain.memory().wrap(rx, NetRig.FIRST_GFN + 1, 1));
        rx.putIntRelease(SharedRingDescriptor.RSP_PROD_OFFSET, 1000);
        assertEquals(0, b.front.receive(this::collect, 10));
        assertTrue(b.front.brokenReason().contains("overflow"), b.front.brokenReason());
    }

    @Test
    void netfrontRejectsAResponseOutsideItsPage()
    {
        final UnsafeBuffer rx = new UnsafeBuffer(0, 0);
        assertTrue(b.domain.memory().wrap(rx, NetRig.FIRST_GFN + 1, 1));
        new io.pvring.netif.RxResponse().wrap(rx, NetifRings.RX.slotOffset(0)).id(0).pageOffset(4000).flags(0)
            .status(500);
        rx.putIntRelease(SharedRingDescriptor.RSP_PROD_OFFSET, 1);
        assertEquals(0, b.front.receive(this::collect, 10));
        assertEquals(1, b.front.rxErrors());
        assertTrue(atB.isEmpty());
    }

    @Test
    void netfrontRejectsAnRxChainLongerThanAnyFrame()
    {
        final UnsafeBuffer rx = new UnsafeBuffer(0, 0);
        assertTrue(b.domain.memory().wrap(rx, NetRig.FIRST_GFN + 1, 1));
        for (int i = 0; i < 18; i++)
        {
            new io.pvring.netif.RxResponse().wrap(rx, NetifRings.RX.slotOffset(i)).id(i).pageOffset(0)
                .flags(i < 17 ? Netif.NETRXF_MORE_DATA : 0).status(4096);
        }
        rx.putIntRelease(SharedRingDescriptor.RSP_PROD_OFFSET, 18);
        assertEquals(0, b.front.receive(this::collect, 10));
        assertEquals(1, b.front.rxErrors(), "18 x 4096 bytes is more than any frame: refused, not overrun");
    }

    private boolean flushAndRetry(final UnsafeBuffer frame)
    {
        c.front.flush();
        rig.pump();
        return c.front.send(frame, 0, 1514, 0, 0, 0);
    }
}
