/*
 * A netfront in another process, written only against Xen's public headers (io/netif.h, io/ring.h,
 * grant_table.h, io/xenbus.h), libxenstore and pvring_evtchn.h, attached to `pvring serve`'s netback
 * (docs/OUT-OF-PROCESS.md; serve_blkfront.c is the block twin and explains the common steps).
 *
 *   serve_netfront EVTCHN_SOCKET MEMFILE GNTFILE DOMID DEVID TX_PAYLOAD RX_PAYLOAD
 *
 * with XENSTORED_PATH naming the guest's xenstore socket. It runs the netfront handshake (tx-ring-ref,
 * rx-ring-ref, event-channel, request-rx-copy; straight to Connected), posts NRX receive buffers, transmits one
 * broadcast frame of TX_PAYLOAD bytes (ethertype 0x88b5, byte i = i * 3 + 5) and waits for one frame addressed to its
 * MAC with RX_PAYLOAD bytes (byte i = i * 5 + 1), then closes the device. It prints "name value" lines; any failure
 * exits non-zero with a message on stderr.
 */
#define FRONTEND_NAME "serve_netfront"
#include "pvring_frontend.h"
#include <xen/io/netif.h>


/* Guest-physical layout this frontend chose: the two ring pages, the TX page, the RX pages. */
#define TX_RING_GFN 16
#define RX_RING_GFN 17
#define TX_GFN 32
#define RX_GFN 40
#define TX_RING_REF 8 /* Linux leaves the first GNTTAB_NR_RESERVED_ENTRIES (8) refs alone */
#define RX_RING_REF 9
#define TX_REF 16
#define RX_REF 24
#define NRX 8
#define ETH_HLEN 14
#define ETHERTYPE 0x88b5 /* IEEE local experimental */

/* ---- the rings ---- */

static netif_tx_front_ring_t tx;
static netif_rx_front_ring_t rx;

static void push_tx(void)
{
    int do_notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&tx, do_notify);
    if (do_notify)
    {
        notify();
    }
}

static void push_rx(void)
{
    int do_notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&rx, do_notify);
    if (do_notify)
    {
        notify();
    }
}

static int parse_mac(const char *text, uint8_t mac[6])
{
    unsigned int b[6];
    int i;
    if (sscanf(text, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
    {
        return 0;
    }
    for (i = 0; i < 6; i++)
    {
        mac[i] = (uint8_t)b[i];
    }
    return 1;
}

int main(int argc, char **argv)
{
    char fe[128], be[128], v[256];
    char *backend, *mac_text;
    struct sockaddr_un addr;
    struct pvring_evtchn_msg r;
    domid_t domid, backend_id;
    netif_tx_sring_t *txs;
    netif_rx_sring_t *rxs;
    xs_transaction_t t;
    uint8_t mac[6], *frame;
    int i, tx_len, rx_payload, got_tx = 0, got_rx = 0, rx_ok = 0, rx_len = 0;
    int16_t tx_status = -99;

    if (argc != 8)
    {
        fprintf(stderr, "usage: %s EVTCHN_SOCKET MEMFILE GNTFILE DOMID DEVID TX_PAYLOAD RX_PAYLOAD\n", argv[0]);
        return 2;
    }
    mem = map_file(argv[2], &mem_size);
    gnttab = map_file(argv[3], &gnttab_entries);
    gnttab_entries /= sizeof(grant_entry_v1_t);
    domid = (domid_t)strtoul(argv[4], NULL, 0);
    tx_len = ETH_HLEN + atoi(argv[6]);
    rx_payload = atoi(argv[7]);
    if (tx_len > (int)PAGE_SIZE_ || rx_payload + ETH_HLEN > (int)PAGE_SIZE_)
    {
        die("frames must fit a page");
    }
    snprintf(fe, sizeof(fe), "/local/domain/%u/device/vif/%s", domid, argv[5]);

    xs = xs_open(0);
    if (xs == NULL)
    {
        die("xs_open: %s", strerror(errno));
    }
    snprintf(v, sizeof(v), "%s/backend", fe);
    backend = xs_get(v);
    if (backend == NULL || strlen(backend) >= sizeof(be))
    {
        die("no usable %s", v);
    }
    snprintf(be, sizeof(be), "%s", backend);
    free(backend);
    backend_id = (domid_t)xs_get_long(fe, "backend-id", 0);
    snprintf(v, sizeof(v), "%s/mac", fe);
    mac_text = xs_get(v);
    if (mac_text == NULL || !parse_mac(mac_text, mac))
    {
        die("no usable %s", v);
    }
    free(mac_text);

    evtchn_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", argv[1]);
    if (evtchn_fd < 0 || connect(evtchn_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
    {
        die("connect %s: %s", argv[1], strerror(errno));
    }
    r = evtchn_call(PVRING_EVTCHN_OP_HELLO, 0, domid, 0);
    if (r.status != 0)
    {
        die("hello as domid %u: %d", domid, r.status);
    }

    wait_state(be, XenbusStateInitWait, 0);
    printf("backend_initwait 1\n");

    /* netfront's setup_netfront: two rings, each a zeroed page, granted; one event channel for both. */
    txs = page(TX_RING_GFN);
    rxs = page(RX_RING_GFN);
    memset(txs, 0, PAGE_SIZE_);
    memset(rxs, 0, PAGE_SIZE_);
    SHARED_RING_INIT(txs);
    FRONT_RING_INIT(&tx, txs, PAGE_SIZE_);
    SHARED_RING_INIT(rxs);
    FRONT_RING_INIT(&rx, rxs, PAGE_SIZE_);
    grant(TX_RING_REF, backend_id, TX_RING_GFN, 0);
    grant(RX_RING_REF, backend_id, RX_RING_GFN, 0);
    r = evtchn_call(PVRING_EVTCHN_OP_ALLOC_UNBOUND, 0, backend_id, 0);
    if (r.status != 0)
    {
        die("alloc_unbound: %d", r.status);
    }
    evtchn_port = r.port;
    printf("tx_ring_entries %u\nrx_ring_entries %u\n", RING_SIZE(&tx), RING_SIZE(&rx));

    /* talk_to_netback: the keys in one transaction, then Connected (netfront does not stop at Initialised). */
    for (;;)
    {
        t = xs_transaction_start(xs);
        if (t == XBT_NULL)
        {
            die("xs_transaction_start: %s", strerror(errno));
        }
        snprintf(v, sizeof(v), "%u", TX_RING_REF);
        xs_put(t, fe, "tx-ring-ref", v);
        snprintf(v, sizeof(v), "%u", RX_RING_REF);
        xs_put(t, fe, "rx-ring-ref", v);
        snprintf(v, sizeof(v), "%u", evtchn_port);
        xs_put(t, fe, "event-channel", v);
        xs_put(t, fe, "request-rx-copy", "1");
        xs_put(t, fe, "feature-rx-notify", "1");
        if (xs_transaction_end(xs, t, false))
        {
            break;
        }
        if (errno != EAGAIN)
        {
            die("xs_transaction_end: %s", strerror(errno));
        }
    }
    switch_state(fe, XenbusStateConnected);
    wait_state(be, XenbusStateConnected, 0);
    printf("backend_connected 1\n");

    /* Receive buffers first, so the frame the peer answers with has somewhere to go. */
    for (i = 0; i < NRX; i++)
    {
        netif_rx_request_t *req = RING_GET_REQUEST(&rx, rx.req_prod_pvt);
        memset(page(RX_GFN + (unsigned long)i), 0, PAGE_SIZE_);
        grant(RX_REF + (grant_ref_t)i, backend_id, RX_GFN + (unsigned long)i, 0);
        req->id = (uint16_t)i;
        req->gref = RX_REF + (grant_ref_t)i;
        rx.req_prod_pvt++;
    }
    push_rx();

    /* One broadcast frame from our MAC, granted read-only. */
    frame = page(TX_GFN);
    memset(frame, 0xff, 6);
    memcpy(frame + 6, mac, 6);
    frame[12] = ETHERTYPE >> 8;
    frame[13] = ETHERTYPE & 0xff;
    for (i = 0; i < tx_len - ETH_HLEN; i++)
    {
        frame[ETH_HLEN + i] = (uint8_t)(i * 3 + 5);
    }
    grant(TX_REF, backend_id, TX_GFN, 1);
    {
        netif_tx_request_t *req = RING_GET_REQUEST(&tx, tx.req_prod_pvt);
        memset(req, 0, sizeof(*req));
        req->gref = TX_REF;
        req->offset = 0;
        req->flags = 0;
        req->id = 1;
        req->size = (uint16_t)tx_len;
        tx.req_prod_pvt++;
    }
    push_tx();

    /* Both completions arrive on the one event channel. */
    while (!got_tx || !got_rx)
    {
        int more_tx, more_rx;
        while (tx.rsp_cons != tx.sring->rsp_prod)
        {
            RING_IDX prod = tx.sring->rsp_prod;
            rmb(); /* responses visible after the index */
            for (; tx.rsp_cons != prod; tx.rsp_cons++)
            {
                netif_tx_response_t *rsp = RING_GET_RESPONSE(&tx, tx.rsp_cons);
                if (rsp->status == NETIF_RSP_NULL)
                {
                    continue; /* the slot of an extra-info segment */
                }
                tx_status = rsp->status;
                got_tx = 1;
            }
        }
        while (rx.rsp_cons != rx.sring->rsp_prod)
        {
            RING_IDX prod = rx.sring->rsp_prod;
            rmb();
            for (; rx.rsp_cons != prod; rx.rsp_cons++)
            {
                netif_rx_response_t *rsp = RING_GET_RESPONSE(&rx, rx.rsp_cons);
                const uint8_t *d;
                int k;
                if (rsp->status <= 0 || rsp->id >= NRX)
                {
                    die("rx response id %u status %d", rsp->id, rsp->status);
                }
                d = (const uint8_t *)page(RX_GFN + rsp->id) + rsp->offset;
                rx_len = rsp->status;
                rx_ok = rx_len == ETH_HLEN + rx_payload && memcmp(d, mac, 6) == 0 &&
                    d[12] == (ETHERTYPE >> 8) && d[13] == (ETHERTYPE & 0xff);
                for (k = 0; rx_ok && k < rx_payload; k++)
                {
                    rx_ok = d[ETH_HLEN + k] == (uint8_t)(k * 5 + 1);
                }
                got_rx = 1;
            }
        }
        if (got_tx && got_rx)
        {
            break;
        }
        RING_FINAL_CHECK_FOR_RESPONSES(&tx, more_tx);
        RING_FINAL_CHECK_FOR_RESPONSES(&rx, more_rx);
        if (!more_tx && !more_rx)
        {
            wait_event();
        }
    }
    printf("tx_status %d\nrx_len %d\nrx_ok %d\n", tx_status, rx_len, rx_ok);
    printf("tx_ref_ended %d\n", end_access(TX_REF));

    switch_state(fe, XenbusStateClosing);
    wait_state(be, XenbusStateClosing, 1);
    switch_state(fe, XenbusStateClosed);
    wait_state(be, XenbusStateClosed, 0);
    printf("backend_closed 1\n");
    printf("rings_ended %d\n", end_access(TX_RING_REF) && end_access(RX_RING_REF));
    r = evtchn_call(PVRING_EVTCHN_OP_CLOSE, evtchn_port, 0, 0);
    printf("evtchn_closed %d\n", r.status == 0);
    printf("events %d\n", events_seen);
    close(evtchn_fd);
    xs_close(xs);
    return 0;
}
