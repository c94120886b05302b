/*
 * A netfront in another process, written only against Xen's public headers (io/netif.h, io/ring.h,
 * grant_table.h, io/xenbus.h) and the client pvring serve ships (pvring_client.h), attached to `pvring serve`'s
 * netback (docs/OUT-OF-PROCESS.md; serve_blkfront.c is the block twin and explains the common steps).
 *
 *   serve_netfront DIR DOMID DEVID TX_PAYLOAD RX_PAYLOAD
 *
 * It opens guest DOMID of the serve directory DIR, runs the netfront handshake (tx-ring-ref, rx-ring-ref,
 * event-channel, request-rx-copy; straight to Connected), posts NRX receive buffers, transmits one broadcast frame
 * of TX_PAYLOAD bytes (ethertype 0x88b5, byte i = i * 3 + 5) and waits for one frame addressed to its MAC with
 * RX_PAYLOAD bytes (byte i = i * 5 + 1), then closes the device. It prints "name value" lines; any failure exits
 * non-zero with the client's reason on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pvring_client.h"
#include <xen/io/netif.h>

#define TIMEOUT_MS 20000

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

static struct pvring_guest g;
static netif_tx_front_ring_t tx;
static netif_rx_front_ring_t rx;
static uint32_t port;

static void check(int rc, const char *what)
{
    if (rc != 0)
    {
        fprintf(stderr, "serve_netfront: %s: %s (%d)\n", what, g.error, rc);
        exit(1);
    }
}

static void *page(uint64_t gfn)
{
    void *p = pvring_page(&g, gfn);
    if (p == NULL)
    {
        fprintf(stderr, "serve_netfront: gfn %llu outside guest memory\n", (unsigned long long)gfn);
        exit(1);
    }
    return p;
}

static void push_tx(void)
{
    int do_notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&tx, do_notify);
    if (do_notify)
    {
        check(pvring_evtchn_notify(&g, port), "notify");
    }
}

static void push_rx(void)
{
    int do_notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&rx, do_notify);
    if (do_notify)
    {
        check(pvring_evtchn_notify(&g, port), "notify");
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
    struct pvring_device dev;
    char path[160], mac_text[64];
    netif_tx_sring_t *txs;
    netif_rx_sring_t *rxs;
    uint8_t mac[6], *frame;
    int i, tx_len, rx_payload, got_tx = 0, got_rx = 0, rx_ok = 0, rx_len = 0;
    int16_t tx_status = -99;

    if (argc != 6)
    {
        fprintf(stderr, "usage: %s DIR DOMID DEVID TX_PAYLOAD RX_PAYLOAD\n", argv[0]);
        return 2;
    }
    pvring_init(&g);
    check(pvring_open(&g, argv[1], (uint32_t)strtoul(argv[2], NULL, 0), 0), "open");
    tx_len = ETH_HLEN + atoi(argv[4]);
    rx_payload = atoi(argv[5]);
    if (tx_len > (int)PVRING_PAGE_SIZE || rx_payload + ETH_HLEN > (int)PVRING_PAGE_SIZE)
    {
        fprintf(stderr, "serve_netfront: frames must fit a page\n");
        return 2;
    }
    check(pvring_device_find(&g, "vif", argv[3], &dev), "find the vif");
    snprintf(path, sizeof(path), "%s/mac", dev.frontend);
    check(pvring_xs_read(&g, PVRING_XBT_NULL, path, mac_text, sizeof(mac_text), NULL), "mac");
    if (!parse_mac(mac_text, mac))
    {
        fprintf(stderr, "serve_netfront: %s is not a MAC: %s\n", path, mac_text);
        return 1;
    }

    check(pvring_xenbus_wait_state(&g, dev.backend, XenbusStateInitWait, 0, TIMEOUT_MS, NULL), "backend InitWait");
    printf("backend_initwait 1\n");

    /* netfront's setup_netfront: two rings, each a zeroed page, granted; one event channel for both. */
    txs = page(TX_RING_GFN);
    rxs = page(RX_RING_GFN);
    memset(txs, 0, PVRING_PAGE_SIZE);
    memset(rxs, 0, PVRING_PAGE_SIZE);
    SHARED_RING_INIT(txs);
    FRONT_RING_INIT(&tx, txs, PVRING_PAGE_SIZE);
    SHARED_RING_INIT(rxs);
    FRONT_RING_INIT(&rx, rxs, PVRING_PAGE_SIZE);
    check(pvring_grant(&g, TX_RING_REF, dev.backend_id, TX_RING_GFN, 0), "grant the tx ring");
    check(pvring_grant(&g, RX_RING_REF, dev.backend_id, RX_RING_GFN, 0), "grant the rx ring");
    check(pvring_evtchn_alloc_unbound(&g, dev.backend_id, &port), "alloc_unbound");
    printf("tx_ring_entries %u\nrx_ring_entries %u\n", RING_SIZE(&tx), RING_SIZE(&rx));

    /* talk_to_netback: the keys in one transaction, then Connected (netfront does not stop at Initialised). */
    for (;;)
    {
        uint32_t t;
        int rc;
        check(pvring_xs_transaction_start(&g, &t), "transaction start");
        check(pvring_xs_printf(&g, t, dev.frontend, "tx-ring-ref", "%u", TX_RING_REF), "tx-ring-ref");
        check(pvring_xs_printf(&g, t, dev.frontend, "rx-ring-ref", "%u", RX_RING_REF), "rx-ring-ref");
        check(pvring_xs_printf(&g, t, dev.frontend, "event-channel", "%u", port), "event-channel");
        check(pvring_xs_printf(&g, t, dev.frontend, "request-rx-copy", "1"), "request-rx-copy");
        check(pvring_xs_printf(&g, t, dev.frontend, "feature-rx-notify", "1"), "feature-rx-notify");
        rc = pvring_xs_transaction_end(&g, t, 0);
        if (rc != -EAGAIN)
        {
            check(rc, "transaction end");
            break;
        }
    }
    check(pvring_xenbus_switch_state(&g, PVRING_XBT_NULL, dev.frontend, XenbusStateConnected), "Connected");
    check(pvring_xenbus_wait_state(&g, dev.backend, XenbusStateConnected, 0, TIMEOUT_MS, NULL), "backend Connected");
    printf("backend_connected 1\n");

    /* Receive buffers first, so the frame the peer answers with has somewhere to go. */
    for (i = 0; i < NRX; i++)
    {
        netif_rx_request_t *req = RING_GET_REQUEST(&rx, rx.req_prod_pvt);
        memset(page(RX_GFN + (uint64_t)i), 0, PVRING_PAGE_SIZE);
        check(pvring_grant(&g, RX_REF + (grant_ref_t)i, dev.backend_id, RX_GFN + (uint64_t)i, 0), "grant rx");
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
    check(pvring_grant(&g, TX_REF, dev.backend_id, TX_GFN, 1), "grant tx");
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
                    fprintf(stderr, "serve_netfront: rx response id %u status %d\n", rsp->id, rsp->status);
                    return 1;
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
            uint32_t pending;
            check(pvring_evtchn_wait(&g, TIMEOUT_MS, &pending), "wait for a completion");
        }
    }
    printf("tx_status %d\nrx_len %d\nrx_ok %d\n", tx_status, rx_len, rx_ok);
    printf("tx_ref_ended %d\n", pvring_end_grant(&g, TX_REF) == 0);

    check(pvring_device_close(&g, &dev, TIMEOUT_MS), "close the device");
    printf("backend_closed 1\n");
    printf("rings_ended %d\n", pvring_end_grant(&g, TX_RING_REF) == 0 && pvring_end_grant(&g, RX_RING_REF) == 0);
    printf("evtchn_closed %d\n", pvring_evtchn_close(&g, port) == 0);
    printf("events %llu\n", (unsigned long long)g.events_received);
    pvring_close(&g);
    return 0;
}
