package io.pvring.netback;

import io.pvring.netback.vswitch.Offload;

/**
 * What a netfront asked for in xenstore, after the backend's own features are applied (a feature counts only when
 * both sides have it). Immutable.
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

    /** The switch-port capabilities this frontend's RX side has. */
    public int capabilities()
    {
        int caps = 0;
        caps |= csumIpv4 ? Offload.CAP_CSUM_IPV4 : 0;
        caps |= csumIpv6 ? Offload.CAP_CSUM_IPV6 : 0;
        caps |= sg && gsoTcpv4 ? Offload.CAP_GSO_TCPV4 : 0;
        caps |= sg && gsoTcpv6 ? Offload.CAP_GSO_TCPV6 : 0;
        return caps;
    }

    /** Features both this frontend and the backend {@code config} offer. */
    public FrontendFeatures and(final NetBackConfig config)
    {
        return new FrontendFeatures(
            sg && config.featureSg(),
            gsoTcpv4 && config.featureGsoTcpv4(),
            gsoTcpv6 && config.featureGsoTcpv6(),
            csumIpv4,
            csumIpv6 && config.featureIpv6CsumOffload(),
            rxNotify,
            multicastControl && config.featureMulticastControl());
    }
}
