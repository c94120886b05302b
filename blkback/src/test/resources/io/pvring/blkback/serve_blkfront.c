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
#include <xen/io/blkif.h>
#include <xen/io/protocols.h>
#include <xen/io/xenbus.h>
#include <xenstore.h>
#include <pvring_evtchn.h>

#define PAGE_SIZE_ (1UL << XEN_PAGE_SHIFT)
#define SECTORS_PER_PAGE (PAGE_SIZE_ / 512)
#define TIMEOUT_MS 20000

/* Guest-physical layout this frontend chose: the ring page, then the data pages. */
#define RING_GFN 16
#define DATA_GFN 32
#define RING_REF 8 /* Linux leaves the first GNTTAB_NR_RESERVED_ENTRIES (8) refs alone */
#define DATA_REF 16
#define NREQ 4
#define SEGS 4
#define NPAGES (NREQ * SEGS)

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
    fprintf(stderr, "serve_blkfront: ");
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
