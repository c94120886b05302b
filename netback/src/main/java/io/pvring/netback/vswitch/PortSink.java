package io.pvring.netback.vswitch;

import org.agrona.DirectBuffer;

/**
 * Where a switch port's egress frames go (a netback RX queue, an uplink, a test). Called by whichever thread is
 * forwarding the frame, possibly several at once: implementations are thread-safe, copy the frame before returning
 * and never block.
 */
@FunctionalInterface
public interface PortSink
{
    /**
     * @param flags {@link Offload#CSUM_BLANK} / {@link Offload#DATA_VALIDATED}.
     * @param gsoType a netif {@code XEN_NETIF_GSO_TYPE_*}; never one the port did not advertise.
     * @param gsoSize the MSS when {@code gsoType} is not NONE.
     * @return false when the frame was dropped (queue full, link down): the switch counts it.
     */
    boolean deliver(DirectBuffer frame, int offset, int length, int flags, int gsoType, int gsoSize);
}
