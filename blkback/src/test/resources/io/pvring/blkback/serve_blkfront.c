/*
 * A blkfront in another process, written only against Xen's public headers (io/blkif.h, io/ring.h,
 * grant_table.h, io/xenbus.h, io/protocols.h) and the client pvring serve ships (pvring_client.h): the worked
 * example of attaching to `pvring serve` (docs/OUT-OF-PROCESS.md).
 *
 *   serve_blkfront DIR DOMID DEVID START_SECTOR
 *
 * It opens guest DOMID of the serve directory DIR (its memory, grant table and its own sockets), builds the shared
 * ring in guest memory, grants it, allocates an event channel, runs the blkfront xenbus handshake, writes a
 * pattern with BLKIF_OP_WRITE, reads it back with BLKIF_OP_READ, flushes, and closes the device. It prints
 * "name value" lines; any failure exits non-zero with the client's reason on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pvring_client.h"
#include <xen/io/blkif.h>

#define SECTORS_PER_PAGE (PVRING_PAGE_SIZE / 512)
#define TIMEOUT_MS 20000

/* Guest-physical layout this frontend chose: the ring page, then the data pages. */
#define RING_GFN 16
#define DATA_GFN 32
#define RING_REF 8 /* Linux leaves the first GNTTAB_NR_RESERVED_ENTRIES (8) refs alone */
#define DATA_REF 16
#define NREQ 4
#define SEGS 4
#define NPAGES (NREQ * SEGS)

static struct pvring_guest g;
static blkif_front_ring_t front;
static uint32_t port;

static void check(int rc, const char *what)
{
    if (rc != 0)
    {
        fprintf(stderr, "serve_blkfront: %s: %s (%d)\n", what, g.error, rc);
        exit(1);
    }
}

static void *page(uint64_t gfn)
{
    void *p = pvring_page(&g, gfn);
    if (p == NULL)
    {
        fprintf(stderr, "serve_blkfront: gfn %llu outside guest memory\n", (unsigned long long)gfn);
        exit(1);
    }
    return p;
}

static void push(void)
{
    int do_notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, do_notify);
    if (do_notify)
    {
        check(pvring_evtchn_notify(&g, port), "notify");
    }
}

/* Collects `count` responses, sleeping on the event channel between batches; returns how many failed. */
static int collect(int count, int16_t *last_status)
{
    int got = 0, failed = 0;
    while (got < count)
    {
        int more;
        uint32_t pending;
        while (front.rsp_cons != front.sring->rsp_prod)
        {
            RING_IDX prod = front.sring->rsp_prod;
            rmb(); /* responses visible after the index */
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
            check(pvring_evtchn_wait(&g, TIMEOUT_MS, &pending), "wait for a response");
            if (pending != port)
            {
                fprintf(stderr, "serve_blkfront: event for port %u, ours is %u\n", pending, port);
                exit(1);
            }
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
    struct pvring_device dev;
    uint64_t start;
    blkif_sring_t *sring;
    int i, p, failed, ok;
    int16_t status = 0;
    long flush = 0, value;

    if (argc != 5)
    {
        fprintf(stderr, "usage: %s DIR DOMID DEVID START_SECTOR\n", argv[0]);
        return 2;
    }
    pvring_init(&g);
    check(pvring_open(&g, argv[1], (uint32_t)strtoul(argv[2], NULL, 0), 0), "open");
    start = strtoull(argv[4], NULL, 0);
    check(pvring_device_find(&g, "vbd", argv[3], &dev), "find the vbd");

    check(pvring_xenbus_wait_state(&g, dev.backend, XenbusStateInitWait, 0, TIMEOUT_MS, NULL), "backend InitWait");
    printf("backend_initwait 1\n");

    /* blkfront's setup_blkring: a zeroed page, SHARED_RING_INIT, FRONT_RING_INIT, grant, evtchn. */
    sring = page(RING_GFN);
    memset(sring, 0, PVRING_PAGE_SIZE);
    SHARED_RING_INIT(sring);
    FRONT_RING_INIT(&front, sring, PVRING_PAGE_SIZE);
    check(pvring_grant(&g, RING_REF, dev.backend_id, RING_GFN, 0), "grant the ring");
    check(pvring_evtchn_alloc_unbound(&g, dev.backend_id, &port), "alloc_unbound");
    printf("ring_entries %u\nevtchn_port %u\n", RING_SIZE(&front), port);

    /* talk_to_blkback: the keys in one transaction (retried on EAGAIN), then Initialised. */
    for (;;)
    {
        uint32_t t;
        int rc;
        check(pvring_xs_transaction_start(&g, &t), "transaction start");
        check(pvring_xs_printf(&g, t, dev.frontend, "ring-ref", "%u", RING_REF), "ring-ref");
        check(pvring_xs_printf(&g, t, dev.frontend, "event-channel", "%u", port), "event-channel");
        check(pvring_xs_printf(&g, t, dev.frontend, "protocol", "%s", XEN_IO_PROTO_ABI_NATIVE), "protocol");
        rc = pvring_xs_transaction_end(&g, t, 0);
        if (rc != -EAGAIN)
        {
            check(rc, "transaction end");
            break;
        }
    }
    check(pvring_xenbus_switch_state(&g, PVRING_XBT_NULL, dev.frontend, XenbusStateInitialised), "Initialised");

    /* blkfront_connect: the backend's Connected, then the disk's geometry and features. */
    check(pvring_xenbus_wait_state(&g, dev.backend, XenbusStateConnected, 0, TIMEOUT_MS, NULL), "backend Connected");
    check(pvring_xs_read_long(&g, PVRING_XBT_NULL, dev.backend, "sectors", &value), "sectors");
    printf("sectors %ld\n", value);
    check(pvring_xs_read_long(&g, PVRING_XBT_NULL, dev.backend, "sector-size", &value), "sector-size");
    printf("sector_size %ld\n", value);
    if (pvring_xs_read_long(&g, PVRING_XBT_NULL, dev.backend, "feature-flush-cache", &flush) != 0)
    {
        flush = 0;
    }
    printf("feature_flush_cache %ld\n", flush);
    check(pvring_xenbus_switch_state(&g, PVRING_XBT_NULL, dev.frontend, XenbusStateConnected), "Connected");

    /* Writes: NREQ requests of SEGS pages each, granted read-only (the backend only reads them). */
    for (p = 0; p < NPAGES; p++)
    {
        uint8_t *d = page(DATA_GFN + (uint64_t)p);
        unsigned int o;
        for (o = 0; o < PVRING_PAGE_SIZE; o++)
        {
            d[o] = pattern(start + (uint64_t)p * SECTORS_PER_PAGE + o / 512, o % 512);
        }
        check(pvring_grant(&g, DATA_REF + (grant_ref_t)p, dev.backend_id, DATA_GFN + (uint64_t)p, 1), "grant");
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
        check(pvring_end_grant(&g, DATA_REF + (grant_ref_t)p), "end a write grant after its response");
        memset(page(DATA_GFN + (uint64_t)p), 0, PVRING_PAGE_SIZE);
        check(pvring_grant(&g, DATA_REF + (grant_ref_t)p, dev.backend_id, DATA_GFN + (uint64_t)p, 0), "grant");
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
        const uint8_t *d = page(DATA_GFN + (uint64_t)p);
        unsigned int o;
        check(pvring_end_grant(&g, DATA_REF + (grant_ref_t)p), "end a read grant after its response");
        for (o = 0; o < PVRING_PAGE_SIZE; o++)
        {
            if (d[o] != pattern(start + (uint64_t)p * SECTORS_PER_PAGE + o / 512, o % 512))
            {
                fprintf(stderr, "mismatch at page %d offset %u: %u\n", p, o, d[o]);
                ok = 0;
                break;
            }
        }
    }
    printf("bytes %lu\nread_back_ok %d\n", (unsigned long)(NPAGES * PVRING_PAGE_SIZE), ok);

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
    check(pvring_device_close(&g, &dev, TIMEOUT_MS), "close the device");
    printf("backend_closed 1\n");
    printf("ring_ref_ended %d\n", pvring_end_grant(&g, RING_REF) == 0);
    printf("evtchn_closed %d\n", pvring_evtchn_close(&g, port) == 0);
    printf("events %llu\n", (unsigned long long)g.events_received);
    pvring_close(&g);
    return 0;
}
