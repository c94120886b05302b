package io.pvring.netif;

/**
 * Constants of {@code xen/include/public/io/netif.h}: flags, extra-info types, GSO types, response statuses and
 * limits. Note that {@code csum_blank} and {@code data_validated} swap bits between the TX and RX directions.
 */
public final class Netif
{
    /** {@code XEN_NETIF_NR_SLOTS_MIN}: slots per packet every backend must accept. */
    public static final int NR_SLOTS_MIN = 18;
    /** {@code XEN_NETIF_MAX_TX_SIZE}: a packet's length travels in a u16. */
    public static final int MAX_TX_SIZE = 0xFFFF;
    /** Linux netback {@code fatal_skb_slots}: at this many slots a frontend is malicious, not buggy. */
    public static final int FATAL_SKB_SLOTS = 20;

    public static final int NETTXF_CSUM_BLANK = 1;
    public static final int NETTXF_DATA_VALIDATED = 1 << 1;
    public static final int NETTXF_MORE_DATA = 1 << 2;
    public static final int NETTXF_EXTRA_INFO = 1 << 3;

    public static final int NETRXF_DATA_VALIDATED = 1;
    public static final int NETRXF_CSUM_BLANK = 1 << 1;
    public static final int NETRXF_MORE_DATA = 1 << 2;
    public static final int NETRXF_EXTRA_INFO = 1 << 3;
    public static final int NETRXF_GSO_PREFIX = 1 << 4;

    public static final int XEN_NETIF_EXTRA_TYPE_NONE = 0;
    public static final int XEN_NETIF_EXTRA_TYPE_GSO = 1;
    public static final int XEN_NETIF_EXTRA_TYPE_MCAST_ADD = 2;
    public static final int XEN_NETIF_EXTRA_TYPE_MCAST_DEL = 3;
    public static final int XEN_NETIF_EXTRA_TYPE_HASH = 4;
    public static final int XEN_NETIF_EXTRA_TYPE_MAX = 5;
    public static final int XEN_NETIF_EXTRA_FLAG_MORE = 1;

    public static final int XEN_NETIF_GSO_TYPE_NONE = 0;
    public static final int XEN_NETIF_GSO_TYPE_TCPV4 = 1;
    public static final int XEN_NETIF_GSO_TYPE_TCPV6 = 2;

    public static final int NETIF_RSP_DROPPED = -2;
    public static final int NETIF_RSP_ERROR = -1;
    public static final int NETIF_RSP_OKAY = 0;
    /** Filler response for an extra-info slot. */
    public static final int NETIF_RSP_NULL = 1;

    /** {@code _XEN_NETIF_CTRL_HASH_TYPE_*}: bit numbers of the hash types, what the RX hash extra's type holds. */
    public static final int XEN_NETIF_CTRL_HASH_TYPE_IPV4_BIT = 0;
    public static final int XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP_BIT = 1;
    public static final int XEN_NETIF_CTRL_HASH_TYPE_IPV6_BIT = 2;
    public static final int XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP_BIT = 3;
    public static final int XEN_NETIF_CTRL_HASH_TYPE_IPV4 = 1;
    public static final int XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP = 1 << 1;
    public static final int XEN_NETIF_CTRL_HASH_TYPE_IPV6 = 1 << 2;
    public static final int XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP = 1 << 3;
    public static final int XEN_NETIF_CTRL_HASH_ALGORITHM_NONE = 0;
    public static final int XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ = 1;

    public static final int XEN_NETIF_CTRL_TYPE_INVALID = 0;
    public static final int XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS = 1;
    public static final int XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS = 2;
    public static final int XEN_NETIF_CTRL_TYPE_SET_HASH_KEY = 3;
    public static final int XEN_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE = 4;
    public static final int XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE = 5;
    public static final int XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING = 6;
    public static final int XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM = 7;
    public static final int XEN_NETIF_CTRL_TYPE_GET_GREF_MAPPING_SIZE = 8;
    public static final int XEN_NETIF_CTRL_TYPE_ADD_GREF_MAPPING = 9;
    public static final int XEN_NETIF_CTRL_TYPE_DEL_GREF_MAPPING = 10;

    public static final int XEN_NETIF_CTRL_STATUS_SUCCESS = 0;
    public static final int XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED = 1;
    public static final int XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER = 2;
    public static final int XEN_NETIF_CTRL_STATUS_BUFFER_OVERFLOW = 3;

    private Netif()
    {
    }
}
