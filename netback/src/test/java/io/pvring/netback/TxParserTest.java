package io.pvring.netback;

import java.nio.ByteBuffer;

import io.pvring.netif.ExtraInfo;
import io.pvring.netif.Netif;
import io.pvring.netif.NetifRings;
import io.pvring.netif.TxRequest;
import io.pvring.ring.BackRing;
import io.pvring.ring.FrontRing;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.pvring.ring.SharedRingDescriptor.PAGE_SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The TX parser alone: each chain a frontend can publish, and the verdict it gets (the ring holds no grants). */
class TxParserTest
{
    private final UnsafeBuffer page = new UnsafeBuffer(ByteBuffer.allocateDirect(PAGE_SIZE));
    private final FrontRing front = new FrontRing(page, NetifRings.TX).init();
    private final BackRing back = new BackRing(page, NetifRings.TX).init();
    private final TxParser parser = new TxParser(Netif.FATAL_SKB_SLOTS, true);

    private void request(final int offset, final int flags, final int id, final int size)
    {
        new TxRequest().wrap(page, front.requestOffset()).gref(100 + id).pageOffset(offset).flags(flags).id(id)
            .size(size);
        front.nextRequest();
    }

    private void extra(final int type, final int flags, final int gsoSize, final long mac)
    {
        final ExtraInfo e = new ExtraInfo().wrap(page, front.requestOffset()).clear().type(type).flags(flags);
        if (type == Netif.XEN_NETIF_EXTRA_TYPE_GSO)
        {
            e.gsoSize(gsoSize).gsoType(Netif.XEN_NETIF_GSO_TYPE_TCPV4);
        }
        else
        {
            e.mcastAddr(mac);
        }
        front.nextRequest();
    }

    private TxVerdict parse(final TxParser p)
    {
        front.pushRequests();
        return p.parse(back, back.unconsumedRequests());
    }

    @Test
    void aOneSlotFrameIsOk()
    {
        request(64, 0, 7, 60);
        final TxVerdict v = parse(parser);
        assertEquals(TxVerdict.OK, v.kind());
        assertNull(v.reason());
        assertEquals(1, v.slots());
        assertEquals(0, v.extras());
        assertEquals(60, v.totalSize());
        assertEquals(60, v.dataSize(0));
        assertEquals(7, v.request(0).id());
        assertEquals(107, v.request(0).gref());
        assertEquals(0, back.unconsumedRequests(), "the chain was consumed");
    }

    @Test
    void aGsoChainCarriesItsExtraAndTheFirstSlotHoldsTheRemainder()
    {
        request(0, Netif.NETTXF_MORE_DATA | Netif.NETTXF_EXTRA_INFO | Netif.NETTXF_CSUM_BLANK, 1, 5000);
        extra(Netif.XEN_NETIF_EXTRA_TYPE_GSO, 0, 1448, 0);
        request(0, 0, 2, 1000);
        final TxVerdict v = parse(parser);
        assertEquals(TxVerdict.OK, v.kind());
        assertEquals(2, v.slots());
        assertEquals(1, v.extras());
        assertEquals(4000, v.dataSize(0));
        assertEquals(1000, v.dataSize(1));
        assertEquals(2, v.request(1).id());
        assertEquals(Netif.XEN_NETIF_GSO_TYPE_TCPV4, v.gsoType());
        assertEquals(1448, v.gsoSize());
    }

    @Test
    void theVerdictIsOneReusedObject()
    {
        request(0, 0, 1, 60);
        request(0, 0, 2, 61);
        final TxVerdict first = parse(parser);
        assertEquals(1, first.request(0).id());
        final TxVerdict second = parser.parse(back, back.unconsumedRequests());
        assertSame(first, second, "no allocation per packet");
        assertEquals(61, second.totalSize());
    }

    @Test
    void buggyButHarmlessPacketsAreDropped()
    {
        request(0, 0, 1, 10);
        assertEquals(TxVerdict.DROP_RUNT, parse(parser).reason());

        request(0, Netif.NETTXF_MORE_DATA, 2, 100);
        request(0, 0, 3, 200);
        final TxVerdict oversized = parse(parser);
        assertEquals(TxVerdict.DROP, oversized.kind());
        assertEquals(TxVerdict.DROP_OVERSIZED_FRAGMENT, oversized.reason());
        assertEquals(2, oversized.slots(), "every slot is answered");

        final TxParser noSg = new TxParser(Netif.FATAL_SKB_SLOTS, false);
        request(0, Netif.NETTXF_MORE_DATA, 4, 2000);
        request(0, 0, 5, 1000);
        assertEquals(TxVerdict.DROP_NO_SG, parse(noSg).reason());
    }

    @Test
    void moreThanTheLegacySlotLimitIsDroppedAndMoreThanFatalSlotsIsFatal()
    {
        final int legacy = Netif.NR_SLOTS_MIN + 1;
        request(0, Netif.NETTXF_MORE_DATA, 0, 100 + legacy);
        for (int i = 1; i <= legacy; i++)
        {
            request(0, i == legacy ? 0 : Netif.NETTXF_MORE_DATA, i, 1);
        }
        assertEquals(TxVerdict.DROP_TOO_MANY_SLOTS, parse(parser).reason());

        request(0, Netif.NETTXF_MORE_DATA, 0, 1000);
        for (int i = 1; i <= Netif.FATAL_SKB_SLOTS + 1; i++)
        {
            request(0, Netif.NETTXF_MORE_DATA, i, 1);
        }
        final TxVerdict v = parse(parser);
        assertEquals(TxVerdict.FATAL, v.kind());
        assertEquals("packet uses more than " + Netif.FATAL_SKB_SLOTS + " follow-on slots", v.reason());
    }

    @Test
    void maliciousChainsAreFatal()
    {
        request(0, Netif.NETTXF_MORE_DATA, 1, 1000);
        assertEquals("packet needs more slots than the frontend published", parse(parser).reason());

        request(0, Netif.NETTXF_MORE_DATA, 2, 1000);
        request(4000, 0, 3, 200);
        assertTrue(parse(parser).reason().startsWith("TX slot crosses its page"));

        request(4090, 0, 4, 60);
        assertTrue(parse(parser).reason().startsWith("TX first slot crosses its page"));

        request(0, Netif.NETTXF_EXTRA_INFO, 5, 60);
        extra(Netif.XEN_NETIF_EXTRA_TYPE_GSO, 0, 0, 0);
        final TxVerdict v = parse(parser);
        assertEquals(TxVerdict.FATAL, v.kind());
        assertEquals("GSO size must not be 0", v.reason());
    }

    @Test
    void aMulticastUpdateIsAControlVerdict()
    {
        final long group = 0x01_00_5e_00_00_01L;
        request(0, Netif.NETTXF_EXTRA_INFO, 9, 0);
        extra(Netif.XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 0, 0, group);
        final TxVerdict v = parse(parser);
        assertEquals(TxVerdict.CONTROL, v.kind());
        assertEquals(Netif.XEN_NETIF_EXTRA_TYPE_MCAST_ADD, v.mcastOp());
        assertEquals(group, v.mcastAddr());
        assertEquals(1, v.slots());
        assertEquals(1, v.extras());
    }
}
