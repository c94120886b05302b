package io.pvring.netback.uplink;

/**
 * The VXLAN header of RFC 7348 section 5, after the outer UDP header:
 *
 * <pre>
 *   0               1               2               3
 *   +-+-+-+-+-+-+-+-+-------------------------------------------------+
 *   |R|R|R|R|I|R|R|R|            Reserved                             |
 *   +---------------+-------------------------------+-----------------+
 *   |          VXLAN Network Identifier (VNI)       |   Reserved      |
 *   +-----------------------------------------------+-----------------+
 * </pre>
 *
 * The I flag must be set; receivers ignore the reserved bits. The inner Ethernet frame follows (no FCS).
 */
public final class VxlanHeader
{
    public static final int FLAGS_OFFSET = 0;
    public static final int VNI_OFFSET = 4;
    public static final int LENGTH = 8;
    /** The I flag: the VNI is valid. */
    public static final int FLAG_I = 0x08;
    /** IANA port 4789 (Linux's {@code dstport} default is 8472 for historical reasons: always set it explicitly). */
    public static final int IANA_PORT = 4789;
    public static final int MAX_VNI = 0xFF_FFFF;

    private VxlanHeader()
    {
    }
}
