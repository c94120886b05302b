package io.pvring.netif;

/**
 * The {@code feature-*} and {@code request-*} keys a netfront writes to xenstore, as one immutable value: what a
 * frontend asks for, and (after the backend's {@code NetBackConfig#negotiate}) what a vif runs with, a feature
 * counting only when both sides have it. Shared by netfront and netback.
 *
 * @param sg                 {@code feature-sg}: multi-slot packets in both directions.
 * @param gsoTcpv4           {@code feature-gso-tcpv4}: the backend may send it TCPv4 GSO packets.
 * @param gsoTcpv6           {@code feature-gso-tcpv6}.
 * @param csumIpv4           not {@code feature-no-csum-offload}: it accepts {@code csum_blank} IPv4 packets.
 * @param csumIpv6           {@code feature-ipv6-csum-offload}.
 * @param rxNotify           {@code feature-rx-notify}: it notifies after posting RX buffers.
 * @param multicastControl   {@code request-multicast-control}: only subscribed multicast groups are delivered.
 */
public record FrontendFeatures(
    boolean sg, boolean gsoTcpv4, boolean gsoTcpv6, boolean csumIpv4, boolean csumIpv6, boolean rxNotify,
    boolean multicastControl)
{
    /** A Linux netfront's usual request: everything but multicast control. */
    public static final FrontendFeatures LINUX = new FrontendFeatures(true, true, true, true, true, true, false);
    /** A minimal frontend (MiniOS, early PV drivers): one slot per packet, no offloads. */
    public static final FrontendFeatures MINIMAL = new FrontendFeatures(false, false, false, false, false, false,
        false);
}
