package io.pvring.netif;

import io.pvring.ring.RingGeometry;

/**
 * Ring slot sizes of the three netif rings ({@code DEFINE_RING_TYPES(netif_tx|netif_rx|xen_netif_ctrl)}): the
 * union of request and response, so 12, 8 and 16 bytes. Netif defines one-page rings only.
 */
public final class NetifRings
{
    public static final int TX_SLOT_BYTES = 12;
    public static final int RX_SLOT_BYTES = 8;
    public static final int CTRL_SLOT_BYTES = 16;

    public static final RingGeometry TX = RingGeometry.of(TX_SLOT_BYTES, 0);
    public static final RingGeometry RX = RingGeometry.of(RX_SLOT_BYTES, 0);
    public static final RingGeometry CTRL = RingGeometry.of(CTRL_SLOT_BYTES, 0);

    /** {@code NET_TX_RING_SIZE}, {@code NET_RX_RING_SIZE}: 256 each. */
    public static final int TX_RING_SIZE = TX.entries();
    public static final int RX_RING_SIZE = RX.entries();

    private NetifRings()
    {
    }
}
