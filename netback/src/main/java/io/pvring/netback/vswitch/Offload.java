package io.pvring.netback.vswitch;

import io.pvring.netif.FrontendFeatures;

/**
 * Offload state that travels with a frame through the switch, and the capabilities a port advertises. The frame
 * flags mirror netif's: {@link #CSUM_BLANK} means the L4 checksum is not yet computed (Linux CHECKSUM_PARTIAL),
 * {@link #DATA_VALIDATED} means it was checked or computed. GSO travels as a netif GSO type plus the MSS.
 */
public final class Offload
{
    /** Frame flag: the TCP/UDP checksum field must be completed before the frame leaves the host. */
    public static final int CSUM_BLANK = 1;
    /** Frame flag: the checksum is known good. */
    public static final int DATA_VALIDATED = 1 << 1;

    /** Port capability: accepts {@link #CSUM_BLANK} IPv4 frames (netfront without feature-no-csum-offload). */
    public static final int CAP_CSUM_IPV4 = 1;
    /** Port capability: accepts {@link #CSUM_BLANK} IPv6 frames (feature-ipv6-csum-offload). */
    public static final int CAP_CSUM_IPV6 = 1 << 1;
    /** Port capability: accepts TCPv4 GSO frames (feature-gso-tcpv4). */
    public static final int CAP_GSO_TCPV4 = 1 << 2;
    /** Port capability: accepts TCPv6 GSO frames (feature-gso-tcpv6). */
    public static final int CAP_GSO_TCPV6 = 1 << 3;
    /** Everything: a port that passes offloads through untouched (a pcap-free loopback, a bench sink). */
    public static final int CAP_ALL = CAP_CSUM_IPV4 | CAP_CSUM_IPV6 | CAP_GSO_TCPV4 | CAP_GSO_TCPV6;
    /** Nothing: a wire (uplink) needs finished checksums and MTU-sized frames. */
    public static final int CAP_NONE = 0;

    private Offload()
    {
    }

    /** The capabilities of a vif's port whose frontend negotiated {@code features} (its RX side). */
    public static int capabilities(final FrontendFeatures features)
    {
        int caps = 0;
        caps |= features.csumIpv4() ? CAP_CSUM_IPV4 : 0;
        caps |= features.csumIpv6() ? CAP_CSUM_IPV6 : 0;
        caps |= features.sg() && features.gsoTcpv4() ? CAP_GSO_TCPV4 : 0;
        caps |= features.sg() && features.gsoTcpv6() ? CAP_GSO_TCPV6 : 0;
        return caps;
    }
}
