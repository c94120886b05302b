/*
 * pvring_client.c - the C client of `pvring serve` (pvring_client.h says what each call does).
 *
 * Shipped in the pvring jar and written by `pvring serve` into its directory; compile it into your program with
 * gcc -I DIR. Errors are returned as negative errnos with a reason in g->error; nothing here exits or prints.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "pvring_client.h"

/* A request's reply never takes longer than this (DOMAIN_DESTROY waits up to 30 s for backends). */
#define CALL_TIMEOUT_MS 35000
#define XS_HEADER_SIZE ((size_t)sizeof(struct xsd_sockmsg))
#define XS_WATCH_STATE_TOKEN "pvring-state"

static int fail(struct pvring_guest *g, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct pvring_guest *g, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->error, sizeof(g->error), fmt, ap);
    va_end(ap);
    return err;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What is left of a budget that ends at `deadline` (-1: none), as poll wants it. */
static int remaining(int64_t deadline)
{
    int64_t left;
    if (deadline < 0)
    {
        return -1;
    }
    left = deadline - now_ms();
    return left <= 0 ? 0 : (int)left;
}

static int64_t deadline_of(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* Waits until fd is readable: 1, 0 on timeout, or a negative errno. */
static int wait_readable(int fd, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int n;
    do
    {
        n = poll(&pfd, 1, timeout_ms);
    }
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

/* MSG_NOSIGNAL: a closed peer is an EPIPE return, not a signal that kills the caller. */
static int send_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0)
    {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
        {
            continue;
        }
        if (n <= 0)
        {
            return n < 0 ? -errno : -EPIPE;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int connect_unix(struct pvring_guest *g, const char *path, int *fd_out)
{
    struct sockaddr_un addr;
    int fd;
    if (strlen(path) >= sizeof(addr.sun_path))
    {
        return fail(g, -ENAMETOOLONG, "socket path too long: %s", path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
    {
        return fail(g, -errno, "socket: %s", strerror(errno));
    }
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path, strlen(path) + 1);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
    {
        int err = errno;
        close(fd);
        return fail(g, -err, "connect %s: %s", path, strerror(err));
    }
    *fd_out = fd;
    return 0;
}

/* ---- setup ---- */

void pvring_init(struct pvring_guest *g)
{
    memset(g, 0, sizeof(*g));
    g->evtchn_fd = -1;
    g->epoll_fd = -1;
    g->xs_fd = -1;
    g->evtchn_next_id = 1;
    g->xs_next_id = 1;
}

void pvring_close(struct pvring_guest *g)
{
    unsigned int i;
    for (i = 0; i < g->doorbell_count; i++)
    {
        close(g->doorbell[i].kick);
        close(g->doorbell[i].call);
    }
    g->doorbell_count = 0;
    if (g->epoll_fd >= 0)
    {
        close(g->epoll_fd);
        g->epoll_fd = -1;
    }
    if (g->evtchn_fd >= 0)
    {
        close(g->evtchn_fd);
    }
    if (g->xs_fd >= 0)
    {
        close(g->xs_fd);
    }
    if (g->mem != NULL)
    {
        munmap(g->mem, g->mem_size);
    }
    if (g->gnttab != NULL)
    {
        munmap(g->gnttab, g->gnttab_entries * sizeof(grant_entry_v1_t));
    }
    pvring_init(g);
}

int pvring_check_version(struct pvring_guest *g, const char *dir)
{
    char path[512];
    int major, minor;
    FILE *f;
    int n;
    snprintf(path, sizeof(path), "%s/%s", dir, PVRING_CLIENT_VERSION_FILE);
    f = fopen(path, "re");
    if (f == NULL)
    {
        return fail(g, -errno, "%s: %s (is this a pvring serve directory?)", path, strerror(errno));
    }
    n = fscanf(f, "%d.%d", &major, &minor);
    fclose(f);
    if (n == 2 && (major < 0 || minor < 0))
    {
        n = 0;
    }
    if (n != 2)
    {
        return fail(g, -EPROTO, "%s does not hold MAJOR.MINOR", path);
    }
    if (major != PVRING_CLIENT_VERSION_MAJOR || minor < PVRING_CLIENT_VERSION_MINOR)
    {
        return fail(g, -EPROTONOSUPPORT, "serve ships client %d.%d, this is %s: rebuild against %s's pvring_client",
            major, minor, PVRING_CLIENT_VERSION, dir);
    }
    return 0;
}

static int map_file(struct pvring_guest *g, const char *path, void **out, size_t *size)
{
    struct stat st;
    void *p;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
    {
        return fail(g, -errno, "%s: %s", path, strerror(errno));
    }
    if (fstat(fd, &st) != 0)
    {
        int err = errno;
        close(fd);
        return fail(g, -err, "stat %s: %s", path, strerror(err));
    }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
    {
        return fail(g, -errno, "mmap %s: %s", path, strerror(errno));
    }
    *out = p;
    *size = (size_t)st.st_size;
    return 0;
}

int pvring_map_memory(struct pvring_guest *g, const char *mem_path, const char *gnttab_path)
{
    void *mem, *table;
    size_t mem_size, table_size;
    int rc = map_file(g, mem_path, &mem, &mem_size);
    if (rc != 0)
    {
        return rc;
    }
    rc = map_file(g, gnttab_path, &table, &table_size);
    if (rc != 0)
    {
        munmap(mem, mem_size);
        return rc;
    }
    g->mem = mem;
    g->mem_size = mem_size;
    g->gnttab = table;
    g->gnttab_entries = table_size / sizeof(grant_entry_v1_t);
    return 0;
}

static int evtchn_call(struct pvring_guest *g, uint16_t op, uint32_t port, uint32_t domid, uint32_t remote_port,
    uint64_t value, struct pvring_evtchn_msg *reply);

int pvring_evtchn_connect(struct pvring_guest *g, const char *socket_path, uint32_t domid)
{
    struct pvring_evtchn_msg r;
    const char *env;
    int rc = connect_unix(g, socket_path, &g->evtchn_fd);
    if (rc != 0)
    {
        return rc;
    }
    rc = evtchn_call(g, PVRING_EVTCHN_OP_HELLO, 0, domid, 0, 0, &r);
    if (rc != 0)
    {
        close(g->evtchn_fd);
        g->evtchn_fd = -1;
        return fail(g, rc, "hello as domid %u on %s: %s", domid, socket_path, strerror(-rc));
    }
    g->domid = domid;
    g->ports_per_domain = (uint32_t)r.value;
    g->evtchn_version = r.remote_port;
    env = getenv(PVRING_SOCKET_DOORBELLS_ENV);
    g->doorbells = g->evtchn_version >= 2 && !(env != NULL && strcmp(env, "1") == 0);
    return 0;
}

int pvring_xs_connect(struct pvring_guest *g, const char *socket_path)
{
    return connect_unix(g, socket_path, &g->xs_fd);
}

int pvring_open(struct pvring_guest *g, const char *dir, uint32_t domid, unsigned int flags)
{
    char mem[512], gnt[512], xs[512], ev[512];
    int priv = (flags & PVRING_OPEN_PRIVILEGED) != 0;
    int rc = pvring_check_version(g, dir);
    if (rc != 0)
    {
        return rc;
    }
    snprintf(mem, sizeof(mem), "%s/dom%u.mem", dir, domid);
    snprintf(gnt, sizeof(gnt), "%s/dom%u.gnttab", dir, domid);
    if (priv)
    {
        snprintf(xs, sizeof(xs), "%s/xenstored.sock", dir);
        snprintf(ev, sizeof(ev), "%s/evtchn.sock", dir);
    }
    else
    {
        snprintf(xs, sizeof(xs), "%s/dom%u.xenstored.sock", dir, domid);
        snprintf(ev, sizeof(ev), "%s/dom%u.evtchn.sock", dir, domid);
    }
    rc = pvring_map_memory(g, mem, gnt);
    if (rc == 0)
    {
        rc = pvring_xs_connect(g, xs);
    }
    if (rc == 0)
    {
        rc = pvring_evtchn_connect(g, ev, domid);
    }
    if (rc == 0 && (flags & PVRING_OPEN_SOCKET_DOORBELLS) != 0)
    {
        g->doorbells = 0;
    }
    if (rc != 0)
    {
        char why[sizeof(g->error)];
        memcpy(why, g->error, sizeof(why));
        pvring_close(g);
        memcpy(g->error, why, sizeof(why));
    }
    return rc;
}

/* ---- guest memory and grants ---- */

void *pvring_page(struct pvring_guest *g, uint64_t gfn)
{
    if (gfn >= g->mem_size / PVRING_PAGE_SIZE)
    {
        return NULL;
    }
    return g->mem + gfn * PVRING_PAGE_SIZE;
}

int pvring_grant(struct pvring_guest *g, grant_ref_t ref, domid_t domid, uint64_t gfn, int readonly)
{
    if (ref >= g->gnttab_entries)
    {
        return fail(g, -EINVAL, "ref %u outside the grant table (%zu entries)", ref, g->gnttab_entries);
    }
    if (gfn > UINT32_MAX)
    {
        return fail(g, -EINVAL, "gfn %llu does not fit a v1 grant entry", (unsigned long long)gfn);
    }
    g->gnttab[ref].frame = (uint32_t)gfn;
    g->gnttab[ref].domid = domid;
    /* frame and domid visible before the flags that make the entry valid */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&g->gnttab[ref].flags, (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
        __ATOMIC_RELEASE);
    return 0;
}

int pvring_end_grant(struct pvring_guest *g, grant_ref_t ref)
{
    uint16_t flags, nflags;
    if (ref >= g->gnttab_entries)
    {
        return fail(g, -EINVAL, "ref %u outside the grant table (%zu entries)", ref, g->gnttab_entries);
    }
    nflags = __atomic_load_n(&g->gnttab[ref].flags, __ATOMIC_ACQUIRE);
    do
    {
        flags = nflags;
        if (flags & (GTF_reading | GTF_writing))
        {
            return fail(g, -EBUSY, "ref %u is still mapped or copied by the backend", ref);
        }
        nflags = __sync_val_compare_and_swap(&g->gnttab[ref].flags, flags, 0);
    }
    while (nflags != flags);
    return 0;
}

/* ---- event channels ---- */

static void mark_pending(struct pvring_guest *g, uint32_t port)
{
    uint64_t bit;
    g->events_received++;
    if (port >= PVRING_MAX_PORTS)
    {
        return; /* bind calls refuse such ports, so no port of ours is here */
    }
    bit = 1ull << (port % 64);
    if (!(g->pending[port / 64] & bit))
    {
        g->pending[port / 64] |= bit;
        g->pending_count++;
    }
}

/*
 * Takes the next message that is not an event out of the input buffer (events become pending bits on the way):
 * 1 with *msg filled, 0 when the buffer holds no such message, -EPROTO for a message of another size.
 */
static int evtchn_next(struct pvring_guest *g, struct pvring_evtchn_msg *msg)
{
    size_t off = 0;
    int found = 0;
    while (found == 0 && g->evtchn_in_len - off >= PVRING_EVTCHN_MSG_SIZE)
    {
        struct pvring_evtchn_msg m;
        memcpy(&m, g->evtchn_in + off, sizeof(m));
        off += PVRING_EVTCHN_MSG_SIZE;
        if (m.size != PVRING_EVTCHN_MSG_SIZE)
        {
            found = fail(g, -EPROTO, "event socket sent a message of size %u", m.size);
        }
        else if (m.op == PVRING_EVTCHN_OP_EVENT)
        {
            mark_pending(g, m.port);
        }
        else if (m.op == (PVRING_EVTCHN_OP_SEND | PVRING_EVTCHN_OP_REPLY))
        {
            g->send_failures++;
            fail(g, m.status, "send on port %u failed: %s", m.port, strerror(-m.status));
        }
        else
        {
            *msg = m;
            found = 1;
        }
    }
    if (off > 0)
    {
        memmove(g->evtchn_in, g->evtchn_in + off, g->evtchn_in_len - off);
        g->evtchn_in_len -= off;
    }
    return found;
}

/* Reads what the socket has into the buffer, waiting at most timeout_ms: 1 read, 0 timeout, or a negative errno. */
static int evtchn_fill(struct pvring_guest *g, int timeout_ms)
{
    for (;;)
    {
        ssize_t n = recv(g->evtchn_fd, g->evtchn_in + g->evtchn_in_len, sizeof(g->evtchn_in) - g->evtchn_in_len,
            MSG_DONTWAIT);
        if (n > 0)
        {
            g->evtchn_in_len += (size_t)n;
            return 1;
        }
        if (n == 0)
        {
            return fail(g, -ECONNRESET, "event socket closed by the server");
        }
        if (errno == EINTR)
        {
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK)
        {
            return fail(g, -errno, "event socket read: %s", strerror(errno));
        }
        n = wait_readable(g->evtchn_fd, timeout_ms);
        if (n < 0)
        {
            return fail(g, (int)n, "event socket poll: %s", strerror((int)-n));
        }
        if (n == 0)
        {
            return 0;
        }
    }
}

/* A request and its reply, in order; events arriving in between become pending. The reply's status is returned. */
static int evtchn_call(struct pvring_guest *g, uint16_t op, uint32_t port, uint32_t domid, uint32_t remote_port,
    uint64_t value, struct pvring_evtchn_msg *reply)
{
    struct pvring_evtchn_msg m = {.size = PVRING_EVTCHN_MSG_SIZE, .op = op, .id = g->evtchn_next_id++,
                                  .port = port, .domid = domid, .remote_port = remote_port, .value = value};
    int64_t deadline = deadline_of(CALL_TIMEOUT_MS);
    int rc;
    if (g->evtchn_fd < 0)
    {
        return fail(g, -ENOTCONN, "no event socket");
    }
    rc = send_all(g->evtchn_fd, &m, sizeof(m));
    if (rc != 0)
    {
        return fail(g, rc, "event socket write: %s", strerror(-rc));
    }
    for (;;)
    {
        rc = evtchn_next(g, reply);
        if (rc < 0)
        {
            return rc;
        }
        if (rc > 0)
        {
            if (reply->op != (op | PVRING_EVTCHN_OP_REPLY) || reply->id != m.id)
            {
                return fail(g, -EPROTO, "reply op %u id %u to op %u id %u", reply->op, reply->id, op, m.id);
            }
            if (reply->status != 0)
            {
                return fail(g, reply->status, "event op %u port %u: %s", op, port, strerror(-reply->status));
            }
            return 0;
        }
        rc = evtchn_fill(g, remaining(deadline));
        if (rc < 0)
        {
            return rc;
        }
        if (rc == 0)
        {
            return fail(g, -ETIMEDOUT, "no reply to event op %u within %d ms", op, CALL_TIMEOUT_MS);
        }
    }
}

/*
 * A request that passes one descriptor: the first reply says PVRING_EVTCHN_STATUS_SEND_FD, then one byte with the
 * fd in SCM_RIGHTS, then the second reply's status (0 or a negative errno). A negative first reply is returned as it
 * is (no fd is sent).
 */
static int evtchn_reply_status(struct pvring_guest *g, uint16_t op, uint32_t id, int64_t deadline)
{
    struct pvring_evtchn_msg reply;
    for (;;)
    {
        int rc = evtchn_next(g, &reply);
        if (rc < 0)
        {
            return rc;
        }
        if (rc > 0)
        {
            if (reply.op != (op | PVRING_EVTCHN_OP_REPLY) || reply.id != id)
            {
                return fail(g, -EPROTO, "reply op %u id %u to op %u id %u", reply.op, reply.id, op, id);
            }
            return reply.status;
        }
        rc = evtchn_fill(g, remaining(deadline));
        if (rc < 0)
        {
            return rc;
        }
        if (rc == 0)
        {
            return fail(g, -ETIMEDOUT, "no reply to event op %u within %d ms", op, CALL_TIMEOUT_MS);
        }
    }
}

static int evtchn_pass_fd(struct pvring_guest *g, struct pvring_evtchn_msg *request, int fd)
{
    int64_t deadline = deadline_of(CALL_TIMEOUT_MS);
    char byte = 0;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union
    {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof(control.buf)};
    struct cmsghdr *c;
    int rc;
    if (g->evtchn_fd < 0)
    {
        return fail(g, -ENOTCONN, "no event socket");
    }
    request->size = PVRING_EVTCHN_MSG_SIZE;
    request->id = g->evtchn_next_id++;
    rc = send_all(g->evtchn_fd, request, sizeof(*request));
    if (rc != 0)
    {
        return fail(g, rc, "event socket write: %s", strerror(-rc));
    }
    rc = evtchn_reply_status(g, request->op, request->id, deadline);
    if (rc != PVRING_EVTCHN_STATUS_SEND_FD)
    {
        return rc < 0 ? fail(g, rc, "event op %u: %s", request->op, strerror(-rc)) :
            fail(g, -EPROTO, "event op %u: status %d, expected a request for the descriptor", request->op, rc);
    }
    memset(&control, 0, sizeof(control));
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    while ((rc = (int)sendmsg(g->evtchn_fd, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
    {
    }
    if (rc != 1)
    {
        return fail(g, -errno, "event socket sendmsg: %s", strerror(errno));
    }
    rc = evtchn_reply_status(g, request->op, request->id, deadline);
    return rc == 0 ? 0 : fail(g, rc, "event op %u with fd %d: %s", request->op, fd, strerror(-rc));
}

int pvring_set_mem_table(struct pvring_guest *g, const struct pvring_mem_region *regions, unsigned int n)
{
    struct pvring_evtchn_msg r;
    unsigned int i;
    if (n == 0 || n > PVRING_EVTCHN_MAX_MEM_REGIONS)
    {
        return fail(g, -EINVAL, "%u regions: 1..%d", n, PVRING_EVTCHN_MAX_MEM_REGIONS);
    }
    for (i = 0; i < n; i++)
    {
        struct pvring_evtchn_mem_region m = {.op = PVRING_EVTCHN_OP_MEM_REGION,
                                             .guest_phys_addr = regions[i].guest_phys_addr,
                                             .memory_size = regions[i].memory_size,
                                             .mmap_offset = regions[i].mmap_offset};
        struct pvring_evtchn_msg request;
        int rc;
        memcpy(&request, &m, sizeof(request));
        rc = evtchn_pass_fd(g, &request, regions[i].fd);
        if (rc != 0)
        {
            /* An empty table drops the regions sent so far (and is refused, as it should be). */
            evtchn_call(g, PVRING_EVTCHN_OP_SET_MEM_TABLE, 0, 0, 0, 0, &r);
            return fail(g, rc, "region %u [0x%llx, +0x%llx): %s", i,
                (unsigned long long)regions[i].guest_phys_addr, (unsigned long long)regions[i].memory_size,
                strerror(-rc));
        }
    }
    return evtchn_call(g, PVRING_EVTCHN_OP_SET_MEM_TABLE, 0, 0, 0, 0, &r);
}

static int set_doorbell(struct pvring_guest *g, uint16_t op, uint32_t port, int eventfd)
{
    struct pvring_evtchn_msg r;
    struct pvring_evtchn_msg request = {.op = op, .port = port};
    if (eventfd < 0)
    {
        return evtchn_call(g, op, port, 0, 0, PVRING_EVTCHN_DOORBELL_REMOVE, &r);
    }
    return evtchn_pass_fd(g, &request, eventfd);
}

int pvring_evtchn_set_kick(struct pvring_guest *g, uint32_t port, int eventfd)
{
    return set_doorbell(g, PVRING_EVTCHN_OP_SET_KICK, port, eventfd);
}

int pvring_evtchn_set_call(struct pvring_guest *g, uint32_t port, int eventfd)
{
    return set_doorbell(g, PVRING_EVTCHN_OP_SET_CALL, port, eventfd);
}

static struct pvring_doorbell *doorbell_of(struct pvring_guest *g, uint32_t port)
{
    unsigned int i;
    for (i = 0; i < g->doorbell_count; i++)
    {
        if (g->doorbell[i].port == port)
        {
            return &g->doorbell[i];
        }
    }
    return NULL;
}

/* The token of the event socket in the epoll set; call eventfds carry their port. */
#define SOCKET_TOKEN UINT64_MAX

/* Adds a port's call eventfd to the epoll set, edge-triggered (made, with the socket in it, on first use). */
static int watch_call(struct pvring_guest *g, int call, uint32_t port)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = port};
    if (g->epoll_fd < 0)
    {
        struct epoll_event sock = {.events = EPOLLIN, .data.u64 = SOCKET_TOKEN};
        g->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (g->epoll_fd < 0 || epoll_ctl(g->epoll_fd, EPOLL_CTL_ADD, g->evtchn_fd, &sock) != 0)
        {
            int err = errno;
            if (g->epoll_fd >= 0)
            {
                close(g->epoll_fd);
                g->epoll_fd = -1;
            }
            return fail(g, -err, "epoll for the event socket: %s", strerror(err));
        }
    }
    if (epoll_ctl(g->epoll_fd, EPOLL_CTL_ADD, call, &ev) != 0)
    {
        return fail(g, -errno, "epoll for port %u's call eventfd: %s", port, strerror(errno));
    }
    return 0;
}

/* Gives a newly bound port its kick and call eventfds (see pvring_client.h); beyond the table it stays on the socket. */
static int add_doorbell(struct pvring_guest *g, uint32_t port)
{
    struct pvring_doorbell d = {.port = port, .kick = -1, .call = -1};
    int rc;
    if (!g->doorbells || g->doorbell_count == PVRING_MAX_DOORBELLS)
    {
        return 0;
    }
    d.kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    d.call = d.kick < 0 ? -1 : eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (d.call < 0)
    {
        rc = fail(g, -errno, "eventfd for port %u: %s", port, strerror(errno));
    }
    else
    {
        rc = pvring_evtchn_set_kick(g, port, d.kick);
        if (rc == 0)
        {
            rc = pvring_evtchn_set_call(g, port, d.call);
        }
    }
    if (rc != 0)
    {
        if (d.kick >= 0)
        {
            close(d.kick);
        }
        if (d.call >= 0)
        {
            close(d.call);
        }
        return rc;
    }
    rc = watch_call(g, d.call, port);
    if (rc != 0)
    {
        close(d.kick); /* pvring keeps its copies until the port closes; the socket carries the port's events */
        close(d.call);
        return rc;
    }
    g->doorbell[g->doorbell_count++] = d;
    return 0;
}

static int checked_port(struct pvring_guest *g, int rc, const struct pvring_evtchn_msg *r, uint32_t *port)
{
    if (rc != 0)
    {
        return rc;
    }
    if (r->port >= PVRING_MAX_PORTS)
    {
        evtchn_call(g, PVRING_EVTCHN_OP_CLOSE, r->port, 0, 0, 0, &(struct pvring_evtchn_msg){0});
        return fail(g, -ENOSPC, "port %u beyond the %d this client tracks", r->port, PVRING_MAX_PORTS);
    }
    rc = add_doorbell(g, r->port);
    if (rc != 0)
    {
        char why[sizeof(g->error)];
        memcpy(why, g->error, sizeof(why));
        evtchn_call(g, PVRING_EVTCHN_OP_CLOSE, r->port, 0, 0, 0, &(struct pvring_evtchn_msg){0});
        memcpy(g->error, why, sizeof(why));
        return rc;
    }
    *port = r->port;
    return 0;
}

int pvring_evtchn_alloc_unbound(struct pvring_guest *g, domid_t remote_domid, uint32_t *port)
{
    struct pvring_evtchn_msg r;
    return checked_port(g, evtchn_call(g, PVRING_EVTCHN_OP_ALLOC_UNBOUND, 0, remote_domid, 0, 0, &r), &r, port);
}

int pvring_evtchn_bind_interdomain(struct pvring_guest *g, domid_t remote_domid, uint32_t remote_port,
    uint32_t *port)
{
    struct pvring_evtchn_msg r;
    return checked_port(g, evtchn_call(g, PVRING_EVTCHN_OP_BIND_INTERDOMAIN, 0, remote_domid, remote_port, 0, &r),
        &r, port);
}

int pvring_evtchn_mask(struct pvring_guest *g, uint32_t port)
{
    struct pvring_evtchn_msg r;
    return evtchn_call(g, PVRING_EVTCHN_OP_MASK, port, 0, 0, 0, &r);
}

int pvring_evtchn_unmask(struct pvring_guest *g, uint32_t port)
{
    struct pvring_evtchn_msg r;
    return evtchn_call(g, PVRING_EVTCHN_OP_UNMASK, port, 0, 0, 0, &r);
}

int pvring_evtchn_close(struct pvring_guest *g, uint32_t port)
{
    struct pvring_evtchn_msg r;
    struct pvring_doorbell *d;
    int rc = evtchn_call(g, PVRING_EVTCHN_OP_CLOSE, port, 0, 0, 0, &r);
    if (rc == 0 && port < PVRING_MAX_PORTS && (g->pending[port / 64] & (1ull << (port % 64))))
    {
        g->pending[port / 64] &= ~(1ull << (port % 64));
        g->pending_count--;
    }
    d = rc == 0 ? doorbell_of(g, port) : NULL;
    if (d != NULL)
    {
        /* pvring closed its copies with the port; ours leave the epoll set first (a copy pvring still held would
         * keep an entry alive past close). */
        epoll_ctl(g->epoll_fd, EPOLL_CTL_DEL, d->call, NULL);
        close(d->kick);
        close(d->call);
        *d = g->doorbell[--g->doorbell_count];
    }
    return rc;
}

int pvring_evtchn_notify(struct pvring_guest *g, uint32_t port)
{
    struct pvring_doorbell *d = doorbell_of(g, port);
    struct pvring_evtchn_msg m = {.size = PVRING_EVTCHN_MSG_SIZE, .op = PVRING_EVTCHN_OP_SEND, .port = port};
    int rc;
    if (d != NULL)
    {
        uint64_t one = 1;
        ssize_t n;
        while ((n = write(d->kick, &one, sizeof(one))) < 0 && errno == EINTR)
        {
        }
        /* EAGAIN: the counter is near its limit, so pvring has a kick it has not read yet. */
        return n == (ssize_t)sizeof(one) || (n < 0 && errno == EAGAIN) ? 0 :
            fail(g, -errno, "kick eventfd of port %u: %s", port, strerror(errno));
    }
    m.id = g->evtchn_next_id++;
    rc = send_all(g->evtchn_fd, &m, sizeof(m));
    return rc == 0 ? 0 : fail(g, rc, "event socket write: %s", strerror(-rc));
}

static uint32_t take_pending(struct pvring_guest *g)
{
    unsigned int w;
    for (w = 0; w < PVRING_MAX_PORTS / 64; w++)
    {
        if (g->pending[w] != 0)
        {
            unsigned int b = (unsigned int)__builtin_ctzll(g->pending[w]);
            g->pending[w] &= g->pending[w] - 1;
            g->pending_count--;
            return w * 64 + b;
        }
    }
    return 0;
}

/*
 * Waits at most timeout_ms for the socket or a call eventfd: readable call eventfds are read (cleared) and their
 * ports marked pending, a readable socket is read into the buffer. 1 when something came, 0 on timeout.
 */
int pvring_evtchn_pollfds(struct pvring_guest *g, struct pollfd *fds, unsigned int cap)
{
    unsigned int i;
    g->external_poll = 1;
    if (cap < 1 + g->doorbell_count)
    {
        return -ENOSPC;
    }
    fds[0] = (struct pollfd){.fd = g->evtchn_fd, .events = POLLIN};
    for (i = 0; i < g->doorbell_count; i++)
    {
        fds[1 + i] = (struct pollfd){.fd = g->doorbell[i].call, .events = POLLIN};
    }
    return (int)(1 + g->doorbell_count);
}

/* The 1.3 wait: one epoll_wait; a call eventfd reported is an event (edge-triggered), its counter left as it is. */
static int evtchn_wait_epoll(struct pvring_guest *g, int timeout_ms)
{
    struct epoll_event ev[PVRING_MAX_DOORBELLS + 1];
    int ready, i, socket_ready = 0;
    while ((ready = epoll_wait(g->epoll_fd, ev, PVRING_MAX_DOORBELLS + 1, timeout_ms)) < 0 && errno == EINTR)
    {
    }
    if (ready < 0)
    {
        return fail(g, -errno, "event epoll_wait: %s", strerror(errno));
    }
    if (ready == 0)
    {
        return 0;
    }
    for (i = 0; i < ready; i++)
    {
        if (ev[i].data.u64 == SOCKET_TOKEN)
        {
            socket_ready = 1;
        }
        else
        {
            mark_pending(g, (uint32_t)ev[i].data.u64);
        }
    }
    if (socket_ready)
    {
        int rc = evtchn_fill(g, 0);
        if (rc < 0)
        {
            return rc;
        }
    }
    return 1;
}

static int evtchn_fill_doorbells(struct pvring_guest *g, int timeout_ms)
{
    struct pollfd pfd[PVRING_MAX_DOORBELLS + 1];
    unsigned int i, n = g->doorbell_count;
    int ready;
    if (!g->external_poll && g->epoll_fd >= 0)
    {
        return evtchn_wait_epoll(g, timeout_ms);
    }
    pvring_evtchn_pollfds(g, pfd, PVRING_MAX_DOORBELLS + 1);
    while ((ready = poll(pfd, n + 1, timeout_ms)) < 0 && errno == EINTR)
    {
    }
    if (ready < 0)
    {
        return fail(g, -errno, "event poll: %s", strerror(errno));
    }
    if (ready == 0)
    {
        return 0;
    }
    for (i = 0; i < n; i++)
    {
        uint64_t count;
        if (pfd[1 + i].revents != 0 && read(g->doorbell[i].call, &count, sizeof(count)) == (ssize_t)sizeof(count))
        {
            mark_pending(g, g->doorbell[i].port);
        }
    }
    if (pfd[0].revents != 0)
    {
        int rc = evtchn_fill(g, 0);
        if (rc < 0)
        {
            return rc;
        }
    }
    return 1;
}

int pvring_evtchn_wait(struct pvring_guest *g, int timeout_ms, uint32_t *port)
{
    int64_t deadline = deadline_of(timeout_ms);
    for (;;)
    {
        struct pvring_evtchn_msg stray;
        int rc = evtchn_next(g, &stray);
        if (rc < 0)
        {
            return rc;
        }
        if (rc > 0)
        {
            return fail(g, -EPROTO, "reply op %u id %u with no request waiting", stray.op, stray.id);
        }
        if (g->pending_count > 0)
        {
            *port = take_pending(g);
            return 0;
        }
        rc = g->doorbell_count > 0 ? evtchn_fill_doorbells(g, remaining(deadline)) :
            evtchn_fill(g, remaining(deadline));
        if (rc < 0)
        {
            return rc;
        }
        if (rc == 0)
        {
            return fail(g, -ETIMEDOUT, "no event within %d ms", timeout_ms);
        }
    }
}

/* ---- xenstore ---- */

static int read_exact(struct pvring_guest *g, int fd, void *buf, size_t len, int64_t deadline)
{
    char *p = buf;
    while (len > 0)
    {
        ssize_t n;
        int ready = wait_readable(fd, remaining(deadline));
        if (ready < 0)
        {
            return fail(g, ready, "xenstore poll: %s", strerror(-ready));
        }
        if (ready == 0)
        {
            return fail(g, -ETIMEDOUT, "xenstore socket silent past the deadline");
        }
        n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
        {
            continue;
        }
        if (n <= 0)
        {
            return fail(g, n == 0 ? -ECONNRESET : -errno, "xenstore read: %s",
                n == 0 ? "closed by the server" : strerror(errno));
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void queue_watch_event(struct pvring_guest *g, const char *payload, size_t len)
{
    struct pvring_watch_event *e;
    const char *path = payload;
    size_t path_len = strnlen(payload, len);
    const char *token = path_len < len ? payload + path_len + 1 : "";
    if (g->watch_count == PVRING_WATCH_QUEUE)
    {
        g->watch_head = (g->watch_head + 1) % PVRING_WATCH_QUEUE;
        g->watch_count--;
        g->watch_events_dropped++;
    }
    e = &g->watch_queue[(g->watch_head + g->watch_count) % PVRING_WATCH_QUEUE];
    snprintf(e->path, sizeof(e->path), "%.*s", (int)path_len, path);
    snprintf(e->token, sizeof(e->token), "%.*s", (int)strnlen(token, (size_t)(payload + len - token)), token);
    g->watch_count++;
}

/* One message off the socket into buf (XENSTORE_PAYLOAD_MAX + 1 bytes), NUL-terminated. */
static int xs_receive(struct pvring_guest *g, struct xsd_sockmsg *hdr, char *buf, int64_t deadline)
{
    int rc = read_exact(g, g->xs_fd, hdr, XS_HEADER_SIZE, deadline);
    if (rc != 0)
    {
        return rc;
    }
    if (hdr->len > XENSTORE_PAYLOAD_MAX)
    {
        return fail(g, -EPROTO, "xenstore message of %u bytes", hdr->len);
    }
    rc = read_exact(g, g->xs_fd, buf, hdr->len, deadline);
    buf[hdr->len] = '\0';
    return rc;
}

static int xs_errno(const char *text)
{
    size_t i;
    for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
    {
        if (strcmp(text, xsd_errors[i].errstring) == 0)
        {
            return -xsd_errors[i].errnum;
        }
    }
    return -EIO;
}

/*
 * One xenstore request of `nparts` strings (each sent with its NUL when `nul` says so) and its reply's payload
 * (NUL-terminated, in reply of XENSTORE_PAYLOAD_MAX + 1 bytes). Watch events met on the way are queued.
 */
static int xs_call(struct pvring_guest *g, uint32_t type, uint32_t tx, const char *const *parts, const int *nul,
    int nparts, char *reply, uint32_t *reply_len)
{
    char out[XS_HEADER_SIZE + XENSTORE_PAYLOAD_MAX];
    struct xsd_sockmsg hdr = {.type = type, .req_id = g->xs_next_id++, .tx_id = tx, .len = 0};
    int64_t deadline = deadline_of(CALL_TIMEOUT_MS);
    int i, rc;
    if (g->xs_fd < 0)
    {
        return fail(g, -ENOTCONN, "no xenstore socket");
    }
    for (i = 0; i < nparts; i++)
    {
        size_t len = strlen(parts[i]) + (nul[i] ? 1 : 0);
        if (hdr.len + len > XENSTORE_PAYLOAD_MAX)
        {
            return fail(g, -E2BIG, "xenstore request over %d bytes", XENSTORE_PAYLOAD_MAX);
        }
        memcpy(out + XS_HEADER_SIZE + hdr.len, parts[i], len);
        hdr.len += (uint32_t)len;
    }
    memcpy(out, &hdr, XS_HEADER_SIZE);
    rc = send_all(g->xs_fd, out, XS_HEADER_SIZE + hdr.len);
    if (rc != 0)
    {
        return fail(g, rc, "xenstore write: %s", strerror(-rc));
    }
    for (;;)
    {
        struct xsd_sockmsg r;
        rc = xs_receive(g, &r, reply, deadline);
        if (rc != 0)
        {
            return rc;
        }
        if (r.type == XS_WATCH_EVENT)
        {
            queue_watch_event(g, reply, r.len);
            continue;
        }
        if (r.req_id != hdr.req_id)
        {
            return fail(g, -EPROTO, "xenstore reply id %u to request %u", r.req_id, hdr.req_id);
        }
        if (r.type == XS_ERROR)
        {
            rc = xs_errno(reply);
            return fail(g, rc, "xenstore request type %u %s: %s", type, nparts > 0 ? parts[0] : "", reply);
        }
        if (r.type != type)
        {
            return fail(g, -EPROTO, "xenstore reply type %u to request type %u", r.type, type);
        }
        *reply_len = r.len;
        return 0;
    }
}

int pvring_xs_read(struct pvring_guest *g, uint32_t tx, const char *path, char *value, size_t cap, size_t *len)
{
    char reply[XENSTORE_PAYLOAD_MAX + 1];
    const char *parts[] = {path};
    const int nul[] = {1};
    uint32_t n;
    int rc = xs_call(g, XS_READ, tx, parts, nul, 1, reply, &n);
    if (rc != 0)
    {
        return rc;
    }
    if (cap == 0 || n > cap - 1)
    {
        return fail(g, -E2BIG, "%s holds %u bytes, more than %zu", path, n, cap == 0 ? 0 : cap - 1);
    }
    memcpy(value, reply, n);
    value[n] = '\0';
    if (len != NULL)
    {
        *len = n;
    }
    return 0;
}

int pvring_xs_read_long(struct pvring_guest *g, uint32_t tx, const char *dir, const char *key, long *value)
{
    char path[512], text[64], *end;
    long v;
    int rc;
    snprintf(path, sizeof(path), "%s/%s", dir, key);
    rc = pvring_xs_read(g, tx, path, text, sizeof(text), NULL);
    if (rc != 0)
    {
        return rc;
    }
    errno = 0;
    v = strtol(text, &end, 0);
    if (errno != 0 || end == text || *end != '\0')
    {
        return fail(g, -EINVAL, "%s is not a number: %s", path, text);
    }
    *value = v;
    return 0;
}

int pvring_xs_write(struct pvring_guest *g, uint32_t tx, const char *path, const char *value)
{
    char reply[XENSTORE_PAYLOAD_MAX + 1];
    const char *parts[] = {path, value};
    const int nul[] = {1, 0};
    uint32_t n;
    return xs_call(g, XS_WRITE, tx, parts, nul, 2, reply, &n);
}

int pvring_xs_printf(struct pvring_guest *g, uint32_t tx, const char *dir, const char *key, const char *fmt, ...)
{
    char path[512], value[XENSTORE_PAYLOAD_MAX];
    va_list ap;
    int n = snprintf(path, sizeof(path), "%s/%s", dir, key);
    if (n < 0 || (size_t)n >= sizeof(path))
    {
        return fail(g, -ENAMETOOLONG, "path %s/%s too long", dir, key);
    }
    va_start(ap, fmt);
    n = vsnprintf(value, sizeof(value), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(value))
    {
        return fail(g, -E2BIG, "value for %s too long", path);
    }
    return pvring_xs_write(g, tx, path, value);
}

static int xs_simple(struct pvring_guest *g, uint32_t type, uint32_t tx, const char *path)
{
    char reply[XENSTORE_PAYLOAD_MAX + 1];
    const char *parts[] = {path};
    const int nul[] = {1};
    uint32_t n;
    return xs_call(g, type, tx, parts, nul, 1, reply, &n);
}

int pvring_xs_mkdir(struct pvring_guest *g, uint32_t tx, const char *path)
{
    return xs_simple(g, XS_MKDIR, tx, path);
}

int pvring_xs_rm(struct pvring_guest *g, uint32_t tx, const char *path)
{
    return xs_simple(g, XS_RM, tx, path);
}

int pvring_xs_watch(struct pvring_guest *g, const char *path, const char *token)
{
    char reply[XENSTORE_PAYLOAD_MAX + 1];
    const char *parts[] = {path, token};
    const int nul[] = {1, 1};
    uint32_t n;
    return xs_call(g, XS_WATCH, PVRING_XBT_NULL, parts, nul, 2, reply, &n);
}

/* Drops queued events of a watch that is going away. */
static void forget_watch_events(struct pvring_guest *g, const char *path, const char *token)
{
    unsigned int i, kept = 0;
    struct pvring_watch_event keep[PVRING_WATCH_QUEUE];
    for (i = 0; i < g->watch_count; i++)
    {
        const struct pvring_watch_event *e = &g->watch_queue[(g->watch_head + i) % PVRING_WATCH_QUEUE];
        if (strcmp(e->token, token) != 0 || strncmp(e->path, path, strlen(path)) != 0)
        {
            keep[kept++] = *e;
        }
    }
    memcpy(g->watch_queue, keep, kept * sizeof(keep[0]));
    g->watch_head = 0;
    g->watch_count = kept;
}

int pvring_xs_unwatch(struct pvring_guest *g, const char *path, const char *token)
{
    char reply[XENSTORE_PAYLOAD_MAX + 1];
    const char *parts[] = {path, token};
    const int nul[] = {1, 1};
    uint32_t n;
    int rc = xs_call(g, XS_UNWATCH, PVRING_XBT_NULL, parts, nul, 2, reply, &n);
    forget_watch_events(g, path, token);
    return rc;
}

int pvring_xs_read_watch(struct pvring_guest *g, int timeout_ms, struct pvring_watch_event *event)
{
    int64_t deadline = deadline_of(timeout_ms);
    char buf[XENSTORE_PAYLOAD_MAX + 1];
    while (g->watch_count == 0)
    {
        struct xsd_sockmsg r;
        int rc, ready = wait_readable(g->xs_fd, remaining(deadline));
        if (ready < 0)
        {
            return fail(g, ready, "xenstore poll: %s", strerror(-ready));
        }
        if (ready == 0)
        {
            return fail(g, -ETIMEDOUT, "no watch event within %d ms", timeout_ms);
        }
        rc = xs_receive(g, &r, buf, deadline_of(CALL_TIMEOUT_MS));
        if (rc != 0)
        {
            return rc;
        }
        if (r.type != XS_WATCH_EVENT)
        {
            return fail(g, -EPROTO, "xenstore reply type %u id %u with no request waiting", r.type, r.req_id);
        }
        queue_watch_event(g, buf, r.len);
    }
    *event = g->watch_queue[g->watch_head];
    g->watch_head = (g->watch_head + 1) % PVRING_WATCH_QUEUE;
    g->watch_count--;
    return 0;
}

int pvring_xs_transaction_start(struct pvring_guest *g, uint32_t *tx)
{
    char reply[XENSTORE_PAYLOAD_MAX + 1], *end;
    const char *parts[] = {""};
    const int nul[] = {1};
    uint32_t n;
    unsigned long id;
    int rc = xs_call(g, XS_TRANSACTION_START, PVRING_XBT_NULL, parts, nul, 1, reply, &n);
    if (rc != 0)
    {
        return rc;
    }
    id = strtoul(reply, &end, 10);
    if (end == reply || id == 0 || id > UINT32_MAX)
    {
        return fail(g, -EPROTO, "transaction id %s", reply);
    }
    *tx = (uint32_t)id;
    return 0;
}

int pvring_xs_transaction_end(struct pvring_guest *g, uint32_t tx, int abort)
{
    char reply[XENSTORE_PAYLOAD_MAX + 1];
    const char *parts[] = {abort ? "F" : "T"};
    const int nul[] = {1};
    uint32_t n;
    return xs_call(g, XS_TRANSACTION_END, tx, parts, nul, 1, reply, &n);
}

/* ---- xenbus ---- */

int pvring_device_find(struct pvring_guest *g, const char *type, const char *devid, struct pvring_device *dev)
{
    char path[512];
    long backend_id;
    int rc;
    memset(dev, 0, sizeof(*dev));
    snprintf(dev->frontend, sizeof(dev->frontend), "/local/domain/%u/device/%s/%s", g->domid, type, devid);
    snprintf(path, sizeof(path), "%s/backend", dev->frontend);
    rc = pvring_xs_read(g, PVRING_XBT_NULL, path, dev->backend, sizeof(dev->backend), NULL);
    if (rc != 0)
    {
        return rc;
    }
    rc = pvring_xs_read_long(g, PVRING_XBT_NULL, dev->frontend, "backend-id", &backend_id);
    if (rc != 0)
    {
        return rc;
    }
    if (backend_id < 0 || backend_id >= DOMID_FIRST_RESERVED)
    {
        return fail(g, -EINVAL, "%s/backend-id is %ld", dev->frontend, backend_id);
    }
    dev->backend_id = (domid_t)backend_id;
    return 0;
}

int pvring_xenbus_switch_state(struct pvring_guest *g, uint32_t tx, const char *dir, enum xenbus_state state)
{
    return pvring_xs_printf(g, tx, dir, "state", "%d", (int)state);
}

int pvring_xenbus_wait_state(struct pvring_guest *g, const char *dir, enum xenbus_state want, int or_later,
    int timeout_ms, enum xenbus_state *seen)
{
    char path[512];
    int64_t deadline = deadline_of(timeout_ms);
    long state = XenbusStateUnknown;
    int rc, result;
    snprintf(path, sizeof(path), "%s/state", dir);
    rc = pvring_xs_watch(g, path, XS_WATCH_STATE_TOKEN);
    if (rc != 0)
    {
        return rc;
    }
    for (;;)
    {
        struct pvring_watch_event event;
        rc = pvring_xs_read_long(g, PVRING_XBT_NULL, dir, "state", &state);
        if (rc == -ENOENT)
        {
            state = XenbusStateUnknown;
        }
        else if (rc != 0)
        {
            result = rc;
            break;
        }
        if (state == (long)want || (or_later && state > (long)want))
        {
            result = 0;
            break;
        }
        if (state >= XenbusStateClosing && state <= XenbusStateClosed && want < XenbusStateClosing)
        {
            result = fail(g, -ECONNRESET, "%s went %ld while state %d was awaited", path, state, (int)want);
            break;
        }
        rc = pvring_xs_read_watch(g, remaining(deadline), &event);
        if (rc == -ETIMEDOUT)
        {
            result = fail(g, -ETIMEDOUT, "%s still %ld after %d ms (want %d)", path, state, timeout_ms, (int)want);
            break;
        }
        if (rc != 0)
        {
            result = rc;
            break;
        }
    }
    if (seen != NULL)
    {
        *seen = (enum xenbus_state)state;
    }
    if (result == 0)
    {
        return pvring_xs_unwatch(g, path, XS_WATCH_STATE_TOKEN);
    }
    {
        /* keep the reason of the failure, not of the unwatch */
        char why[sizeof(g->error)];
        memcpy(why, g->error, sizeof(why));
        pvring_xs_unwatch(g, path, XS_WATCH_STATE_TOKEN);
        memcpy(g->error, why, sizeof(why));
    }
    return result;
}

int pvring_device_close(struct pvring_guest *g, const struct pvring_device *dev, int timeout_ms)
{
    int64_t deadline = deadline_of(timeout_ms);
    int rc = pvring_xenbus_switch_state(g, PVRING_XBT_NULL, dev->frontend, XenbusStateClosing);
    if (rc == 0)
    {
        rc = pvring_xenbus_wait_state(g, dev->backend, XenbusStateClosing, 1, remaining(deadline), NULL);
    }
    if (rc == 0)
    {
        rc = pvring_xenbus_switch_state(g, PVRING_XBT_NULL, dev->frontend, XenbusStateClosed);
    }
    if (rc == 0)
    {
        rc = pvring_xenbus_wait_state(g, dev->backend, XenbusStateClosed, 0, remaining(deadline), NULL);
    }
    return rc;
}
