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
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
/* ring.h leaves the barriers to its user (the kernel's, in Linux): full fences, as x86 needs for mb(). */
#define mb() __sync_synchronize()
#define rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/io/ring.h>
#include <xen/io/netif.h>
#include <xen/io/protocols.h>
#include <xen/io/xenbus.h>
#include <xenstore.h>
#include <pvring_evtchn.h>

#define PAGE_SIZE_ (1UL << XEN_PAGE_SHIFT)
#define SECTORS_PER_PAGE (PAGE_SIZE_ / 512)
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

static uint8_t *mem;
static size_t mem_size;
static grant_entry_v1_t *gnttab;
static size_t gnttab_entries;
static struct xs_handle *xs;
static int evtchn_fd = -1;
static uint32_t evtchn_port;
static uint32_t next_id = 1;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "serve_netfront: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static void *map_file(const char *path, size_t *size)
{
    struct stat st;
    void *p;
    int fd = open(path, O_RDWR);
    if (fd < 0 || fstat(fd, &st) != 0)
    {
        die("%s: %s", path, strerror(errno));
    }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
    {
        die("mmap %s: %s", path, strerror(errno));
    }
    close(fd);
    *size = (size_t)st.st_size;
    return p;
}

static void *page(unsigned long gfn)
{
    if ((gfn + 1) * PAGE_SIZE_ > mem_size)
    {
        die("gfn %lu outside guest memory", gfn);
    }
    return mem + gfn * PAGE_SIZE_;
}

/* Linux gnttab_grant_foreign_access_ref (v1): frame and domid, then the flags, behind a write barrier. */
static void grant(grant_ref_t ref, domid_t domid, unsigned long gfn, int readonly)
{
    if (ref >= gnttab_entries)
    {
        die("ref %u outside the grant table", ref);
    }
    gnttab[ref].frame = (uint32_t)gfn;
    gnttab[ref].domid = domid;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&gnttab[ref].flags, GTF_permit_access | (readonly ? GTF_readonly : 0), __ATOMIC_RELEASE);
}

/* Linux gnttab_end_foreign_access_ref_v1: fails while the backend has the page mapped. */
static int end_access(grant_ref_t ref)
{
    uint16_t flags, nflags = __atomic_load_n(&gnttab[ref].flags, __ATOMIC_ACQUIRE);
    do
    {
        flags = nflags;
        if (flags & (GTF_reading | GTF_writing))
        {
            return 0;
        }
        nflags = __sync_val_compare_and_swap(&gnttab[ref].flags, flags, 0);
    }
    while (nflags != flags);
    return 1;
}

/* ---- event channels over pvring's socket ---- */

static void evtchn_write(const struct pvring_evtchn_msg *m)
{
    const char *p = (const char *)m;
    size_t left = sizeof(*m);
    while (left > 0)
    {
        ssize_t n = write(evtchn_fd, p, left);
        if (n <= 0)
        {
            die("evtchn write: %s", strerror(errno));
        }
        p += n;
        left -= (size_t)n;
    }
}

static void evtchn_read(struct pvring_evtchn_msg *m)
{
    char *p = (char *)m;
    size_t left = sizeof(*m);
    while (left > 0)
    {
        struct pollfd pfd = {.fd = evtchn_fd, .events = POLLIN};
        ssize_t n;
        if (poll(&pfd, 1, TIMEOUT_MS) != 1)
        {
            die("no message from the event channel socket within %d ms", TIMEOUT_MS);
        }
        n = read(evtchn_fd, p, left);
        if (n <= 0)
        {
            die("evtchn read: %s", n == 0 ? "closed by the server" : strerror(errno));
        }
        p += n;
        left -= (size_t)n;
    }
    if (m->size != PVRING_EVTCHN_MSG_SIZE)
    {
        die("bad message size %u", m->size);
    }
}

static int events_seen;

/* A request and its reply; an event arriving in between only counts (the ring is checked anyway). */
static struct pvring_evtchn_msg evtchn_call(uint16_t op, uint32_t port, uint32_t domid, uint32_t remote_port)
{
    struct pvring_evtchn_msg m = {.size = PVRING_EVTCHN_MSG_SIZE, .op = op, .id = next_id++, .port = port,
                                  .domid = domid, .remote_port = remote_port};
    evtchn_write(&m);
    for (;;)
    {
        struct pvring_evtchn_msg r;
        evtchn_read(&r);
        if (r.op == PVRING_EVTCHN_OP_EVENT)
        {
            events_seen++;
            continue;
        }
        if (r.op != (op | PVRING_EVTCHN_OP_REPLY) || r.id != m.id)
        {
            die("unexpected reply op %u id %u to op %u id %u", r.op, r.id, op, m.id);
        }
        return r;
    }
}

static void notify(void)
{
    struct pvring_evtchn_msg m = {.size = PVRING_EVTCHN_MSG_SIZE, .op = PVRING_EVTCHN_OP_SEND,
                                  .id = next_id++, .port = evtchn_port};
    evtchn_write(&m); /* a successful send has no reply */
}

/* Blocks until our port is notified (an event message), like a read of /dev/xen/evtchn. */
static void wait_event(void)
{
    struct pvring_evtchn_msg m;
    evtchn_read(&m);
    if (m.op != PVRING_EVTCHN_OP_EVENT)
    {
        die("expected an event, got op %u status %d", m.op, m.status);
    }
    if (m.port != evtchn_port)
    {
        die("event for port %u, ours is %u", m.port, evtchn_port);
    }
    events_seen++;
}

/* ---- xenstore ---- */

static char *xs_get(const char *path)
{
    unsigned int len;
    return xs_read(xs, XBT_NULL, path, &len);
}

static long xs_get_long(const char *dir, const char *key, long dflt)
{
    char path[256];
    char *v;
    long result = dflt;
    snprintf(path, sizeof(path), "%s/%s", dir, key);
    v = xs_get(path);
    if (v != NULL)
    {
        result = strtol(v, NULL, 10);
        free(v);
    }
    return result;
}

static void xs_put(xs_transaction_t t, const char *dir, const char *key, const char *value)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, key);
    if (!xs_write(xs, t, path, value, (unsigned int)strlen(value)))
    {
        die("xs_write %s: %s", path, strerror(errno));
    }
}

static void switch_state(const char *dir, enum xenbus_state state)
{
    char v[8];
    snprintf(v, sizeof(v), "%d", (int)state);
    xs_put(XBT_NULL, dir, "state", v);
}

/* Waits, through a watch, until the other end's state is `want` (or, with `or_later`, past it). */
static void wait_state(const char *dir, enum xenbus_state want, int or_later)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/state", dir);
    if (!xs_watch(xs, path, "state"))
    {
        die("xs_watch %s: %s", path, strerror(errno));
    }
    for (;;)
    {
        long s = xs_get_long(dir, "state", XenbusStateUnknown);
        struct pollfd pfd = {.fd = xs_fileno(xs), .events = POLLIN};
        unsigned int n;
        char **event;
        if (s == (long)want || (or_later && s > (long)want))
        {
            break;
        }
        if (s == XenbusStateClosing && want < XenbusStateClosing)
        {
            die("%s went Closing while waiting for state %d", dir, (int)want);
        }
        if (poll(&pfd, 1, TIMEOUT_MS) != 1)
        {
            die("%s still %ld after %d ms (want %d)", path, s, TIMEOUT_MS, (int)want);
        }
        event = xs_read_watch(xs, &n);
        free(event);
    }
    xs_unwatch(xs, path, "state");
}

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
