package io.pvring.netfront;

import org.agrona.DirectBuffer;

/** Receives frames from {@link NetFront#receive}; the buffer is valid only during the call. */
@FunctionalInterface
public interface FrameHandler
{
    /**
     * @param rxFlags {@code NETRXF_*} of the packet's first slot ({@code csum_blank}, {@code data_validated}).
     * @param gsoType {@code XEN_NETIF_GSO_TYPE_*} from a GSO extra, NONE without one; {@code gsoSize} the MSS.
     */
    void onFrame(DirectBuffer buffer, int offset, int length, int rxFlags, int gsoType, int gsoSize);
}
