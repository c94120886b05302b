/*
 * serve_fds.c - an emulator's side of pvring's descriptor passing, for ServeFdPassingTest: emulator-owned memory
 * as memfd regions (PVRING_EVTCHN_OP_MEM_REGION + SET_MEM_TABLE) and eventfd doorbells (SET_KICK / SET_CALL), the
 * hostile variants of each, and (mode "bench") the QD1 round trip of a doorbell through the socket and through
 * eventfds. Only pvring_evtchn.h and libc. Prints "name value" lines; exits non-zero on a protocol surprise.
 *
 * usage: serve_fds SOCKET DOMID memory|hugetlb|doorbells|hostile|bench [ROUNDS]
 *        serve_fds DIR DOMID client      (the same through the shipped client's calls)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <pvring_evtchn.h>
#include "pvring_client.h"

static int sock = -1;
static const char *sock_path;
static uint32_t next_id = 1;
static uint32_t domid;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "serve_fds: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static void write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0)
    {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die("write: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

/* Reads one message; returns 0 at end of stream. Events are counted and skipped unless want_event. */
static int read_msg(struct pvring_evtchn_msg *m)
{
    char *p = (char *)m;
    size_t got = 0;
    while (got < sizeof(*m))
    {
        ssize_t n = read(sock, p + got, sizeof(*m) - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die("read: %s", strerror(errno));
        if (n == 0)
            return 0;
        got += (size_t)n;
    }
    return 1;
}

static struct pvring_evtchn_msg reply_to(uint32_t id)
{
    struct pvring_evtchn_msg m;
    for (;;)
    {
        if (!read_msg(&m))
            die("connection closed waiting for reply %u", id);
        if (m.op == PVRING_EVTCHN_OP_EVENT)
            continue;
        if (m.id != id)
            die("reply id %u, expected %u (op 0x%x)", m.id, id, m.op);
        return m;
    }
}

static struct pvring_evtchn_msg call(uint16_t op, uint32_t port, uint32_t dom, uint32_t remote_port, uint64_t value)
{
    struct pvring_evtchn_msg m = { .size = PVRING_EVTCHN_MSG_SIZE, .op = op, .id = next_id++, .port = port,
        .domid = dom, .remote_port = remote_port, .value = value };
    write_all(sock, &m, sizeof(m));
    return reply_to(m.id);
}

/* One byte carrying nfds descriptors in SCM_RIGHTS. */
static void send_fds(const int *fds, int nfds)
{
    char byte = 'F';
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    union { char buf[CMSG_SPACE(4 * sizeof(int))]; struct cmsghdr align; } control;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    memset(&control, 0, sizeof(control));
    if (nfds > 0)
    {
        msg.msg_control = control.buf;
        msg.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
    }
    if (sendmsg(sock, &msg, 0) != 1)
        die("sendmsg: %s", strerror(errno));
}

/*
 * A request that passes a descriptor: returns the first reply's status when it is not STATUS_SEND_FD, otherwise
 * sends the fds and returns the second reply's status.
 */
static int32_t pass(const void *request, const int *fds, int nfds)
{
    const struct pvring_evtchn_msg *req = request;
    write_all(sock, request, PVRING_EVTCHN_MSG_SIZE);
    struct pvring_evtchn_msg first = reply_to(req->id);
    if (first.status != PVRING_EVTCHN_STATUS_SEND_FD)
        return first.status;
    send_fds(fds, nfds);
    return reply_to(req->id).status;
}

static int32_t mem_region(uint64_t gpa, uint64_t size, uint64_t offset, int fd)
{
    struct pvring_evtchn_mem_region r = { .size = PVRING_EVTCHN_MSG_SIZE, .op = PVRING_EVTCHN_OP_MEM_REGION,
        .id = next_id++, .guest_phys_addr = gpa, .memory_size = size, .mmap_offset = offset };
    return pass(&r, &fd, 1);
}

static int32_t doorbell(uint16_t op, uint32_t port, int fd)
{
    struct pvring_evtchn_msg m = { .size = PVRING_EVTCHN_MSG_SIZE, .op = op, .id = next_id++, .port = port };
    return pass(&m, &fd, 1);
}

static int memfd(size_t size)
{
    int fd = memfd_create("serve_fds", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0)
        die("memfd: %s", strerror(errno));
    return fd;
}

static void connect_and_hello(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    strncpy(addr.sun_path, path, sizeof(addr.sun_path) - 1);
    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof(addr)) != 0)
        die("connect %s: %s", path, strerror(errno));
    struct pvring_evtchn_msg h = call(PVRING_EVTCHN_OP_HELLO, 0, domid, 0, 0);
    if (h.status != 0)
        die("hello: %d", h.status);
    int first = sock_path == NULL;
    sock_path = path;
    if (first)
        printf("version %u\n", h.remote_port);
}

/* A loopback pair of this domain's own ports: a send on *a is pending on *b. */
static void port_pair(uint32_t *a, uint32_t *b)
{
    struct pvring_evtchn_msg u = call(PVRING_EVTCHN_OP_ALLOC_UNBOUND, 0, domid, 0, 0);
    struct pvring_evtchn_msg d = call(PVRING_EVTCHN_OP_BIND_INTERDOMAIN, 0, domid, u.port, 0);
    if (u.status != 0 || d.status != 0)
        die("port pair: %d %d", u.status, d.status);
    *b = u.port;
    *a = d.port;
}

static int wait_readable(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, ms) == 1;
}

/* Sets the table, then lets the test write into the guest's memory: it closes our stdin when it has. */
static void set_table_and_wait_for_test(void)
{
    printf("table %d\n", call(PVRING_EVTCHN_OP_SET_MEM_TABLE, 0, 0, 0, 0).status);
    struct pvring_evtchn_msg sync = call(PVRING_EVTCHN_OP_ALLOC_UNBOUND, 0, domid, 0, 0);
    printf("sync %d\n", sync.status);
    fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0)
        ;
}

static void memory(void)
{
    /* Two regions with a 1 MiB hole: [0, 1M) at file 0 and [2M, 3M) at file 1M; the file has one page beyond. */
    int fd = memfd((2 << 20) + 4096);
    uint8_t *m = mmap(NULL, (2 << 20) + 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        die("mmap: %s", strerror(errno));
    memcpy(m + 4096, "region0 page1", 14);               /* gfn 1 */
    memcpy(m + (1 << 20) + 4096, "region1 page1", 14);   /* gfn 513 */
    printf("region0 %d\n", mem_region(0, 1 << 20, 0, fd));
    printf("region1 %d\n", mem_region(2 << 20, 1 << 20, 1 << 20, fd));
    close(fd); /* pvring keeps what it needs */
    /* What pvring writes into the guest's memory (gfn 514: region 1, gfn 2) is in the emulator's mapping. */
    set_table_and_wait_for_test();
    printf("seen_pvring_write %d\n", memcmp(m + (1 << 20) + 2 * 4096, "from-pvring", 11) == 0);
}

/* QEMU's memory-backend-memfd,hugetlb=on: one 2 MiB-page memfd of 4 MiB, whose second huge page is guest [0, 2M). */
static void hugetlb(void)
{
    size_t huge = 2 << 20;
    int fd = memfd_create("serve_fds_huge", MFD_CLOEXEC | MFD_HUGETLB);
    if (fd < 0 || ftruncate(fd, (off_t)(2 * huge)) != 0)
        die("memfd MFD_HUGETLB: %s (are huge pages reserved? /proc/sys/vm/nr_hugepages)", strerror(errno));
    uint8_t *m = mmap(NULL, 2 * huge, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        die("mmap hugetlb: %s", strerror(errno));
    memcpy(m + huge + 4096, "huge page1", 11);            /* gfn 1 */
    printf("region0 %d\n", mem_region(0, huge, huge, fd));
    close(fd);
    set_table_and_wait_for_test(); /* pvring writes "from pvring" at gfn 2 */
    printf("seen_pvring_write %d\n", memcmp(m + huge + 2 * 4096, "from-pvring", 11) == 0);
}

static void doorbells(void)
{
    uint32_t a, b;
    port_pair(&a, &b);
    int kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int callfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    printf("set_kick %d\n", doorbell(PVRING_EVTCHN_OP_SET_KICK, a, kick));
    printf("set_call %d\n", doorbell(PVRING_EVTCHN_OP_SET_CALL, b, callfd));
    int rounds = 0;
    for (int i = 0; i < 100; i++)
    {
        uint64_t one = 1, got = 0;
        if (write(kick, &one, 8) != 8)
            die("kick: %s", strerror(errno));
        if (!wait_readable(callfd, 10000))
            break;
        if (read(callfd, &got, 8) != 8)
            die("call read: %s", strerror(errno));
        rounds++;
    }
    printf("eventfd_rounds %d\n", rounds);
    /* A send through the socket on the kicked port still reaches the call eventfd. */
    struct pvring_evtchn_msg s = { .size = PVRING_EVTCHN_MSG_SIZE, .op = PVRING_EVTCHN_OP_SEND, .id = next_id++,
        .port = a };
    write_all(sock, &s, sizeof(s));
    uint64_t got = 0;
    printf("socket_send_to_call %d\n", wait_readable(callfd, 10000) && read(callfd, &got, 8) == 8);
    /* Removing the call eventfd brings events back to the socket. */
    printf("remove_call %d\n", call(PVRING_EVTCHN_OP_SET_CALL, b, 0, 0, PVRING_EVTCHN_DOORBELL_REMOVE).status);
    uint64_t one = 1;
    if (write(kick, &one, 8) != 8)
        die("kick: %s", strerror(errno));
    struct pvring_evtchn_msg e;
    int event = 0;
    if (wait_readable(sock, 10000) && read_msg(&e) && e.op == PVRING_EVTCHN_OP_EVENT && e.port == b)
        event = 1;
    printf("event_after_remove %d\n", event);
}

static void hostile(void)
{
    uint32_t a, b;
    port_pair(&a, &b);
    int pipes[2];
    if (pipe(pipes) != 0)
        die("pipe");
    int efd = eventfd(0, EFD_CLOEXEC);
    int mfd = memfd(1 << 20);
    /* Memory: not a regular file, unaligned, beyond the file, overlapping, too many. */
    printf("region_pipe %d\n", mem_region(0, 4096, 0, pipes[0]));
    printf("region_eventfd %d\n", mem_region(0, 4096, 0, efd));
    printf("region_unaligned %d\n", mem_region(100, 4096, 0, mfd));
    printf("region_zero %d\n", mem_region(0, 0, 0, mfd));
    printf("region_beyond_file %d\n", mem_region(0, 2 << 20, 0, mfd));
    printf("region_offset_beyond_file %d\n", mem_region(0, 4096, 1 << 20, mfd));
    printf("table_empty %d\n", call(PVRING_EVTCHN_OP_SET_MEM_TABLE, 0, 0, 0, 0).status);
    mem_region(0, 8192, 0, mfd);
    mem_region(4096, 8192, 0, mfd);
    printf("table_overlap %d\n", call(PVRING_EVTCHN_OP_SET_MEM_TABLE, 0, 0, 0, 0).status);
    int accepted = 0;
    for (int i = 0; i < PVRING_EVTCHN_MAX_MEM_REGIONS; i++)
        accepted += mem_region((uint64_t)i * 8192, 4096, 0, mfd) == 0;
    printf("regions_accepted %d\n", accepted);
    printf("region_too_many %d\n", mem_region((uint64_t)PVRING_EVTCHN_MAX_MEM_REGIONS * 8192, 4096, 0, mfd));
    printf("table_max %d\n", call(PVRING_EVTCHN_OP_SET_MEM_TABLE, 0, 0, 0, 0).status);
    /* Doorbells: not an eventfd, a port not ours, a bad value. */
    printf("kick_pipe %d\n", doorbell(PVRING_EVTCHN_OP_SET_KICK, a, pipes[1]));
    printf("call_memfd %d\n", doorbell(PVRING_EVTCHN_OP_SET_CALL, b, mfd));
    /* A semaphore eventfd with a huge count would keep pvring's reader reading it one by one. */
    int sem = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE);
    uint64_t huge = 0xfffffffffffffffeull;
    if (sem < 0 || write(sem, &huge, 8) != 8)
        die("semaphore eventfd: %s", strerror(errno));
    printf("kick_semaphore %d\n", doorbell(PVRING_EVTCHN_OP_SET_KICK, a, sem));
    printf("call_semaphore %d\n", doorbell(PVRING_EVTCHN_OP_SET_CALL, b, sem));
    close(sem);
    printf("kick_not_our_port %d\n", doorbell(PVRING_EVTCHN_OP_SET_KICK, 4000, efd));
    printf("kick_port_zero %d\n", doorbell(PVRING_EVTCHN_OP_SET_KICK, 0, efd));
    printf("kick_bad_value %d\n", call(PVRING_EVTCHN_OP_SET_KICK, a, 0, 0, 7).status);
    /* Flood: empty tables and doorbell removals at full speed, replies read only when the socket is full. */
    enum { FLOOD = 20000 };
    static struct pvring_evtchn_msg out[2 * FLOOD];
    for (int i = 0; i < FLOOD; i++)
    {
        out[2 * i] = (struct pvring_evtchn_msg){ .size = PVRING_EVTCHN_MSG_SIZE,
            .op = PVRING_EVTCHN_OP_SET_MEM_TABLE, .id = next_id++ };
        out[2 * i + 1] = (struct pvring_evtchn_msg){ .size = PVRING_EVTCHN_MSG_SIZE,
            .op = PVRING_EVTCHN_OP_SET_CALL, .id = next_id++, .port = b, .value = PVRING_EVTCHN_DOORBELL_REMOVE };
    }
    size_t sent = 0, total = sizeof(out);
    int replies = 0, errors = 0;
    char in[4096];
    size_t have = 0;
    while (replies < 2 * FLOOD)
    {
        struct pollfd p = { .fd = sock, .events = POLLIN | (sent < total ? POLLOUT : 0) };
        if (poll(&p, 1, 30000) != 1)
            die("flood stalled after %d replies, %zu bytes sent", replies, sent);
        if ((p.revents & POLLOUT) && sent < total)
        {
            ssize_t n = send(sock, (char *)out + sent, total - sent, MSG_DONTWAIT);
            if (n > 0)
                sent += (size_t)n;
        }
        if (p.revents & (POLLIN | POLLHUP))
        {
            ssize_t n = read(sock, in + have, sizeof(in) - have);
            if (n <= 0)
                die("flood: connection closed after %d replies", replies);
            have += (size_t)n;
            size_t whole = have / sizeof(struct pvring_evtchn_msg);
            for (size_t i = 0; i < whole; i++)
            {
                struct pvring_evtchn_msg m;
                memcpy(&m, in + i * sizeof(m), sizeof(m));
                if (m.op != PVRING_EVTCHN_OP_EVENT)
                {
                    replies++;
                    errors += m.status != 0;
                }
            }
            memmove(in, in + whole * sizeof(struct pvring_evtchn_msg), have % sizeof(struct pvring_evtchn_msg));
            have %= sizeof(struct pvring_evtchn_msg);
        }
    }
    printf("flood_errors %d\n", errors);
    /* Three fds where one was asked for: the server ends the connection (the kernel closes what it did not take). */
    int three[3] = { efd, mfd, pipes[0] };
    struct pvring_evtchn_msg k = { .size = PVRING_EVTCHN_MSG_SIZE, .op = PVRING_EVTCHN_OP_SET_KICK, .id = next_id++,
        .port = a };
    write_all(sock, &k, sizeof(k));
    struct pvring_evtchn_msg first = reply_to(k.id);
    printf("three_fds_first %d\n", first.status);
    send_fds(three, 3);
    struct pvring_evtchn_msg m;
    int closed = 0;
    while (!closed && wait_readable(sock, 10000))
        closed = !read_msg(&m);
    printf("three_fds_closed %d\n", closed);
    /* A descriptor asked for and a message sent instead: the connection does not survive, others do. */
    close(sock);
    connect_and_hello(sock_path);
    struct pvring_evtchn_mem_region nofd = { .size = PVRING_EVTCHN_MSG_SIZE, .op = PVRING_EVTCHN_OP_MEM_REGION,
        .id = next_id++, .memory_size = 4096 };
    write_all(sock, &nofd, sizeof(nofd));
    printf("nofd_first %d\n", reply_to(nofd.id).status);
    struct pvring_evtchn_msg instead = { .size = PVRING_EVTCHN_MSG_SIZE, .op = PVRING_EVTCHN_OP_MASK,
        .id = next_id++, .port = a };
    write_all(sock, &instead, sizeof(instead));
    int ended = 0, answered = 0, status = 0;
    while (!ended && wait_readable(sock, 20000))
    {
        ended = !read_msg(&m);
        answered += !ended;
        if (!ended)
            status = m.status;
    }
    printf("nofd_status %d\n", status);
    printf("nofd_closed %d\n", ended);
    printf("nofd_answered %d\n", answered);
    printf("flood_replies %d\n", replies);
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int cmp(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static void bench(int rounds)
{
    uint64_t *t = calloc((size_t)rounds, sizeof(uint64_t));
    uint32_t a, b, c, d;
    port_pair(&a, &b);
    port_pair(&c, &d);
    /* Socket: SEND on a, wait for the EVENT of b. */
    struct pvring_evtchn_msg s = { .size = PVRING_EVTCHN_MSG_SIZE, .op = PVRING_EVTCHN_OP_SEND, .port = a };
    for (int i = 0; i < rounds; i++)
    {
        uint64_t t0 = now_ns();
        write_all(sock, &s, sizeof(s));
        struct pvring_evtchn_msg e;
        do
        {
            if (!read_msg(&e))
                die("closed");
        }
        while (e.op != PVRING_EVTCHN_OP_EVENT);
        t[i] = now_ns() - t0;
    }
    qsort(t, (size_t)rounds, sizeof(uint64_t), cmp);
    printf("socket_p50_ns %lu\n", (unsigned long)t[rounds / 2]);
    printf("socket_p99_ns %lu\n", (unsigned long)t[rounds * 99 / 100]);
    /* eventfd: write the kick of c, block reading the call of d. */
    int kick = eventfd(0, EFD_CLOEXEC);
    int callfd = eventfd(0, EFD_CLOEXEC);
    if (doorbell(PVRING_EVTCHN_OP_SET_KICK, c, kick) != 0 || doorbell(PVRING_EVTCHN_OP_SET_CALL, d, callfd) != 0)
        die("doorbells");
    for (int i = 0; i < rounds; i++)
    {
        uint64_t one = 1, got;
        uint64_t t0 = now_ns();
        /* pvring's receive made both non-blocking (O_NONBLOCK belongs to the shared open file): poll first. */
        if (write(kick, &one, 8) != 8 || !wait_readable(callfd, 10000) || read(callfd, &got, 8) != 8)
            die("eventfd round trip: %s", strerror(errno));
        t[i] = now_ns() - t0;
    }
    qsort(t, (size_t)rounds, sizeof(uint64_t), cmp);
    printf("eventfd_p50_ns %lu\n", (unsigned long)t[rounds / 2]);
    printf("eventfd_p99_ns %lu\n", (unsigned long)t[rounds * 99 / 100]);
    free(t);
}

/* The shipped client's calls for the same: pvring_set_mem_table, pvring_evtchn_set_kick / set_call. */
static void client(const char *dir)
{
    struct pvring_guest g;
    pvring_init(&g);
    int rc = pvring_open(&g, dir, domid, 0);
    if (rc != 0)
        die("pvring_open: %s", g.error);
    int fd = memfd((2 << 20) + 4096);
    uint8_t *m = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        die("mmap: %s", strerror(errno));
    memcpy(m + (1 << 20), "client region1", 15); /* gfn 512 */
    struct pvring_mem_region regions[2] = {
        { .guest_phys_addr = 0, .memory_size = 1 << 20, .mmap_offset = 0, .fd = fd },
        { .guest_phys_addr = 2 << 20, .memory_size = 1 << 20, .mmap_offset = 1 << 20, .fd = fd } };
    printf("client_table %d\n", pvring_set_mem_table(&g, regions, 2));
    int efd = eventfd(0, EFD_CLOEXEC);
    struct pvring_mem_region wrong = { .memory_size = 4096, .fd = efd };
    printf("client_table_eventfd %d\n", pvring_set_mem_table(&g, &wrong, 1));
    uint32_t a, b;
    if (pvring_evtchn_alloc_unbound(&g, (domid_t)domid, &b) != 0 ||
        pvring_evtchn_bind_interdomain(&g, (domid_t)domid, b, &a) != 0)
        die("ports: %s", g.error);
    int kick = eventfd(0, EFD_CLOEXEC);
    int callfd = eventfd(0, EFD_CLOEXEC);
    printf("client_kick %d\n", pvring_evtchn_set_kick(&g, a, kick));
    printf("client_call %d\n", pvring_evtchn_set_call(&g, b, callfd));
    printf("client_kick_memfd %d\n", pvring_evtchn_set_kick(&g, a, fd));
    uint64_t one = 1, got = 0;
    if (write(kick, &one, 8) != 8)
        die("kick");
    printf("client_doorbell %d\n", wait_readable(callfd, 10000) && read(callfd, &got, 8) == 8);
    printf("client_call_removed %d\n", pvring_evtchn_set_call(&g, b, -1));
    if (write(kick, &one, 8) != 8)
        die("kick");
    uint32_t port = 0;
    printf("client_event_on_socket %d\n", pvring_evtchn_wait(&g, 10000, &port) == 0 && port == b);
    pvring_close(&g);
}

int main(int argc, char **argv)
{
    if (argc < 4)
        die("usage: serve_fds SOCKET DOMID memory|hugetlb|doorbells|hostile|bench [ROUNDS]");
    setvbuf(stdout, NULL, _IOLBF, 0);
    domid = (uint32_t)strtoul(argv[2], NULL, 10);
    if (strcmp(argv[3], "client") == 0)
    {
        client(argv[1]);
        return 0;
    }
    connect_and_hello(argv[1]);
    if (strcmp(argv[3], "memory") == 0)
        memory();
    else if (strcmp(argv[3], "hugetlb") == 0)
        hugetlb();
    else if (strcmp(argv[3], "doorbells") == 0)
        doorbells();
    else if (strcmp(argv[3], "hostile") == 0)
        hostile();
    else if (strcmp(argv[3], "bench") == 0)
        bench(argc > 4 ? atoi(argv[4]) : 10000);
    else
        die("unknown mode %s", argv[3]);
    return 0;
}
