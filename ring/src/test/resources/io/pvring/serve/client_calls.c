/*
 * Every call of pvring's shipped C client (pvring_client.h) against a real `pvring serve` directory, as two guests'
 * processes would make them, each outcome printed as a "name value" line for CClientInteropTest to check:
 *
 *   client_calls DIR DOMID_A DOMID_B MISSING_DOMID
 *
 * Guests A and B may write below their own /local/domain/<id>/data (the test makes it so).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "pvring_client.h"

static struct pvring_guest a, b;
static char da[128], db[128];

static void must(struct pvring_guest *g, int rc, const char *what)
{
    if (rc != 0)
    {
        fprintf(stderr, "client_calls: %s: %s (%d)\n", what, g->error, rc);
        exit(1);
    }
}

/* Nothing (no event, no reply) waits on g's event socket. */
static int socket_quiet(struct pvring_guest *g)
{
    char c;
    return recv(g->evtchn_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static int readable_within(int fd, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    return poll(&pfd, 1, timeout_ms) == 1;
}

static void path(char *out, size_t cap, const char *dir, const char *key)
{
    snprintf(out, cap, "%s/%s", dir, key);
}

static void xenstore_calls(void)
{
    char p[256], v[64], small[2];
    size_t len = 99;
    uint32_t t, t2;
    long n;
    struct pvring_watch_event e;

    path(p, sizeof(p), da, "missing");
    printf("read_missing %d\n", pvring_xs_read(&a, PVRING_XBT_NULL, p, v, sizeof(v), NULL));
    path(p, sizeof(p), da, "x");
    must(&a, pvring_xs_write(&a, PVRING_XBT_NULL, p, "hello"), "write x");
    must(&a, pvring_xs_read(&a, PVRING_XBT_NULL, p, v, sizeof(v), &len), "read x");
    printf("read_back_ok %d\nread_len %zu\n", strcmp(v, "hello") == 0, len);
    printf("read_too_small %d\n", pvring_xs_read(&a, PVRING_XBT_NULL, p, small, sizeof(small), NULL));
    printf("read_long_not_number %d\n", pvring_xs_read_long(&a, PVRING_XBT_NULL, da, "x", &n));
    must(&a, pvring_xs_printf(&a, PVRING_XBT_NULL, da, "n", "0x%x", 42), "printf n");
    must(&a, pvring_xs_read_long(&a, PVRING_XBT_NULL, da, "n", &n), "read_long n");
    printf("read_long %ld\n", n);

    path(p, sizeof(p), da, "dir");
    must(&a, pvring_xs_mkdir(&a, PVRING_XBT_NULL, p), "mkdir");
    must(&a, pvring_xs_read(&a, PVRING_XBT_NULL, p, v, sizeof(v), &len), "read dir");
    printf("mkdir_empty %d\n", len == 0);
    must(&a, pvring_xs_rm(&a, PVRING_XBT_NULL, p), "rm");
    printf("read_removed %d\n", pvring_xs_read(&a, PVRING_XBT_NULL, p, v, sizeof(v), NULL));

    path(p, sizeof(p), db, "x");
    printf("write_other_guest %d\n", pvring_xs_write(&a, PVRING_XBT_NULL, p, "no"));

    /* A transaction that read x loses to a write of x from outside: EAGAIN, and the outside value stays. */
    path(p, sizeof(p), da, "x");
    must(&a, pvring_xs_transaction_start(&a, &t), "transaction start");
    must(&a, pvring_xs_read(&a, t, p, v, sizeof(v), NULL), "read in transaction");
    must(&b, pvring_xs_transaction_start(&b, &t2), "B's transaction start");
    must(&b, pvring_xs_transaction_end(&b, t2, 1), "B's abort");
    must(&a, pvring_xs_write(&a, PVRING_XBT_NULL, p, "outside"), "write outside");
    must(&a, pvring_xs_write(&a, t, p, "inside"), "write in transaction");
    printf("conflict %d\n", pvring_xs_transaction_end(&a, t, 0));
    must(&a, pvring_xs_read(&a, PVRING_XBT_NULL, p, v, sizeof(v), NULL), "read after conflict");
    printf("outside_kept %d\n", strcmp(v, "outside") == 0);
    must(&a, pvring_xs_transaction_start(&a, &t), "transaction start");
    must(&a, pvring_xs_write(&a, t, p, "committed"), "write in transaction");
    printf("commit %d\n", pvring_xs_transaction_end(&a, t, 0));
    must(&a, pvring_xs_read(&a, PVRING_XBT_NULL, p, v, sizeof(v), NULL), "read after commit");
    printf("committed_ok %d\n", strcmp(v, "committed") == 0);
    printf("end_unknown_transaction %d\n", pvring_xs_transaction_end(&a, 999999, 0));

    /* Watches: the initial event, one per write, none after unwatch. */
    path(p, sizeof(p), da, "w");
    must(&a, pvring_xs_watch(&a, p, "tok"), "watch");
    must(&a, pvring_xs_read_watch(&a, 5000, &e), "initial watch event");
    printf("watch_initial_ok %d\n", strcmp(e.path, p) == 0 && strcmp(e.token, "tok") == 0);
    must(&a, pvring_xs_write(&a, PVRING_XBT_NULL, p, "1"), "write w");
    must(&a, pvring_xs_read_watch(&a, 5000, &e), "watch event");
    printf("watch_fired_ok %d\n", strcmp(e.path, p) == 0 && strcmp(e.token, "tok") == 0);
    must(&a, pvring_xs_unwatch(&a, p, "tok"), "unwatch");
    must(&a, pvring_xs_write(&a, PVRING_XBT_NULL, p, "2"), "write w again");
    printf("watch_after_unwatch %d\n", pvring_xs_read_watch(&a, 200, &e));
}

static void xenbus_calls(void)
{
    enum xenbus_state seen = XenbusStateUnknown;
    must(&a, pvring_xenbus_switch_state(&a, PVRING_XBT_NULL, da, XenbusStateInitialising), "state 1");
    printf("wait_timeout %d\n", pvring_xenbus_wait_state(&a, da, XenbusStateConnected, 0, 200, &seen));
    printf("wait_timeout_seen %d\n", (int)seen);
    must(&a, pvring_xenbus_switch_state(&a, PVRING_XBT_NULL, da, XenbusStateInitialised), "state 3");
    printf("wait_reached %d\n", pvring_xenbus_wait_state(&a, da, XenbusStateInitialised, 0, 5000, &seen));
    printf("wait_or_later %d\n", pvring_xenbus_wait_state(&a, da, XenbusStateInitWait, 1, 5000, &seen));
    must(&a, pvring_xenbus_switch_state(&a, PVRING_XBT_NULL, da, XenbusStateClosing), "state 5");
    printf("wait_went_closing %d\n", pvring_xenbus_wait_state(&a, da, XenbusStateConnected, 0, 5000, &seen));
    printf("watch_queue_left %u\n", a.watch_count);
}

static void event_calls(void)
{
    uint32_t pa, pb, pending = 0, dummy;
    printf("ports_per_domain %u\n", a.ports_per_domain);
    must(&a, pvring_evtchn_alloc_unbound(&a, (domid_t)b.domid, &pa), "alloc_unbound");
    must(&b, pvring_evtchn_bind_interdomain(&b, (domid_t)a.domid, pa, &pb), "bind_interdomain");
    printf("bind_again %d\n", pvring_evtchn_bind_interdomain(&b, (domid_t)a.domid, pa, &dummy));
    printf("wait_nothing %d\n", pvring_evtchn_wait(&b, 0, &pending));
    /* The default: both ports got eventfds, so the notification goes kick, pvring, call, and not the socket. */
    printf("evtchn_version %u\n", a.evtchn_version);
    printf("doorbell_ports %u\n", a.doorbell_count + b.doorbell_count);
    {
        struct pollfd fds[1 + PVRING_MAX_DOORBELLS];
        int n = pvring_evtchn_pollfds(&b, fds, 1 + PVRING_MAX_DOORBELLS);
        printf("pollfds %d\n", n == 2 && fds[0].fd == b.evtchn_fd && fds[1].fd == b.doorbell[0].call);
        printf("pollfds_too_small %d\n", pvring_evtchn_pollfds(&b, fds, 1));
    }
    dummy = a.evtchn_next_id;
    must(&a, pvring_evtchn_notify(&a, pa), "notify");
    printf("notify_without_socket %d\n", a.evtchn_next_id == dummy);
    printf("call_fired %d\n", b.doorbell_count == 1 && readable_within(b.doorbell[0].call, 5000));
    printf("socket_quiet %d\n", socket_quiet(&b));
    must(&b, pvring_evtchn_wait(&b, 5000, &pending), "wait");
    printf("event_on_bound_port %d\n", pending == pb);
    /* B asked for its descriptors (pvring_evtchn_pollfds), so its wait read the call eventfd: a poll sees it clear. */
    printf("external_call_cleared %d\n", !readable_within(b.doorbell[0].call, 0));
    must(&b, pvring_evtchn_notify(&b, pb), "notify back");
    must(&a, pvring_evtchn_wait(&a, 5000, &pending), "wait back");
    printf("event_back %d\n", pending == pa);
    /* A did not: it waits in its epoll set, edge-triggered, and leaves the counter; no event may be lost to that. */
    printf("epoll_wait_used %d\n", a.epoll_fd >= 0 && !a.external_poll);
    {
        int i, round_trips = 0;
        for (i = 0; i < 300; i++)
        {
            must(&b, pvring_evtchn_notify(&b, pb), "notify in the loop");
            if (pvring_evtchn_wait(&a, 5000, &pending) == 0 && pending == pa)
            {
                round_trips++;
            }
        }
        printf("edge_triggered_round_trips %d\n", round_trips);
        printf("edge_triggered_then_quiet %d\n", pvring_evtchn_wait(&a, 100, &pending));
    }

    /* A masked port keeps its pending bit; unmasking delivers it. */
    must(&b, pvring_evtchn_mask(&b, pb), "mask");
    must(&a, pvring_evtchn_notify(&a, pa), "notify masked");
    printf("wait_masked %d\n", pvring_evtchn_wait(&b, 300, &pending));
    must(&b, pvring_evtchn_unmask(&b, pb), "unmask");
    must(&b, pvring_evtchn_wait(&b, 5000, &pending), "wait after unmask");
    printf("event_after_unmask %d\n", pending == pb);

    /* A send on a port that is not ours is answered with an error the next call takes in. */
    must(&a, pvring_evtchn_notify(&a, 4000), "notify a foreign port");
    must(&a, pvring_evtchn_mask(&a, pa), "a call after the bad send");
    printf("send_failures %llu\n", (unsigned long long)a.send_failures);
    printf("mask_bad_port %d\n", pvring_evtchn_mask(&a, 4001));

    must(&b, pvring_evtchn_close(&b, pb), "close");
    printf("close_again %d\n", pvring_evtchn_close(&b, pb));
}

/* PVRING_OPEN_SOCKET_DOORBELLS (for A) and PVRING_SOCKET_DOORBELLS=1 (for B) keep the socket messages. */
static void socket_doorbell_calls(const char *dir)
{
    struct pvring_guest c, d;
    uint32_t pc, pd, pending = 0, id;
    pvring_init(&c);
    pvring_init(&d);
    must(&c, pvring_open(&c, dir, a.domid, PVRING_OPEN_SOCKET_DOORBELLS), "open A with socket doorbells");
    setenv(PVRING_SOCKET_DOORBELLS_ENV, "1", 1);
    must(&d, pvring_open(&d, dir, b.domid, 0), "open B with PVRING_SOCKET_DOORBELLS=1");
    unsetenv(PVRING_SOCKET_DOORBELLS_ENV);
    must(&c, pvring_evtchn_alloc_unbound(&c, (domid_t)d.domid, &pc), "socket alloc_unbound");
    must(&d, pvring_evtchn_bind_interdomain(&d, (domid_t)c.domid, pc, &pd), "socket bind_interdomain");
    printf("socket_doorbell_ports %u\n", c.doorbell_count + d.doorbell_count);
    id = c.evtchn_next_id;
    must(&c, pvring_evtchn_notify(&c, pc), "socket notify");
    printf("socket_notify_wrote %d\n", c.evtchn_next_id == id + 1);
    must(&d, pvring_evtchn_wait(&d, 5000, &pending), "socket wait");
    printf("socket_event %d\n", pending == pd);
    pvring_close(&d);
    pvring_close(&c);
}

/* Ports bound past PVRING_MAX_DOORBELLS stay on the socket, and a wait sees both kinds; close frees a slot. */
static void doorbell_table_full(const char *dir)
{
    struct pvring_guest e, f;
    uint32_t pe[PVRING_MAX_DOORBELLS + 1], pf, pending = 0;
    unsigned int i;
    pvring_init(&e);
    pvring_init(&f);
    must(&e, pvring_open(&e, dir, a.domid, 0), "open A for a full table");
    must(&f, pvring_open(&f, dir, b.domid, PVRING_OPEN_SOCKET_DOORBELLS), "open B for a full table");
    for (i = 0; i <= PVRING_MAX_DOORBELLS; i++)
    {
        must(&e, pvring_evtchn_alloc_unbound(&e, (domid_t)f.domid, &pe[i]), "alloc_unbound past the table");
    }
    printf("table_full_doorbells %u\n", e.doorbell_count);
    must(&f, pvring_evtchn_bind_interdomain(&f, (domid_t)e.domid, pe[PVRING_MAX_DOORBELLS], &pf), "bind last");
    must(&f, pvring_evtchn_notify(&f, pf), "notify the port without doorbells");
    must(&e, pvring_evtchn_wait(&e, 5000, &pending), "wait on a full table");
    printf("table_full_socket_event %d\n", pending == pe[PVRING_MAX_DOORBELLS]);
    must(&e, pvring_evtchn_close(&e, pe[0]), "close a port with doorbells");
    printf("table_after_close %u\n", e.doorbell_count);
    pvring_close(&f);
    pvring_close(&e);
}

static void grant_calls(void)
{
    printf("last_page_ok %d\n", pvring_page(&a, a.mem_size / PVRING_PAGE_SIZE - 1) != NULL);
    printf("page_outside_null %d\n", pvring_page(&a, a.mem_size / PVRING_PAGE_SIZE) == NULL);
    printf("grant_outside %d\n", pvring_grant(&a, (grant_ref_t)a.gnttab_entries, 0, 1, 0));
    must(&a, pvring_grant(&a, 100, 0, 20, 1), "grant");
    printf("grant_flags %u\ngrant_frame %u\n", a.gnttab[100].flags, a.gnttab[100].frame);
    printf("end_unmapped %d\n", pvring_end_grant(&a, 100));
    printf("ended_flags %u\n", a.gnttab[100].flags);
}

int main(int argc, char **argv)
{
    struct pvring_guest missing, priv;
    int rc;
    if (argc != 5)
    {
        fprintf(stderr, "usage: %s DIR DOMID_A DOMID_B MISSING_DOMID\n", argv[0]);
        return 2;
    }
    pvring_init(&a);
    pvring_init(&b);
    pvring_init(&missing);
    pvring_init(&priv);
    must(&a, pvring_open(&a, argv[1], (uint32_t)atoi(argv[2]), 0), "open A");
    must(&b, pvring_open(&b, argv[1], (uint32_t)atoi(argv[3]), 0), "open B");
    rc = pvring_open(&missing, argv[1], (uint32_t)atoi(argv[4]), 0);
    printf("open_missing %d\nopen_missing_closed %d\n", rc, missing.mem == NULL && missing.xs_fd < 0 &&
        missing.evtchn_fd < 0);
    must(&priv, pvring_open(&priv, argv[1], (uint32_t)atoi(argv[2]), PVRING_OPEN_PRIVILEGED), "open privileged");
    printf("privileged_open 1\n");
    snprintf(da, sizeof(da), "/local/domain/%u/data", a.domid);
    snprintf(db, sizeof(db), "/local/domain/%u/data", b.domid);
    xenstore_calls();
    xenbus_calls();
    event_calls();
    socket_doorbell_calls(argv[1]);
    doorbell_table_full(argv[1]);
    grant_calls();
    pvring_close(&priv);
    pvring_close(&b);
    pvring_close(&a);
    printf("closed_clean %d\n", a.mem == NULL && a.evtchn_fd < 0 && a.xs_fd < 0);
    return 0;
}
