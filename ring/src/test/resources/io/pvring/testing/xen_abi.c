/*
 * Prints the Xen PV I/O ABI as gcc lays it out from the installed public headers (/usr/include/xen, Debian package
 * libxen-dev), one "name value" line each, for the ABI tests of every pvring module (io.pvring.testing.XenAbi).
 *
 * Naming: "sizeof.<type>" is a size, "<struct>.<field>" an offset (nested fields with dots), constants keep their C
 * name, "ring_entries.<slot>.<order>" is __CONST_RING_SIZE for a ring of (4096 << order) bytes.
 *
 * The x86_32 blkif ABI: the Xen headers have no blkif_x86_32_* structs (Linux keeps its own copies in
 * drivers/block/xen-blkback/common.h), so blkif.h is included a second time with its structs renamed to
 * blkif_x86_32_*, under #pragma pack(4) (i386 aligns 64-bit members to 4 bytes) and with __i386__ defined (which adds
 * blkif_request_indirect's i386-only pad), the way the reference notes and QEMU's xen_blkif.h derive it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A guest without __XEN_INTERFACE_VERSION__ gets the legacy interface, whose xen_mb() etc. call these. */
#define mb() __sync_synchronize()
#define rmb() __sync_synchronize()
#define wmb() __sync_synchronize()

#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/io/ring.h>
#include <xen/io/blkif.h>
#include <xen/io/netif.h>
#include <xen/io/xenbus.h>
#include <xen/io/xs_wire.h>

/* Second pass over blkif.h: the x86_32 ABI. */
#pragma push_macro("DEFINE_RING_TYPES")
#undef DEFINE_RING_TYPES
#define DEFINE_RING_TYPES(name, req, rsp)
#undef __XEN_PUBLIC_IO_BLKIF_H__
#define blkif_request_segment blkif_x86_32_request_segment
#define blkif_request blkif_x86_32_request
#define blkif_request_t blkif_x86_32_request_t
#define blkif_request_discard blkif_x86_32_request_discard
#define blkif_request_discard_t blkif_x86_32_request_discard_t
#define blkif_request_indirect blkif_x86_32_request_indirect
#define blkif_request_indirect_t blkif_x86_32_request_indirect_t
#define blkif_response blkif_x86_32_response
#define blkif_response_t blkif_x86_32_response_t
#define __i386__ 1
#pragma pack(push, 4)
#include <xen/io/blkif.h>
#pragma pop_macro("DEFINE_RING_TYPES")
DEFINE_RING_TYPES(blkif_x86_32, struct blkif_x86_32_request, struct blkif_x86_32_response);
#pragma pack(pop)
#undef __i386__
#undef blkif_request_segment
#undef blkif_request
#undef blkif_request_t
#undef blkif_request_discard
#undef blkif_request_discard_t
#undef blkif_request_indirect
#undef blkif_request_indirect_t
#undef blkif_response
#undef blkif_response_t

#define PAGE 4096u

#define VAL(name, value) printf("%s %lld\n", (name), (long long)(value))
#define CONST(c) VAL(#c, (c))
#define SIZE(t) VAL("sizeof." #t, sizeof(struct t))
#define OFF(t, f) VAL(#t "." #f, offsetof(struct t, f))

#define RING_ENTRIES(tag, slot) do {                                                  \
        char name_[64];                                                                \
        for (unsigned order_ = 0; order_ <= 4; order_++) {                             \
            snprintf(name_, sizeof(name_), "ring_entries.%u.%u", (slot), order_);      \
            VAL(name_, __CONST_RING_SIZE(tag, PAGE << order_));                        \
        }                                                                              \
    } while (0)

static void shared_ring(void)
{
    /* Every DEFINE_RING_TYPES sring has the same header; blkif's stands for all. */
    OFF(blkif_sring, req_prod);
    OFF(blkif_sring, req_event);
    OFF(blkif_sring, rsp_prod);
    OFF(blkif_sring, rsp_event);
    OFF(blkif_sring, pvt);
    OFF(blkif_sring, pvt.netif.smartpoll_active);
    OFF(blkif_sring, pvt.tapif_user.msg);
    VAL("sizeof.blkif_sring.pvt", sizeof(((struct blkif_sring *)0)->pvt));
    OFF(blkif_sring, __pad);
    VAL("sizeof.blkif_sring.__pad", sizeof(((struct blkif_sring *)0)->__pad));
    OFF(blkif_sring, ring);
    VAL("sizeof.RING_IDX", sizeof(RING_IDX));
    VAL("XEN_PAGE_SHIFT", XEN_PAGE_SHIFT);

    VAL("sizeof.blkif_sring_entry", sizeof(union blkif_sring_entry));
    VAL("sizeof.blkif_x86_32_sring_entry", sizeof(union blkif_x86_32_sring_entry));
    VAL("sizeof.netif_tx_sring_entry", sizeof(union netif_tx_sring_entry));
    VAL("sizeof.netif_rx_sring_entry", sizeof(union netif_rx_sring_entry));
    VAL("sizeof.xen_netif_ctrl_sring_entry", sizeof(union xen_netif_ctrl_sring_entry));
    OFF(blkif_x86_32_sring, ring);
    OFF(netif_tx_sring, ring);
    OFF(netif_rx_sring, ring);
    OFF(xen_netif_ctrl_sring, ring);

    /* The slot sizes the rings use: 112 blkif, 108 blkif x86_32, 12 netif tx, 8 netif rx, 16 netif ctrl. */
    RING_ENTRIES(blkif, 112u);
    RING_ENTRIES(blkif_x86_32, 108u);
    RING_ENTRIES(netif_tx, 12u);
    RING_ENTRIES(netif_rx, 8u);
    RING_ENTRIES(xen_netif_ctrl, 16u);
}

static void blkif(void)
{
    SIZE(blkif_request_segment);
    OFF(blkif_request_segment, gref);
    OFF(blkif_request_segment, first_sect);
    OFF(blkif_request_segment, last_sect);
    SIZE(blkif_request);
    OFF(blkif_request, operation);
    OFF(blkif_request, nr_segments);
    OFF(blkif_request, handle);
    OFF(blkif_request, id);
    OFF(blkif_request, sector_number);
    OFF(blkif_request, seg);
    SIZE(blkif_request_discard);
    OFF(blkif_request_discard, operation);
    OFF(blkif_request_discard, flag);
    OFF(blkif_request_discard, handle);
    OFF(blkif_request_discard, id);
    OFF(blkif_request_discard, sector_number);
    OFF(blkif_request_discard, nr_sectors);
    SIZE(blkif_request_indirect);
    OFF(blkif_request_indirect, operation);
    OFF(blkif_request_indirect, indirect_op);
    OFF(blkif_request_indirect, nr_segments);
    OFF(blkif_request_indirect, id);
    OFF(blkif_request_indirect, sector_number);
    OFF(blkif_request_indirect, handle);
    OFF(blkif_request_indirect, indirect_grefs);
    SIZE(blkif_response);
    OFF(blkif_response, id);
    OFF(blkif_response, operation);
    OFF(blkif_response, status);

    SIZE(blkif_x86_32_request_segment);
    OFF(blkif_x86_32_request_segment, gref);
    OFF(blkif_x86_32_request_segment, first_sect);
    OFF(blkif_x86_32_request_segment, last_sect);
    SIZE(blkif_x86_32_request);
    OFF(blkif_x86_32_request, operation);
    OFF(blkif_x86_32_request, nr_segments);
    OFF(blkif_x86_32_request, handle);
    OFF(blkif_x86_32_request, id);
    OFF(blkif_x86_32_request, sector_number);
    OFF(blkif_x86_32_request, seg);
    SIZE(blkif_x86_32_request_discard);
    OFF(blkif_x86_32_request_discard, operation);
    OFF(blkif_x86_32_request_discard, flag);
    OFF(blkif_x86_32_request_discard, handle);
    OFF(blkif_x86_32_request_discard, id);
    OFF(blkif_x86_32_request_discard, sector_number);
    OFF(blkif_x86_32_request_discard, nr_sectors);
    SIZE(blkif_x86_32_request_indirect);
    OFF(blkif_x86_32_request_indirect, operation);
    OFF(blkif_x86_32_request_indirect, indirect_op);
    OFF(blkif_x86_32_request_indirect, nr_segments);
    OFF(blkif_x86_32_request_indirect, id);
    OFF(blkif_x86_32_request_indirect, sector_number);
    OFF(blkif_x86_32_request_indirect, handle);
    OFF(blkif_x86_32_request_indirect, indirect_grefs);
    SIZE(blkif_x86_32_response);
    OFF(blkif_x86_32_response, id);
    OFF(blkif_x86_32_response, operation);
    OFF(blkif_x86_32_response, status);

    VAL("sizeof.blkif_vdev_t", sizeof(blkif_vdev_t));
    VAL("sizeof.blkif_sector_t", sizeof(blkif_sector_t));
    CONST(BLKIF_OP_READ);
    CONST(BLKIF_OP_WRITE);
    CONST(BLKIF_OP_WRITE_BARRIER);
    CONST(BLKIF_OP_FLUSH_DISKCACHE);
    CONST(BLKIF_OP_RESERVED_1);
    CONST(BLKIF_OP_DISCARD);
    CONST(BLKIF_OP_INDIRECT);
    CONST(BLKIF_MAX_SEGMENTS_PER_REQUEST);
    CONST(BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST);
    CONST(BLKIF_DISCARD_SECURE);
    CONST(BLKIF_RSP_EOPNOTSUPP);
    CONST(BLKIF_RSP_ERROR);
    CONST(BLKIF_RSP_OKAY);
    CONST(VDISK_CDROM);
    CONST(VDISK_REMOVABLE);
    CONST(VDISK_READONLY);
}

static void netif(void)
{
    SIZE(netif_tx_request);
    OFF(netif_tx_request, gref);
    OFF(netif_tx_request, offset);
    OFF(netif_tx_request, flags);
    OFF(netif_tx_request, id);
    OFF(netif_tx_request, size);
    SIZE(netif_tx_response);
    OFF(netif_tx_response, id);
    OFF(netif_tx_response, status);
    SIZE(netif_rx_request);
    OFF(netif_rx_request, id);
    OFF(netif_rx_request, pad);
    OFF(netif_rx_request, gref);
    SIZE(netif_rx_response);
    OFF(netif_rx_response, id);
    OFF(netif_rx_response, offset);
    OFF(netif_rx_response, flags);
    OFF(netif_rx_response, status);
    SIZE(netif_extra_info);
    OFF(netif_extra_info, type);
    OFF(netif_extra_info, flags);
    OFF(netif_extra_info, u);
    OFF(netif_extra_info, u.gso.size);
    OFF(netif_extra_info, u.gso.type);
    OFF(netif_extra_info, u.gso.pad);
    OFF(netif_extra_info, u.gso.features);
    OFF(netif_extra_info, u.mcast.addr);
    OFF(netif_extra_info, u.hash.type);
    OFF(netif_extra_info, u.hash.algorithm);
    OFF(netif_extra_info, u.hash.value);
    SIZE(xen_netif_ctrl_request);
    OFF(xen_netif_ctrl_request, id);
    OFF(xen_netif_ctrl_request, type);
    OFF(xen_netif_ctrl_request, data);
    SIZE(xen_netif_ctrl_response);
    OFF(xen_netif_ctrl_response, id);
    OFF(xen_netif_ctrl_response, type);
    OFF(xen_netif_ctrl_response, status);
    OFF(xen_netif_ctrl_response, data);
    SIZE(xen_netif_gref);
    OFF(xen_netif_gref, ref);
    OFF(xen_netif_gref, flags);
    OFF(xen_netif_gref, status);

    CONST(XEN_NETIF_NR_SLOTS_MIN);
    CONST(XEN_NETIF_MAX_TX_SIZE);
    CONST(NETTXF_csum_blank);
    CONST(NETTXF_data_validated);
    CONST(NETTXF_more_data);
    CONST(NETTXF_extra_info);
    CONST(NETRXF_data_validated);
    CONST(NETRXF_csum_blank);
    CONST(NETRXF_more_data);
    CONST(NETRXF_extra_info);
    CONST(NETRXF_gso_prefix);
    CONST(XEN_NETIF_EXTRA_TYPE_NONE);
    CONST(XEN_NETIF_EXTRA_TYPE_GSO);
    CONST(XEN_NETIF_EXTRA_TYPE_MCAST_ADD);
    CONST(XEN_NETIF_EXTRA_TYPE_MCAST_DEL);
    CONST(XEN_NETIF_EXTRA_TYPE_HASH);
    CONST(XEN_NETIF_EXTRA_TYPE_MAX);
    CONST(XEN_NETIF_EXTRA_FLAG_MORE);
    CONST(XEN_NETIF_GSO_TYPE_NONE);
    CONST(XEN_NETIF_GSO_TYPE_TCPV4);
    CONST(XEN_NETIF_GSO_TYPE_TCPV6);
    CONST(NETIF_RSP_DROPPED);
    CONST(NETIF_RSP_ERROR);
    CONST(NETIF_RSP_OKAY);
    CONST(NETIF_RSP_NULL);
    CONST(XEN_NETIF_CTRL_TYPE_INVALID);
    CONST(XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS);
    CONST(XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS);
    CONST(XEN_NETIF_CTRL_TYPE_SET_HASH_KEY);
    CONST(XEN_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE);
    CONST(XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE);
    CONST(XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING);
    CONST(XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM);
    CONST(XEN_NETIF_CTRL_TYPE_GET_GREF_MAPPING_SIZE);
    CONST(XEN_NETIF_CTRL_TYPE_ADD_GREF_MAPPING);
    CONST(XEN_NETIF_CTRL_TYPE_DEL_GREF_MAPPING);
    CONST(XEN_NETIF_CTRL_STATUS_SUCCESS);
    CONST(XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED);
    CONST(XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER);
    CONST(XEN_NETIF_CTRL_STATUS_BUFFER_OVERFLOW);
    CONST(XEN_NETIF_CTRL_HASH_TYPE_IPV4);
    CONST(XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP);
    CONST(XEN_NETIF_CTRL_HASH_TYPE_IPV6);
    CONST(XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP);
    CONST(_XEN_NETIF_CTRL_HASH_TYPE_IPV4);
    CONST(_XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP);
    CONST(_XEN_NETIF_CTRL_HASH_TYPE_IPV6);
    CONST(_XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP);
    CONST(XEN_NETIF_CTRL_HASH_ALGORITHM_NONE);
    CONST(XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ);
    CONST(XEN_NETIF_CTRLF_GREF_readonly);
}

static void grant_table(void)
{
    SIZE(grant_entry_v1);
    OFF(grant_entry_v1, flags);
    OFF(grant_entry_v1, domid);
    OFF(grant_entry_v1, frame);
    VAL("sizeof.grant_ref_t", sizeof(grant_ref_t));
    VAL("sizeof.domid_t", sizeof(domid_t));
    CONST(GNTTAB_NR_RESERVED_ENTRIES);
    CONST(GNTTAB_RESERVED_CONSOLE);
    CONST(GNTTAB_RESERVED_XENSTORE);
    CONST(GTF_invalid);
    CONST(GTF_permit_access);
    CONST(GTF_accept_transfer);
    CONST(GTF_transitive);
    CONST(GTF_type_mask);
    CONST(GTF_readonly);
    CONST(GTF_reading);
    CONST(GTF_writing);
    CONST(GTF_PWT);
    CONST(GTF_PCD);
    CONST(GTF_PAT);
    CONST(GTF_sub_page);
    CONST(GTF_transfer_committed);
    CONST(GTF_transfer_completed);
}

static void xenstore(void)
{
    SIZE(xsd_sockmsg);
    OFF(xsd_sockmsg, type);
    OFF(xsd_sockmsg, req_id);
    OFF(xsd_sockmsg, tx_id);
    OFF(xsd_sockmsg, len);
    CONST(XS_CONTROL);
    CONST(XS_DEBUG);
    CONST(XS_DIRECTORY);
    CONST(XS_READ);
    CONST(XS_GET_PERMS);
    CONST(XS_WATCH);
    CONST(XS_UNWATCH);
    CONST(XS_TRANSACTION_START);
    CONST(XS_TRANSACTION_END);
    CONST(XS_INTRODUCE);
    CONST(XS_RELEASE);
    CONST(XS_GET_DOMAIN_PATH);
    CONST(XS_WRITE);
    CONST(XS_MKDIR);
    CONST(XS_RM);
    CONST(XS_SET_PERMS);
    CONST(XS_WATCH_EVENT);
    CONST(XS_ERROR);
    CONST(XS_IS_DOMAIN_INTRODUCED);
    CONST(XS_RESUME);
    CONST(XS_SET_TARGET);
    CONST(XS_RESET_WATCHES);
    CONST(XS_DIRECTORY_PART);
    CONST(XS_TYPE_COUNT);
    CONST(XS_INVALID);
    CONST(XS_WATCH_PATH);
    CONST(XS_WATCH_TOKEN);
    for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++) {
        char name[64];
        snprintf(name, sizeof(name), "xsd_errors.%s", xsd_errors[i].errstring);
        VAL(name, xsd_errors[i].errnum);
        snprintf(name, sizeof(name), "xsd_errors_index.%s", xsd_errors[i].errstring);
        VAL(name, i);
    }
    VAL("xsd_errors_count", sizeof(xsd_errors) / sizeof(xsd_errors[0]));

    SIZE(xenstore_domain_interface);
    OFF(xenstore_domain_interface, req);
    OFF(xenstore_domain_interface, rsp);
    OFF(xenstore_domain_interface, req_cons);
    OFF(xenstore_domain_interface, req_prod);
    OFF(xenstore_domain_interface, rsp_cons);
    OFF(xenstore_domain_interface, rsp_prod);
    OFF(xenstore_domain_interface, server_features);
    OFF(xenstore_domain_interface, connection);
    OFF(xenstore_domain_interface, error);
    CONST(XENSTORE_RING_SIZE);
    CONST(XENSTORE_PAYLOAD_MAX);
    CONST(XENSTORE_ABS_PATH_MAX);
    CONST(XENSTORE_REL_PATH_MAX);
    CONST(XENSTORE_SERVER_FEATURE_RECONNECTION);
    CONST(XENSTORE_SERVER_FEATURE_ERROR);
    CONST(XENSTORE_CONNECTED);
    CONST(XENSTORE_RECONNECT);
    CONST(XENSTORE_ERROR_NONE);
    CONST(XENSTORE_ERROR_COMM);
    CONST(XENSTORE_ERROR_RINGIDX);
    CONST(XENSTORE_ERROR_PROTO);
}

static void xenbus(void)
{
    CONST(XenbusStateUnknown);
    CONST(XenbusStateInitialising);
    CONST(XenbusStateInitWait);
    CONST(XenbusStateInitialised);
    CONST(XenbusStateConnected);
    CONST(XenbusStateClosing);
    CONST(XenbusStateClosed);
    CONST(XenbusStateReconfiguring);
    CONST(XenbusStateReconfigured);
}

int main(void)
{
    shared_ring();
    blkif();
    netif();
    grant_table();
    xenstore();
    xenbus();
    return ferror(stdout) ? 1 : 0;
}
