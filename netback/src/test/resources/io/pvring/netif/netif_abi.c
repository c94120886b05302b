/* Prints every netif.h layout fact the Java flyweights encode, as "name value" lines. */
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/io/netif.h>

#define SZ(t) printf("sizeof.%s %zu\n", #t, sizeof(struct t))
#define OFF(t, f, name) printf("offset.%s.%s %zu\n", #t, name, offsetof(struct t, f))
#define VAL(n) printf("value.%s %ld\n", #n, (long)(n))

int main(void)
{
    SZ(netif_tx_request);
    OFF(netif_tx_request, gref, "gref");
    OFF(netif_tx_request, offset, "offset");
    OFF(netif_tx_request, flags, "flags");
    OFF(netif_tx_request, id, "id");
    OFF(netif_tx_request, size, "size");
    SZ(netif_tx_response);
    OFF(netif_tx_response, id, "id");
    OFF(netif_tx_response, status, "status");
    SZ(netif_rx_request);
    OFF(netif_rx_request, id, "id");
    OFF(netif_rx_request, pad, "pad");
    OFF(netif_rx_request, gref, "gref");
    SZ(netif_rx_response);
    OFF(netif_rx_response, id, "id");
    OFF(netif_rx_response, offset, "offset");
    OFF(netif_rx_response, flags, "flags");
    OFF(netif_rx_response, status, "status");
    SZ(netif_extra_info);
    OFF(netif_extra_info, type, "type");
    OFF(netif_extra_info, flags, "flags");
    OFF(netif_extra_info, u, "u");
    OFF(netif_extra_info, u.gso.size, "gso.size");
    OFF(netif_extra_info, u.gso.type, "gso.type");
    OFF(netif_extra_info, u.gso.pad, "gso.pad");
    OFF(netif_extra_info, u.gso.features, "gso.features");
    OFF(netif_extra_info, u.mcast.addr, "mcast.addr");
    OFF(netif_extra_info, u.hash.type, "hash.type");
    OFF(netif_extra_info, u.hash.algorithm, "hash.algorithm");
    OFF(netif_extra_info, u.hash.value, "hash.value");
    SZ(xen_netif_ctrl_request);
    OFF(xen_netif_ctrl_request, id, "id");
    OFF(xen_netif_ctrl_request, type, "type");
    OFF(xen_netif_ctrl_request, data, "data");
    SZ(xen_netif_ctrl_response);
    OFF(xen_netif_ctrl_response, id, "id");
    OFF(xen_netif_ctrl_response, type, "type");
    OFF(xen_netif_ctrl_response, status, "status");
    OFF(xen_netif_ctrl_response, data, "data");
    printf("ring.tx.slot %zu\n", sizeof(union netif_tx_sring_entry));
    printf("ring.rx.slot %zu\n", sizeof(union netif_rx_sring_entry));
    printf("ring.ctrl.slot %zu\n", sizeof(union xen_netif_ctrl_sring_entry));
    printf("ring.tx.size %lu\n", (unsigned long)__CONST_RING_SIZE(netif_tx, 4096));
    printf("ring.rx.size %lu\n", (unsigned long)__CONST_RING_SIZE(netif_rx, 4096));
    printf("ring.ctrl.size %lu\n", (unsigned long)__CONST_RING_SIZE(xen_netif_ctrl, 4096));
    VAL(XEN_NETIF_NR_SLOTS_MIN);
    VAL(XEN_NETIF_MAX_TX_SIZE);
    VAL(NETTXF_csum_blank);
    VAL(NETTXF_data_validated);
    VAL(NETTXF_more_data);
    VAL(NETTXF_extra_info);
    VAL(NETRXF_data_validated);
    VAL(NETRXF_csum_blank);
    VAL(NETRXF_more_data);
    VAL(NETRXF_extra_info);
    VAL(NETRXF_gso_prefix);
    VAL(XEN_NETIF_EXTRA_TYPE_NONE);
    VAL(XEN_NETIF_EXTRA_TYPE_GSO);
    VAL(XEN_NETIF_EXTRA_TYPE_MCAST_ADD);
    VAL(XEN_NETIF_EXTRA_TYPE_MCAST_DEL);
    VAL(XEN_NETIF_EXTRA_TYPE_HASH);
    VAL(XEN_NETIF_EXTRA_TYPE_MAX);
    VAL(XEN_NETIF_EXTRA_FLAG_MORE);
    VAL(XEN_NETIF_GSO_TYPE_NONE);
    VAL(XEN_NETIF_GSO_TYPE_TCPV4);
    VAL(XEN_NETIF_GSO_TYPE_TCPV6);
    VAL(NETIF_RSP_DROPPED);
    VAL(NETIF_RSP_ERROR);
    VAL(NETIF_RSP_OKAY);
    VAL(NETIF_RSP_NULL);
    VAL(_XEN_NETIF_CTRL_HASH_TYPE_IPV4);
    VAL(_XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP);
    VAL(_XEN_NETIF_CTRL_HASH_TYPE_IPV6);
    VAL(_XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP);
    VAL(XEN_NETIF_CTRL_HASH_TYPE_IPV4);
    VAL(XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP);
    VAL(XEN_NETIF_CTRL_HASH_TYPE_IPV6);
    VAL(XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP);
    VAL(XEN_NETIF_CTRL_HASH_ALGORITHM_NONE);
    VAL(XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ);
    VAL(XEN_NETIF_CTRL_TYPE_INVALID);
    VAL(XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS);
    VAL(XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS);
    VAL(XEN_NETIF_CTRL_TYPE_SET_HASH_KEY);
    VAL(XEN_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE);
    VAL(XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE);
    VAL(XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING);
    VAL(XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM);
    VAL(XEN_NETIF_CTRL_TYPE_GET_GREF_MAPPING_SIZE);
    VAL(XEN_NETIF_CTRL_TYPE_ADD_GREF_MAPPING);
    VAL(XEN_NETIF_CTRL_TYPE_DEL_GREF_MAPPING);
    VAL(XEN_NETIF_CTRL_STATUS_SUCCESS);
    VAL(XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED);
    VAL(XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER);
    VAL(XEN_NETIF_CTRL_STATUS_BUFFER_OVERFLOW);
    return 0;
}
