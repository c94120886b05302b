/*
 * The out-of-process netfronts of `pvring bench net --frontend process`: written against Xen's public headers and
 * the client `pvring serve` ships (pvring_client.h), compiled at run time, attached to two guests of the bench's
 * in-JVM serve host exactly as an emulator's netfront would be (the handshake of serve_netfront.c, the interop test).
 *
 *   netfront_bench DIR DOMID_A DOMID_B DEVID POLL FRAME WARMUP_MS DURATION_MS
 *
 * Guest A transmits FRAME-byte frames (one slot each, its send time inside) to guest B's MAC through pvring's
 * switch as fast as its TX ring takes them; guest B keeps its RX ring full of buffers and counts what arrives, with
 * the latency from each frame's stamp. One thread drives both, as the in-process bench's guest thread does. POLL 1
 * spins; 0 sleeps on both guests' event channels when neither ring has work. Prints "name value" lines.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pvring_client.h"
#include <xen/io/netif.h>
#include "oop_latency.h"

/* Ctrl-C reaches this process too (same process group): stop, and print what was measured as partial. */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

#define TIMEOUT_MS 20000
#define TX_RING_GFN 16
#define RX_RING_GFN 17
#define TX_GFN 32
#define RX_GFN 512
#define TX_RING_REF 8 /* Linux leaves the first GNTTAB_NR_RESERVED_ENTRIES (8) refs alone */
#define RX_RING_REF 9
#define TX_REF 16
#define RX_REF 512
#define NSLOTS __CONST_RING_SIZE(netif_tx, PVRING_PAGE_SIZE)
#define ETH_HLEN 14
#define ETHERTYPE 0x88b5 /* IEEE local experimental */
#define STAMP_OFFSET ETH_HLEN
#define BURST 32

struct vif
{
    const char *name;
    struct pvring_guest g;
    struct pvring_device dev;
    netif_tx_front_ring_t tx;
    netif_rx_front_ring_t rx;
    uint32_t port;
    uint8_t mac[6];
    uint64_t pushes, sent;
};

static struct vif a = {.name = "A"}, b = {.name = "B"};

static void check(struct vif *v, int rc, const char *what)
{
    if (rc != 0)
    {
        fprintf(stderr, "netfront_bench: guest %s: %s: %s (%d)\n", v->name, what, v->g.error, rc);
        exit(1);
    }
}

static uint8_t *page(struct vif *v, uint64_t gfn)
{
    uint8_t *p = pvring_page(&v->g, gfn);
    if (p == NULL)
    {
        fprintf(stderr, "netfront_bench: guest %s: gfn %llu outside its memory\n", v->name,
            (unsigned long long)gfn);
        exit(1);
    }
    return p;
}

static void notify(struct vif *v, int do_notify)
{
    v->pushes++;
    if (do_notify)
    {
        v->sent++;
        check(v, pvring_evtchn_notify(&v->g, v->port), "notify");
    }
}

static void push_tx(struct vif *v)
{
    int do_notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&v->tx, do_notify);
    notify(v, do_notify);
}

static void push_rx(struct vif *v)
{
    int do_notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&v->rx, do_notify);
    notify(v, do_notify);
}

/* serve_netfront.c's handshake: both rings and one event channel, the keys in one transaction, Connected. */
static void connect_vif(struct vif *v, const char *dir, const char *domid, const char *devid)
{
    char path[160], text[64];
    unsigned int m[6];
    int i;
    pvring_init(&v->g);
    check(v, pvring_open(&v->g, dir, (uint32_t)strtoul(domid, NULL, 0), 0), "open");
    check(v, pvring_device_find(&v->g, "vif", devid, &v->dev), "find the vif");
    snprintf(path, sizeof(path), "%s/mac", v->dev.frontend);
    check(v, pvring_xs_read(&v->g, PVRING_XBT_NULL, path, text, sizeof(text), NULL), "mac");
    if (sscanf(text, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
    {
        fprintf(stderr, "netfront_bench: %s is not a MAC: %s\n", path, text);
        exit(1);
    }
    for (i = 0; i < 6; i++)
    {
        v->mac[i] = (uint8_t)m[i];
    }
    check(v, pvring_xenbus_wait_state(&v->g, v->dev.backend, XenbusStateInitWait, 0, TIMEOUT_MS, NULL),
        "backend InitWait");
    memset(page(v, TX_RING_GFN), 0, PVRING_PAGE_SIZE);
    memset(page(v, RX_RING_GFN), 0, PVRING_PAGE_SIZE);
    SHARED_RING_INIT((netif_tx_sring_t *)page(v, TX_RING_GFN));
    FRONT_RING_INIT(&v->tx, (netif_tx_sring_t *)page(v, TX_RING_GFN), PVRING_PAGE_SIZE);
    SHARED_RING_INIT((netif_rx_sring_t *)page(v, RX_RING_GFN));
    FRONT_RING_INIT(&v->rx, (netif_rx_sring_t *)page(v, RX_RING_GFN), PVRING_PAGE_SIZE);
    check(v, pvring_grant(&v->g, TX_RING_REF, v->dev.backend_id, TX_RING_GFN, 0), "grant the tx ring");
    check(v, pvring_grant(&v->g, RX_RING_REF, v->dev.backend_id, RX_RING_GFN, 0), "grant the rx ring");
    check(v, pvring_evtchn_alloc_unbound(&v->g, v->dev.backend_id, &v->port), "alloc_unbound");
    for (;;)
    {
        uint32_t t;
        int rc;
        check(v, pvring_xs_transaction_start(&v->g, &t), "transaction start");
        check(v, pvring_xs_printf(&v->g, t, v->dev.frontend, "tx-ring-ref", "%u", TX_RING_REF), "tx-ring-ref");
        check(v, pvring_xs_printf(&v->g, t, v->dev.frontend, "rx-ring-ref", "%u", RX_RING_REF), "rx-ring-ref");
        check(v, pvring_xs_printf(&v->g, t, v->dev.frontend, "event-channel", "%u", v->port), "event-channel");
        check(v, pvring_xs_printf(&v->g, t, v->dev.frontend, "request-rx-copy", "1"), "request-rx-copy");
        check(v, pvring_xs_printf(&v->g, t, v->dev.frontend, "feature-rx-notify", "1"), "feature-rx-notify");
        rc = pvring_xs_transaction_end(&v->g, t, 0);
        if (rc != -EAGAIN)
        {
            check(v, rc, "transaction end");
            break;
        }
    }
    check(v, pvring_xenbus_switch_state(&v->g, PVRING_XBT_NULL, v->dev.frontend, XenbusStateConnected),
        "Connected");
    check(v, pvring_xenbus_wait_state(&v->g, v->dev.backend, XenbusStateConnected, 0, TIMEOUT_MS, NULL),
        "backend Connected");
}

/* Every RX slot gets a buffer, granted once (the backend copies into it; the grant outlives each frame). */
static void post_rx_buffers(struct vif *v)
{
    unsigned int i;
    for (i = 0; i < RING_SIZE(&v->rx); i++)
    {
        netif_rx_request_t *req = RING_GET_REQUEST(&v->rx, v->rx.req_prod_pvt);
        check(v, pvring_grant(&v->g, RX_REF + i, v->dev.backend_id, RX_GFN + i, 0), "grant an rx buffer");
        req->id = (uint16_t)i;
        req->gref = RX_REF + i;
        v->rx.req_prod_pvt++;
    }
    push_rx(v);
}

/* One frame from `from` to `to` in each TX page, granted read-only once. */
static void prepare_tx(struct vif *from, const uint8_t *to, unsigned int frame)
{
    unsigned int i, k;
    for (i = 0; i < NSLOTS; i++)
    {
        uint8_t *f = page(from, TX_GFN + i);
        memcpy(f, to, 6);
        memcpy(f + 6, from->mac, 6);
        f[12] = ETHERTYPE >> 8;
        f[13] = ETHERTYPE & 0xff;
        for (k = ETH_HLEN; k < frame; k++)
        {
            f[k] = (uint8_t)k;
        }
        check(from, pvring_grant(&from->g, TX_REF + i, from->dev.backend_id, TX_GFN + i, 1), "grant a tx page");
    }
}

static void send_frame(struct vif *v, unsigned int id, unsigned int frame, uint64_t stamp)
{
    netif_tx_request_t *req = RING_GET_REQUEST(&v->tx, v->tx.req_prod_pvt);
    memcpy(page(v, TX_GFN + id) + STAMP_OFFSET, &stamp, sizeof(stamp));
    req->gref = TX_REF + id;
    req->offset = 0;
    req->flags = 0;
    req->id = (uint16_t)id;
    req->size = (uint16_t)frame;
    v->tx.req_prod_pvt++;
}

/* Sleeps until either guest's events (socket or call eventfds) have something, then takes what they have. */
static void wait_either(void)
{
    struct pollfd fds[2 * (1 + PVRING_MAX_DOORBELLS)];
    struct vif *vifs[2] = {&a, &b};
    int na = pvring_evtchn_pollfds(&a.g, fds, 1 + PVRING_MAX_DOORBELLS);
    int nb = pvring_evtchn_pollfds(&b.g, fds + na, 1 + PVRING_MAX_DOORBELLS);
    int i, n = poll(fds, (nfds_t)(na + nb), TIMEOUT_MS);
    if (n == 0)
    {
        fprintf(stderr, "netfront_bench: no event on either guest within %d ms\n", TIMEOUT_MS);
        exit(1);
    }
    for (i = 0; i < 2; i++)
    {
        uint32_t port;
        int rc;
        while ((rc = pvring_evtchn_wait(&vifs[i]->g, 0, &port)) == 0)
        {
        }
        if (rc != -ETIMEDOUT)
        {
            check(vifs[i], rc, "take events");
        }
    }
}

int main(int argc, char **argv)
{
    unsigned int frame, poll_mode, free_ids[NSLOTS], nfree = 0, i;
    uint64_t warmup_end, end, measured_start = 0, ops = 0, pushes_at = 0, sent_at = 0, tx_frames = 0;
    int measuring = 0;

    if (argc != 9)
    {
        fprintf(stderr, "usage: %s DIR DOMID_A DOMID_B DEVID POLL FRAME WARMUP_MS DURATION_MS\n", argv[0]);
        return 2;
    }
    signal(SIGINT, on_interrupt);
    poll_mode = (unsigned int)strtoul(argv[5], NULL, 0);
    frame = (unsigned int)strtoul(argv[6], NULL, 0);
    if (frame < ETH_HLEN + 8 || frame > PVRING_PAGE_SIZE)
    {
        fprintf(stderr, "netfront_bench: frame %u outside %d..%lu\n", frame, ETH_HLEN + 8, PVRING_PAGE_SIZE);
        return 2;
    }
    connect_vif(&a, argv[1], argv[2], argv[4]);
    connect_vif(&b, argv[1], argv[3], argv[4]);
    post_rx_buffers(&b);
    post_rx_buffers(&a);
    prepare_tx(&a, b.mac, frame);
    /* B speaks once (a broadcast), so that the switch learns its port and A's frames go to B alone */
    {
        static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        prepare_tx(&b, broadcast, frame);
        send_frame(&b, 0, frame, 0);
        push_tx(&b);
    }
    for (i = 0; i < NSLOTS; i++)
    {
        free_ids[nfree++] = NSLOTS - 1 - i;
    }
    printf("tx_ring_entries %u\nrx_ring_entries %u\n", RING_SIZE(&a.tx), RING_SIZE(&b.rx));

    warmup_end = now_ns() + strtoull(argv[7], NULL, 0) * 1000000ull;
    end = warmup_end + strtoull(argv[8], NULL, 0) * 1000000ull;
    for (;;)
    {
        RING_IDX prod;
        uint64_t t = now_ns();
        unsigned int work = 0, burst = 0, rx_done = 0;
        if (!measuring && t >= warmup_end)
        {
            measuring = 1;
            measured_start = t;
            pushes_at = a.pushes + b.pushes;
            sent_at = a.sent + b.sent;
        }
        if (t >= end || interrupted)
        {
            break;
        }
        /* A's transmitted frames come back as TX responses: their pages are free again */
        prod = a.tx.sring->rsp_prod;
        rmb(); /* responses visible after the index */
        for (; a.tx.rsp_cons != prod; a.tx.rsp_cons++)
        {
            netif_tx_response_t *rsp = RING_GET_RESPONSE(&a.tx, a.tx.rsp_cons);
            if (rsp->status == NETIF_RSP_NULL)
            {
                continue;
            }
            if (rsp->status != NETIF_RSP_OKAY || rsp->id >= NSLOTS)
            {
                fprintf(stderr, "netfront_bench: tx response id %u status %d\n", rsp->id, rsp->status);
                return 1;
            }
            free_ids[nfree++] = rsp->id;
            work++;
        }
        while (nfree > 0 && burst < BURST && !RING_FULL(&a.tx))
        {
            send_frame(&a, free_ids[--nfree], frame, t);
            burst++;
        }
        if (burst > 0)
        {
            push_tx(&a);
            tx_frames += burst;
            work += burst;
        }
        /* B's received frames: count, time, and give the buffer back */
        prod = b.rx.sring->rsp_prod;
        rmb();
        for (; b.rx.rsp_cons != prod; b.rx.rsp_cons++)
        {
            netif_rx_response_t *rsp = RING_GET_RESPONSE(&b.rx, b.rx.rsp_cons);
            netif_rx_request_t *req = RING_GET_REQUEST(&b.rx, b.rx.req_prod_pvt);
            uint16_t id = rsp->id;
            if (rsp->status <= 0 || id >= RING_SIZE(&b.rx))
            {
                fprintf(stderr, "netfront_bench: rx response id %u status %d\n", id, rsp->status);
                return 1;
            }
            if (measuring && rsp->status == (int16_t)frame)
            {
                uint64_t stamp;
                memcpy(&stamp, page(&b, RX_GFN + id) + rsp->offset + STAMP_OFFSET, sizeof(stamp));
                lat_record(t > stamp ? t - stamp : 0);
                ops++;
            }
            req->id = id;
            req->gref = RX_REF + id;
            b.rx.req_prod_pvt++;
            rx_done++;
        }
        /* A may receive B's broadcast: its buffers go straight back too */
        prod = a.rx.sring->rsp_prod;
        rmb();
        for (; a.rx.rsp_cons != prod; a.rx.rsp_cons++)
        {
            netif_rx_response_t *rsp = RING_GET_RESPONSE(&a.rx, a.rx.rsp_cons);
            netif_rx_request_t *req = RING_GET_REQUEST(&a.rx, a.rx.req_prod_pvt);
            req->id = rsp->id;
            req->gref = RX_REF + rsp->id;
            a.rx.req_prod_pvt++;
            push_rx(&a);
        }
        if (rx_done > 0)
        {
            push_rx(&b);
            work += rx_done;
        }
        if (work == 0 && !poll_mode)
        {
            int more_tx, more_rx;
            RING_FINAL_CHECK_FOR_RESPONSES(&a.tx, more_tx);
            RING_FINAL_CHECK_FOR_RESPONSES(&b.rx, more_rx);
            if (!more_tx && !more_rx)
            {
                wait_either();
            }
        }
    }
    printf("ops %llu\nmeasured_ns %llu\ntx_frames %llu\n", (unsigned long long)ops,
        (unsigned long long)(measuring ? now_ns() - measured_start : 0), (unsigned long long)tx_frames);
    printf("notify_sent %llu\nnotify_suppressed %llu\n", (unsigned long long)(a.sent + b.sent - sent_at),
        (unsigned long long)((a.pushes + b.pushes - pushes_at) - (a.sent + b.sent - sent_at)));
    printf("partial %d\n", (int)interrupted);
    lat_print();
    fflush(stdout);
    pvring_close(&a.g);
    pvring_close(&b.g);
    return 0;
}
