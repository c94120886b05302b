/*
 * The out-of-process blkfront of `pvring bench blk --frontend process`: written against Xen's public headers and
 * the client `pvring serve` ships (pvring_client.h), compiled at run time, attached to the bench's in-JVM serve
 * host exactly as any emulator's frontend would be (the handshake of serve_blkfront.c, the interop test).
 *
 *   blkfront_bench DIR DOMID DEVID QD POLL PERSISTENT WARMUP_MS DURATION_MS SECTORS SEED
 *
 * Keeps QD 4 KiB random reads in flight (closed loop) over the disk's first SECTORS sectors; POLL 1 spins on the
 * ring, 0 sleeps on the event channel (RING_FINAL_CHECK_FOR_RESPONSES, then wait). PERSISTENT 1 asks for
 * persistent grants and, when the backend agrees, grants each data page once. Prints "name value" lines: ops and
 * latency of the measured interval, notifications sent and suppressed. Failures exit non-zero with a reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pvring_client.h"
#include <xen/io/blkif.h>
#include "oop_latency.h"

#define TIMEOUT_MS 20000
#define RING_GFN 16
#define DATA_GFN 32
#define RING_REF 8 /* Linux leaves the first GNTTAB_NR_RESERVED_ENTRIES (8) refs alone */
#define DATA_REF 16
#define SECTORS_PER_PAGE (PVRING_PAGE_SIZE / 512)

static struct pvring_guest g;
static struct pvring_device dev;
static blkif_front_ring_t front;
static uint32_t port;
static uint64_t start_ns[__CONST_RING_SIZE(blkif, PVRING_PAGE_SIZE)];
static uint64_t rng;
static uint64_t sectors;
static int persistent;
static uint64_t pushes, sent;

static void check(int rc, const char *what)
{
    if (rc != 0)
    {
        fprintf(stderr, "blkfront_bench: %s: %s (%d)\n", what, g.error, rc);
        exit(1);
    }
}

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void queue_read(unsigned int id)
{
    blkif_request_t *req = RING_GET_REQUEST(&front, front.req_prod_pvt);
    if (!persistent)
    {
        check(pvring_grant(&g, DATA_REF + id, dev.backend_id, DATA_GFN + id, 0), "grant a data page");
    }
    req->operation = BLKIF_OP_READ;
    req->nr_segments = 1;
    req->handle = 0;
    req->id = id;
    req->sector_number = next_random() % (sectors / SECTORS_PER_PAGE) * SECTORS_PER_PAGE;
    req->seg[0].gref = DATA_REF + id;
    req->seg[0].first_sect = 0;
    req->seg[0].last_sect = SECTORS_PER_PAGE - 1;
    front.req_prod_pvt++;
    start_ns[id] = now_ns();
}

static void push(void)
{
    int do_notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, do_notify);
    pushes++;
    if (do_notify)
    {
        sent++;
        check(pvring_evtchn_notify(&g, port), "notify");
    }
}

static void connect_device(const char *devid)
{
    blkif_sring_t *sring;
    long value;
    check(pvring_device_find(&g, "vbd", devid, &dev), "find the vbd");
    check(pvring_xenbus_wait_state(&g, dev.backend, XenbusStateInitWait, 0, TIMEOUT_MS, NULL), "backend InitWait");
    sring = pvring_page(&g, RING_GFN);
    if (sring == NULL)
    {
        fprintf(stderr, "blkfront_bench: guest memory too small\n");
        exit(1);
    }
    memset(sring, 0, PVRING_PAGE_SIZE);
    SHARED_RING_INIT(sring);
    FRONT_RING_INIT(&front, sring, PVRING_PAGE_SIZE);
    check(pvring_grant(&g, RING_REF, dev.backend_id, RING_GFN, 0), "grant the ring");
    check(pvring_evtchn_alloc_unbound(&g, dev.backend_id, &port), "alloc_unbound");
    for (;;)
    {
        uint32_t t;
        int rc;
        check(pvring_xs_transaction_start(&g, &t), "transaction start");
        check(pvring_xs_printf(&g, t, dev.frontend, "ring-ref", "%u", RING_REF), "ring-ref");
        check(pvring_xs_printf(&g, t, dev.frontend, "event-channel", "%u", port), "event-channel");
        check(pvring_xs_printf(&g, t, dev.frontend, "protocol", "%s", XEN_IO_PROTO_ABI_NATIVE), "protocol");
        check(pvring_xs_printf(&g, t, dev.frontend, "feature-persistent", "%d", persistent), "feature-persistent");
        rc = pvring_xs_transaction_end(&g, t, 0);
        if (rc != -EAGAIN)
        {
            check(rc, "transaction end");
            break;
        }
    }
    check(pvring_xenbus_switch_state(&g, PVRING_XBT_NULL, dev.frontend, XenbusStateInitialised), "Initialised");
    check(pvring_xenbus_wait_state(&g, dev.backend, XenbusStateConnected, 0, TIMEOUT_MS, NULL), "backend Connected");
    /* persistent grants are in use when both ends said 1; the backend says so when it connects */
    if (pvring_xs_read_long(&g, PVRING_XBT_NULL, dev.backend, "feature-persistent", &value) != 0 || value != 1)
    {
        persistent = 0;
    }
    check(pvring_xs_read_long(&g, PVRING_XBT_NULL, dev.backend, "sectors", &value), "sectors");
    if ((uint64_t)value < sectors)
    {
        sectors = (uint64_t)value;
    }
    check(pvring_xenbus_switch_state(&g, PVRING_XBT_NULL, dev.frontend, XenbusStateConnected), "Connected");
}

int main(int argc, char **argv)
{
    unsigned int qd, i, poll_mode;
    uint64_t warmup_end, end, measured_start = 0, ops = 0, pushes_at = 0, sent_at = 0;
    int measuring = 0;

    if (argc != 11)
    {
        fprintf(stderr, "usage: %s DIR DOMID DEVID QD POLL PERSISTENT WARMUP_MS DURATION_MS SECTORS SEED\n",
            argv[0]);
        return 2;
    }
    qd = (unsigned int)strtoul(argv[4], NULL, 0);
    poll_mode = (unsigned int)strtoul(argv[5], NULL, 0);
    persistent = atoi(argv[6]);
    sectors = strtoull(argv[9], NULL, 0);
    rng = strtoull(argv[10], NULL, 0) | 1;
    pvring_init(&g);
    check(pvring_open(&g, argv[1], (uint32_t)strtoul(argv[2], NULL, 0), 0), "open");
    connect_device(argv[3]);
    if (qd < 1 || qd > RING_SIZE(&front) || sectors < SECTORS_PER_PAGE)
    {
        fprintf(stderr, "blkfront_bench: qd %u outside 1..%u or disk too small\n", qd, RING_SIZE(&front));
        return 2;
    }
    if (pvring_page(&g, DATA_GFN + qd) == NULL)
    {
        fprintf(stderr, "blkfront_bench: guest memory too small for qd %u\n", qd);
        return 2;
    }
    for (i = 0; persistent && i < qd; i++)
    {
        check(pvring_grant(&g, DATA_REF + i, dev.backend_id, DATA_GFN + i, 0), "grant a data page");
    }
    printf("persistent %d\nring_entries %u\n", persistent, RING_SIZE(&front));

    warmup_end = now_ns() + strtoull(argv[7], NULL, 0) * 1000000ull;
    end = warmup_end + strtoull(argv[8], NULL, 0) * 1000000ull;
    for (i = 0; i < qd; i++)
    {
        queue_read(i);
    }
    push();
    for (;;)
    {
        RING_IDX prod = front.sring->rsp_prod;
        uint64_t t;
        rmb(); /* responses visible after the index */
        if (front.rsp_cons == prod)
        {
            int more;
            if (poll_mode)
            {
                if (now_ns() >= end)
                {
                    break;
                }
                continue;
            }
            RING_FINAL_CHECK_FOR_RESPONSES(&front, more);
            if (!more)
            {
                uint32_t pending;
                check(pvring_evtchn_wait(&g, TIMEOUT_MS, &pending), "wait for responses");
            }
            continue;
        }
        t = now_ns();
        if (!measuring && t >= warmup_end)
        {
            measuring = 1;
            measured_start = t;
            pushes_at = pushes;
            sent_at = sent;
        }
        if (t >= end)
        {
            break;
        }
        for (; front.rsp_cons != prod; front.rsp_cons++)
        {
            blkif_response_t *rsp = RING_GET_RESPONSE(&front, front.rsp_cons);
            unsigned int id = (unsigned int)rsp->id;
            if (rsp->status != BLKIF_RSP_OKAY || id >= qd)
            {
                fprintf(stderr, "blkfront_bench: response id %u status %d\n", id, rsp->status);
                return 1;
            }
            if (!persistent)
            {
                check(pvring_end_grant(&g, DATA_REF + id), "end a data grant after its response");
            }
            if (measuring)
            {
                lat_record(t - start_ns[id]);
                ops++;
            }
            queue_read(id);
        }
        push();
    }
    printf("ops %llu\nmeasured_ns %llu\n", (unsigned long long)ops,
        (unsigned long long)(measuring ? now_ns() - measured_start : 0));
    printf("notify_sent %llu\nnotify_suppressed %llu\n", (unsigned long long)(sent - sent_at),
        (unsigned long long)((pushes - pushes_at) - (sent - sent_at)));
    lat_print();
    fflush(stdout);
    /* Requests still in flight are abandoned with the connection: the bench host tears the device down. */
    pvring_close(&g);
    return 0;
}
