package io.pvring.ring;

import io.pvring.testing.CValues;
import io.pvring.testing.XenAbi;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link SharedRingDescriptor} and {@link RingGeometry} against gcc's view of {@code xen/io/ring.h}
 * ({@code xen_abi.c}, shared with the other modules' ABI tests).
 */
class RingAbiTest
{
    private static CValues c;

    @BeforeAll
    static void compileAbiProgram()
    {
        c = XenAbi.values();
    }

    @Test
    void sharedRingHeaderMatchesDefineRingTypes()
    {
        assertEquals(c.get("blkif_sring.req_prod"), SharedRingDescriptor.REQ_PROD_OFFSET);
        assertEquals(c.get("blkif_sring.req_event"), SharedRingDescriptor.REQ_EVENT_OFFSET);
        assertEquals(c.get("blkif_sring.rsp_prod"), SharedRingDescriptor.RSP_PROD_OFFSET);
        assertEquals(c.get("blkif_sring.rsp_event"), SharedRingDescriptor.RSP_EVENT_OFFSET);
        assertEquals(c.get("blkif_sring.pvt"), SharedRingDescriptor.PVT_OFFSET);
        assertEquals(c.get("sizeof.blkif_sring.pvt"), SharedRingDescriptor.PVT_LENGTH);
        assertEquals(c.get("blkif_sring.__pad"), SharedRingDescriptor.PAD_OFFSET);
        assertEquals(c.get("sizeof.blkif_sring.__pad"), SharedRingDescriptor.PAD_LENGTH);
        assertEquals(c.get("blkif_sring.ring"), SharedRingDescriptor.HEADER_LENGTH);
        assertEquals(c.get("XEN_PAGE_SHIFT"), SharedRingDescriptor.PAGE_SHIFT);
        assertEquals(1L << c.get("XEN_PAGE_SHIFT"), SharedRingDescriptor.PAGE_SIZE);
        assertEquals(c.get("sizeof.RING_IDX"), Integer.BYTES);
    }

    @Test
    void everyRingTypeHasTheSameHeader()
    {
        for (final String ring : new String[] {"blkif_x86_32", "netif_tx", "netif_rx", "xen_netif_ctrl"})
        {
            assertEquals(c.get(ring + "_sring.ring"), SharedRingDescriptor.HEADER_LENGTH, ring);
        }
    }

    @ParameterizedTest(name = "slot={0} ({1})")
    @CsvSource({
        "112, blkif_sring_entry",
        "108, blkif_x86_32_sring_entry",
        "12, netif_tx_sring_entry",
        "8, netif_rx_sring_entry",
        "16, xen_netif_ctrl_sring_entry"})
    void entryCountsMatchConstRingSize(final int slotBytes, final String entryType)
    {
        assertEquals(c.get("sizeof." + entryType), slotBytes, "the ring type really has this slot size");
        for (int order = 0; order <= SharedRingDescriptor.MAX_RING_PAGE_ORDER; order++)
        {
            final long expected = c.get("ring_entries." + slotBytes + "." + order);
            final String where = "slot=" + slotBytes + " order=" + order;
            assertEquals(expected, SharedRingDescriptor.entries(slotBytes, order), where);
            final RingGeometry geometry = RingGeometry.of(slotBytes, order);
            assertEquals(expected, geometry.entries(), where);
            assertEquals((long)SharedRingDescriptor.PAGE_SIZE << order, geometry.ringBytes(), where);
            assertEquals(SharedRingDescriptor.HEADER_LENGTH + (expected - 1) * slotBytes,
                geometry.slotOffset(-1), where);
        }
    }
}
