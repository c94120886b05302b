/*
 * A blkfront in another process, written only against Xen's public headers (io/blkif.h, io/ring.h,
 * grant_table.h, io/xenbus.h, io/protocols.h), libxenstore and pvring_evtchn.h: the worked example of attaching to
 * `pvring serve` (docs/OUT-OF-PROCESS.md).
 *
 *   serve_blkfront EVTCHN_SOCKET MEMFILE GNTFILE DOMID DEVID START_SECTOR
 *
 * with XENSTORED_PATH naming a xenstore socket (the guest's own one). It maps the guest's memory and grant table,
 * builds the shared ring in guest memory, grants it, allocates an event channel over the socket, runs the blkfront
 * xenbus handshake, writes a pattern with BLKIF_OP_WRITE, reads it back with BLKIF_OP_READ, flushes, and closes
 * the device. It prints "name value" lines; any failure exits non-zero with a message on stderr.
 */
#define FRONTEND_NAME "serve_blkfront"
#include "pvring_frontend.h"
#include <xen/io/blkif.h>

#define SECTORS_PER_PAGE (PAGE_SIZE_ / 512)

/* Guest-physical layout this frontend chose: the ring page, then the data pages. */
#define RING_GFN 16
#define DATA_GFN 32
#define RING_REF 8 /* Linux leaves the first GNTTAB_NR_RESERVED_ENTRIES (8) refs alone */
#define DATA_REF 16
#define NREQ 4
#define SEGS 4
#define NPAGES (NREQ * SEGS)

/* ---- the ring ---- */

static blkif_front_ring_t front;

static void push(void)
{
    int do_notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, do_notify);
    if (do_notify)
    {
        notify();
    }
}

/* Collects `count` responses, sleeping on the event channel between batches; returns how many failed. */
static int collect(int count, int16_t *last_status)
{
    int got = 0, failed = 0;
    while (got < count)
    {
        int more;
        while (front.rsp_cons != front.sring->rsp_prod)
        {
            RING_IDX prod = front.sring->rsp_prod;
            __atomic_thread_fence(__ATOMIC_ACQUIRE); /* responses visible after the index */
            for (; front.rsp_cons != prod; front.rsp_cons++)
            {
                blkif_response_t *rsp = RING_GET_RESPONSE(&front, front.rsp_cons);
                *last_status = rsp->status;
                if (rsp->status != BLKIF_RSP_OKAY)
                {
                    failed++;
                }
                got++;
            }
        }
        if (got >= count)
        {
            break;
        }
        RING_FINAL_CHECK_FOR_RESPONSES(&front, more);
        if (!more)
        {
            wait_event();
        }
    }
    return failed;
}

static uint8_t pattern(uint64_t sector, unsigned int offset)
{
    return (uint8_t)(sector * 31 + offset * 7 + 1);
}

static void queue_rw(uint8_t op, uint64_t sector, grant_ref_t first_ref, uint64_t id)
{
    blkif_request_t *req = RING_GET_REQUEST(&front, front.req_prod_pvt);
    int s;
    memset(req, 0, sizeof(*req));
    req->operation = op;
    req->nr_segments = SEGS;
    req->handle = 0;
    req->id = id;
    req->sector_number = sector;
    for (s = 0; s < SEGS; s++)
    {
        req->seg[s].gref = first_ref + (grant_ref_t)s;
        req->seg[s].first_sect = 0;
        req->seg[s].last_sect = SECTORS_PER_PAGE - 1;
    }
    front.req_prod_pvt++;
}

int main(int argc, char **argv)
{
    char fe[128], be[128], v[256];
    char *backend;
    struct sockaddr_un addr;
    struct pvring_evtchn_msg r;
    domid_t domid, backend_id;
    uint64_t start;
    blkif_sring_t *sring;
    xs_transaction_t t;
    int i, p, failed, ok;
    int16_t status = 0;
    long flush;

    if (argc != 7)
    {
        fprintf(stderr, "usage: %s EVTCHN_SOCKET MEMFILE GNTFILE DOMID DEVID START_SECTOR\n", argv[0]);
        return 2;
    }
    mem = map_file(argv[2], &mem_size);
    gnttab = map_file(argv[3], &gnttab_entries);
    gnttab_entries /= sizeof(grant_entry_v1_t);
    domid = (domid_t)strtoul(argv[4], NULL, 0);
    start = strtoull(argv[6], NULL, 0);
    snprintf(fe, sizeof(fe), "/local/domain/%u/device/vbd/%s", domid, argv[5]);

    xs = xs_open(0);
    if (xs == NULL)
    {
        die("xs_open: %s", strerror(errno));
    }
    snprintf(v, sizeof(v), "%s/backend", fe);
    backend = xs_get(v);
    if (backend != NULL && strlen(backend) >= sizeof(be))
    {
        die("backend path too long: %s", backend);
    }
    if (backend == NULL)
    {
        die("no %s", v);
    }
    snprintf(be, sizeof(be), "%s", backend);
    free(backend);
    backend_id = (domid_t)xs_get_long(fe, "backend-id", 0);

    /* The event channel socket: hello as our domain, an unbound port for the backend to bind. */
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

    /* blkfront's setup_blkring: a zeroed page, SHARED_RING_INIT, FRONT_RING_INIT, grant, evtchn. */
    sring = page(RING_GFN);
    memset(sring, 0, PAGE_SIZE_);
    SHARED_RING_INIT(sring);
    FRONT_RING_INIT(&front, sring, PAGE_SIZE_);
    grant(RING_REF, backend_id, RING_GFN, 0);
    r = evtchn_call(PVRING_EVTCHN_OP_ALLOC_UNBOUND, 0, backend_id, 0);
    if (r.status != 0)
    {
        die("alloc_unbound: %d", r.status);
    }
    evtchn_port = r.port;
    printf("ring_entries %u\nevtchn_port %u\n", RING_SIZE(&front), evtchn_port);

    /* talk_to_blkback: the keys in one transaction (retried on EAGAIN), then Initialised. */
    for (;;)
    {
        t = xs_transaction_start(xs);
        if (t == XBT_NULL)
        {
            die("xs_transaction_start: %s", strerror(errno));
        }
        snprintf(v, sizeof(v), "%u", RING_REF);
        xs_put(t, fe, "ring-ref", v);
        snprintf(v, sizeof(v), "%u", evtchn_port);
        xs_put(t, fe, "event-channel", v);
        xs_put(t, fe, "protocol", XEN_IO_PROTO_ABI_NATIVE);
        if (xs_transaction_end(xs, t, false))
        {
            break;
        }
        if (errno != EAGAIN)
        {
            die("xs_transaction_end: %s", strerror(errno));
        }
    }
    switch_state(fe, XenbusStateInitialised);

    /* blkfront_connect: the backend's Connected, then the disk's geometry and features. */
    wait_state(be, XenbusStateConnected, 0);
    printf("sectors %ld\nsector_size %ld\n", xs_get_long(be, "sectors", -1), xs_get_long(be, "sector-size", -1));
    flush = xs_get_long(be, "feature-flush-cache", 0);
    printf("feature_flush_cache %ld\n", flush);
    switch_state(fe, XenbusStateConnected);

    /* Writes: NREQ requests of SEGS pages each, granted read-only (the backend only reads them). */
    for (p = 0; p < NPAGES; p++)
    {
        uint8_t *d = page(DATA_GFN + (unsigned long)p);
        unsigned int o;
        for (o = 0; o < PAGE_SIZE_; o++)
        {
            d[o] = pattern(start + (uint64_t)p * SECTORS_PER_PAGE + o / 512, o % 512);
        }
        grant(DATA_REF + (grant_ref_t)p, backend_id, DATA_GFN + (unsigned long)p, 1);
    }
    for (i = 0; i < NREQ; i++)
    {
        queue_rw(BLKIF_OP_WRITE, start + (uint64_t)i * SEGS * SECTORS_PER_PAGE, DATA_REF + (grant_ref_t)(i * SEGS),
            100 + (uint64_t)i);
    }
    push();
    failed = collect(NREQ, &status);
    printf("write_failed %d\n", failed);
    for (p = 0; p < NPAGES; p++)
    {
        if (!end_access(DATA_REF + (grant_ref_t)p))
        {
            die("write grant %d still mapped after its response", p);
        }
        memset(page(DATA_GFN + (unsigned long)p), 0, PAGE_SIZE_);
        grant(DATA_REF + (grant_ref_t)p, backend_id, DATA_GFN + (unsigned long)p, 0);
    }

    /* Reads into the zeroed pages, granted writable. */
    for (i = 0; i < NREQ; i++)
    {
        queue_rw(BLKIF_OP_READ, start + (uint64_t)i * SEGS * SECTORS_PER_PAGE, DATA_REF + (grant_ref_t)(i * SEGS),
            200 + (uint64_t)i);
    }
    push();
    failed = collect(NREQ, &status);
    printf("read_failed %d\n", failed);
    ok = 1;
    for (p = 0; p < NPAGES && ok; p++)
    {
        const uint8_t *d = page(DATA_GFN + (unsigned long)p);
        unsigned int o;
        if (!end_access(DATA_REF + (grant_ref_t)p))
        {
            die("read grant %d still mapped after its response", p);
        }
        for (o = 0; o < PAGE_SIZE_; o++)
        {
            if (d[o] != pattern(start + (uint64_t)p * SECTORS_PER_PAGE + o / 512, o % 512))
            {
                fprintf(stderr, "mismatch at page %d offset %u: %u\n", p, o, d[o]);
                ok = 0;
                break;
            }
        }
    }
    printf("bytes %lu\nread_back_ok %d\n", (unsigned long)(NPAGES * PAGE_SIZE_), ok);

    /* A cache flush, as blkfront issues for REQ_PREFLUSH when the backend offers feature-flush-cache. */
    if (flush)
    {
        blkif_request_t *req = RING_GET_REQUEST(&front, front.req_prod_pvt);
        memset(req, 0, sizeof(*req));
        req->operation = BLKIF_OP_FLUSH_DISKCACHE;
        req->nr_segments = 0;
        req->id = 300;
        req->sector_number = 0;
        front.req_prod_pvt++;
        push();
        collect(1, &status);
        printf("flush_status %d\n", status);
    }

    /* Close as blkfront's removal does: Closing, the backend follows, then Closed; the backend disconnects. */
    switch_state(fe, XenbusStateClosing);
    wait_state(be, XenbusStateClosing, 1);
    switch_state(fe, XenbusStateClosed);
    wait_state(be, XenbusStateClosed, 0);
    printf("backend_closed 1\n");
    printf("ring_ref_ended %d\n", end_access(RING_REF));
    r = evtchn_call(PVRING_EVTCHN_OP_CLOSE, evtchn_port, 0, 0);
    printf("evtchn_closed %d\n", r.status == 0);
    printf("events %d\n", events_seen);
    close(evtchn_fd);
    xs_close(xs);
    return 0;
}
