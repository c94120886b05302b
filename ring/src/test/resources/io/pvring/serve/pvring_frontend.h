/*
 * What every C frontend of the out-of-process interop tests shares: Xen's public headers, libxenstore and
 * pvring_evtchn.h; the guest memory and grant table files mapped; grants; the event-channel socket client; the
 * xenstore helpers and the xenbus state waits. Include it after defining FRONTEND_NAME (the prefix of error
 * messages), then the device's own header (io/blkif.h, io/netif.h). Written into the include directory by
 * io.pvring.serve.CFrontendProcess; one translation unit per program, so everything is static.
 */
#ifndef PVRING_FRONTEND_H
#define PVRING_FRONTEND_H

#ifndef FRONTEND_NAME
#error "define FRONTEND_NAME before including pvring_frontend.h"
#endif

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
#include <xen/io/protocols.h>
#include <xen/io/xenbus.h>
#include <xenstore.h>
#include <pvring_evtchn.h>


#define PAGE_SIZE_ (1UL << XEN_PAGE_SHIFT)
#define TIMEOUT_MS 20000

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
    fprintf(stderr, FRONTEND_NAME ": ");
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

#endif /* PVRING_FRONTEND_H */
