/*
 * pvring_client.h - the C client of `pvring serve`: what a frontend (an emulator's blkfront or netfront, a test, a
 * benchmark) needs besides its device protocol to run against pvring from another process.
 *
 * Shipped in the pvring jar (io/pvring/serve/) with pvring_client.c and written by `pvring serve` into its
 * directory beside pvring_evtchn.h and pvring_client.version. Build it into your program:
 *
 *     gcc -I DIR my_frontend.c DIR/pvring_client.c
 *
 * It needs Xen's public headers (Debian libxen-dev) and nothing else: xenstore is spoken on the socket with
 * xs_wire.h (no libxenstore), event channels with pvring_evtchn.h. docs/OUT-OF-PROCESS.md describes the interface.
 *
 * Conventions. Every function that can fail returns 0 or a negative errno (-ENOENT, -ETIMEDOUT, -EPROTO, ...) and
 * leaves a one-line reason in g->error; nothing here exits or prints. A struct pvring_guest is one guest seen by
 * one process; it is not thread-safe (one thread per handle, or your own lock). Nothing allocates after
 * pvring_open except the xenstore calls' stack buffers.
 *
 * Versions. PVRING_CLIENT_VERSION_MAJOR changes when a call or a wire format changes incompatibly, MINOR when
 * something is added. pvring_open checks the version serve reports in DIR/pvring_client.version: the majors must
 * be equal and this client's minor at most serve's (a newer serve keeps serving older clients of the same major);
 * otherwise -EPROTONOSUPPORT.
 */
#ifndef PVRING_CLIENT_H
#define PVRING_CLIENT_H

#include <errno.h> /* the calls return negative errnos */
#include <poll.h>
#include <stddef.h>
#include <stdint.h>

/* ring.h leaves the barriers to its user (the kernel's, in Linux): x86 needs a full fence for mb() only. */
#ifndef mb
#define mb() __sync_synchronize()
#endif
#ifndef rmb
#define rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#endif
#ifndef wmb
#define wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif
#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/io/ring.h>
#include <xen/io/protocols.h>
#include <xen/io/xenbus.h>
#include <xen/io/xs_wire.h>
#include "pvring_evtchn.h"

#define PVRING_CLIENT_VERSION_MAJOR 1
#define PVRING_CLIENT_VERSION_MINOR 3
#define PVRING_CLIENT_VERSION "1.3"

/* The file, in serve's directory, that says which client version serve ships: "MAJOR.MINOR\n". */
#define PVRING_CLIENT_VERSION_FILE "pvring_client.version"

#define PVRING_PAGE_SIZE (1UL << XEN_PAGE_SHIFT)

/* pvring_open flags. */
#define PVRING_OPEN_PRIVILEGED 1u /* use xenstored.sock and evtchn.sock (dom0's view), not the guest's own */
/* Notify and wait through socket messages even when serve offers eventfd doorbells (as does the environment
 * variable PVRING_SOCKET_DOORBELLS=1, read when the event socket connects). */
#define PVRING_OPEN_SOCKET_DOORBELLS 2u
#define PVRING_SOCKET_DOORBELLS_ENV "PVRING_SOCKET_DOORBELLS"

/* Ports this client tracks pending events for: a port above it is refused by the bind calls (-ENOSPC). */
#define PVRING_MAX_PORTS 4096
/* Ports that get their own kick and call eventfds when bound; ports bound beyond them use the socket. */
#define PVRING_MAX_DOORBELLS 16
/* Watch events held while a xenstore reply is awaited; older ones are dropped past it (watches are hints). */
#define PVRING_WATCH_QUEUE 16
#define PVRING_WATCH_PATH_MAX 256

/* A port's two eventfds (client 1.2): kick written by pvring_evtchn_notify, call polled by pvring_evtchn_wait. */
struct pvring_doorbell
{
    uint32_t port;
    int kick;
    int call;
};

struct pvring_watch_event
{
    char path[PVRING_WATCH_PATH_MAX];
    char token[64];
};

/* One guest as one process sees it. Zero it with pvring_init before anything else. */
struct pvring_guest
{
    uint32_t domid;

    /* Guest memory (gfn * 4096 is the offset) and its grant table, mapped MAP_SHARED. */
    uint8_t *mem;
    size_t mem_size;
    grant_entry_v1_t *gnttab;
    size_t gnttab_entries;

    /* Event channels: the socket, request ids, buffered input, ports with an undelivered event. */
    int evtchn_fd;
    uint32_t evtchn_next_id;
    uint32_t ports_per_domain;
    size_t evtchn_in_len;
    unsigned char evtchn_in[64 * PVRING_EVTCHN_MSG_SIZE];
    uint64_t pending[PVRING_MAX_PORTS / 64];
    unsigned int pending_count;
    uint64_t events_received;
    uint64_t send_failures; /* SENDs answered with an error (a successful SEND has no reply) */
    uint32_t evtchn_version;  /* the hello reply's PVRING_EVTCHN_VERSION (0 before version 2) */
    int doorbells;            /* bind calls give ports eventfd doorbells (version >= 2 and not turned off) */
    unsigned int doorbell_count;
    struct pvring_doorbell doorbell[PVRING_MAX_DOORBELLS];
    int epoll_fd;             /* the socket and the call eventfds (edge-triggered), once a doorbell exists (1.3) */
    int external_poll;        /* pvring_evtchn_pollfds was called: read call eventfds as they are reported */

    /* XenStore on its socket (xs_wire.h). */
    int xs_fd;
    uint32_t xs_next_id;
    unsigned int watch_head;
    unsigned int watch_count;
    uint64_t watch_events_dropped;
    struct pvring_watch_event watch_queue[PVRING_WATCH_QUEUE];

    /* Why the last call failed, for messages. */
    char error[256];
};

/* A frontend device's two directories, as the toolstack wrote them. */
struct pvring_device
{
    char frontend[128]; /* /local/domain/<domid>/device/<type>/<devid> */
    char backend[128];  /* its "backend" key */
    domid_t backend_id; /* its "backend-id" key */
};

/* ---- setup ---- */

/* Zeroes a handle: no mappings, no sockets. pvring_close is safe on it. */
void pvring_init(struct pvring_guest *g);

/*
 * Everything for guest `domid` of the serve directory `dir`: the version check, dom<id>.mem and dom<id>.gnttab
 * mapped, the xenstore socket and the event-channel socket (the guest's own ones, or the privileged ones with
 * PVRING_OPEN_PRIVILEGED) connected, and HELLO said as `domid`. On failure everything opened is closed again.
 */
int pvring_open(struct pvring_guest *g, const char *dir, uint32_t domid, unsigned int flags);

/* Unmaps and disconnects whatever is open (and the doorbells' eventfds); closing the event socket closes the ports
 * it opened. */
void pvring_close(struct pvring_guest *g);

/* 0 when serve's DIR/pvring_client.version is compatible with this client (see Versions above). */
int pvring_check_version(struct pvring_guest *g, const char *dir);

/* The pieces of pvring_open, for programs given paths rather than a directory. */
int pvring_map_memory(struct pvring_guest *g, const char *mem_path, const char *gnttab_path);
int pvring_evtchn_connect(struct pvring_guest *g, const char *socket_path, uint32_t domid);
int pvring_xs_connect(struct pvring_guest *g, const char *socket_path);

/* ---- guest memory and grants (gnttab v1, as Linux does it) ---- */

/* The page at `gfn`, or NULL when it is outside guest memory. */
void *pvring_page(struct pvring_guest *g, uint64_t gfn);

/* Linux gnttab_grant_foreign_access_ref: frame and domid, a write barrier, then the flags. -EINVAL off the table. */
int pvring_grant(struct pvring_guest *g, grant_ref_t ref, domid_t domid, uint64_t gfn, int readonly);

/* Linux gnttab_end_foreign_access_ref (v1): -EBUSY while the backend has the page mapped or is copying it. */
int pvring_end_grant(struct pvring_guest *g, grant_ref_t ref);

/* ---- event channels (pvring_evtchn.h over the socket, and eventfd doorbells) ---- */

/*
 * Doorbells by default (client 1.2). When serve's event protocol is version 2 or later and neither
 * PVRING_OPEN_SOCKET_DOORBELLS nor PVRING_SOCKET_DOORBELLS=1 turned them off, each bind call (alloc_unbound,
 * bind_interdomain) gives the new port a kick and a call eventfd (EFD_NONBLOCK | EFD_CLOEXEC) and registers them:
 * pvring_evtchn_notify then writes the kick eventfd and pvring_evtchn_wait waits on the call eventfds together
 * with the socket (ports without doorbells still get their events there). The first PVRING_MAX_DOORBELLS ports get
 * them; later ones use the socket. pvring_evtchn_close and pvring_close close the eventfds.
 *
 * Since 1.3 pvring_evtchn_wait waits in an epoll set that holds the call eventfds edge-triggered: every write pvring
 * makes to one is an event, so the counter need not be read back (one system call per wait instead of two; the
 * counter, 2^64 - 2 at most, never fills at any real rate). A program that polls the descriptors itself
 * (pvring_evtchn_pollfds) gets the 1.2 behaviour from then on: each call eventfd reported is read, so a
 * level-triggered poll of it sees it cleared.
 */

int pvring_evtchn_alloc_unbound(struct pvring_guest *g, domid_t remote_domid, uint32_t *port);
int pvring_evtchn_bind_interdomain(struct pvring_guest *g, domid_t remote_domid, uint32_t remote_port,
    uint32_t *port);
int pvring_evtchn_mask(struct pvring_guest *g, uint32_t port);
int pvring_evtchn_unmask(struct pvring_guest *g, uint32_t port);
int pvring_evtchn_close(struct pvring_guest *g, uint32_t port);

/* EVTCHNOP_send: one 32-byte write, no reply awaited (a failed send is answered and reported by a later call). */
int pvring_evtchn_notify(struct pvring_guest *g, uint32_t port);

/*
 * Waits at most `timeout_ms` (0: do not block, -1: forever) for a port to become pending, clears it and returns
 * it in *port: like a read of /dev/xen/evtchn. -ETIMEDOUT when none did. Treat it as readiness: check the ring
 * (RING_FINAL_CHECK_FOR_RESPONSES), do not count events, since notifications coalesce.
 */
int pvring_evtchn_wait(struct pvring_guest *g, int timeout_ms, uint32_t *port);

/*
 * The descriptors that g's events arrive on, for a program that waits on several handles or in its own event loop:
 * the event socket first, then each call eventfd, all with POLLIN. Returns how many it filled (at most
 * 1 + PVRING_MAX_DOORBELLS), -ENOSPC when cap is smaller. When one is readable, take the events with
 * pvring_evtchn_wait(g, 0, &port) until it returns -ETIMEDOUT. The set changes with each bind and close. Calling it
 * makes pvring_evtchn_wait read each call eventfd it reports (not const since 1.3: it records that).
 */
int pvring_evtchn_pollfds(struct pvring_guest *g, struct pollfd *fds, unsigned int cap);

/* ---- xenstore (xs_wire.h on the socket) ---- */

#define PVRING_XBT_NULL 0u

/* Reads `path` into value (NUL-terminated, at most cap - 1 bytes; -E2BIG when longer). *len may be NULL. */
int pvring_xs_read(struct pvring_guest *g, uint32_t tx, const char *path, char *value, size_t cap, size_t *len);
/* Reads dir/key as a decimal or 0x number; -ENOENT when absent, -EINVAL when not a number. */
int pvring_xs_read_long(struct pvring_guest *g, uint32_t tx, const char *dir, const char *key, long *value);
int pvring_xs_write(struct pvring_guest *g, uint32_t tx, const char *path, const char *value);
/* Writes dir/key = printf(fmt, ...). */
int pvring_xs_printf(struct pvring_guest *g, uint32_t tx, const char *dir, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
int pvring_xs_mkdir(struct pvring_guest *g, uint32_t tx, const char *path);
int pvring_xs_rm(struct pvring_guest *g, uint32_t tx, const char *path);
int pvring_xs_watch(struct pvring_guest *g, const char *path, const char *token);
int pvring_xs_unwatch(struct pvring_guest *g, const char *path, const char *token);
/* Waits at most timeout_ms (0: do not block, -1: forever) for a watch event; -ETIMEDOUT when none came. */
int pvring_xs_read_watch(struct pvring_guest *g, int timeout_ms, struct pvring_watch_event *event);
int pvring_xs_transaction_start(struct pvring_guest *g, uint32_t *tx);
/* Commits (abort = 0) or aborts; -EAGAIN when something it touched changed meanwhile: run it again. */
int pvring_xs_transaction_end(struct pvring_guest *g, uint32_t tx, int abort);

/* ---- xenbus ---- */

/* Reads the frontend directory of device <type>/<devid> of this guest: its backend path and backend-id. */
int pvring_device_find(struct pvring_guest *g, const char *type, const char *devid, struct pvring_device *dev);

/* Writes dir/state. */
int pvring_xenbus_switch_state(struct pvring_guest *g, uint32_t tx, const char *dir, enum xenbus_state state);

/*
 * Waits, through a watch on dir/state, until it is `want` (or, with or_later, `want` or beyond), at most
 * timeout_ms in all. -ETIMEDOUT (with the state seen in g->error), or -ECONNRESET when the other end went
 * Closing or Closed while a state before Closing was awaited. *seen (may be NULL) gets the last state read.
 */
int pvring_xenbus_wait_state(struct pvring_guest *g, const char *dir, enum xenbus_state want, int or_later,
    int timeout_ms, enum xenbus_state *seen);

/* The frontend's side of closing (blkfront's and netfront's removal): Closing, the backend follows, Closed. */
int pvring_device_close(struct pvring_guest *g, const struct pvring_device *dev, int timeout_ms);

/* ---- memory the emulator owns, and eventfd doorbells (client 1.1, event protocol version 2) ---- */

/* One region of guest memory in a file the emulator owns: a memfd, a hugetlbfs or tmpfs file (vhost-user's
 * VhostUserMemoryRegion). Addresses, sizes and offsets are multiples of 4096; regions may leave holes. */
struct pvring_mem_region
{
    uint64_t guest_phys_addr;
    uint64_t memory_size;
    uint64_t mmap_offset; /* where guest_phys_addr is in the file */
    int fd;               /* passed with SCM_RIGHTS; still the caller's to close afterwards */
};

/*
 * Makes the n regions (at most PVRING_EVTCHN_MAX_MEM_REGIONS) guest g's memory, in place of dom<id>.mem, as
 * vhost-user's SET_MEM_TABLE does. Only while none of the guest's devices is connected (-EBUSY otherwise): send
 * it before the first handshake. -EBADF for an fd that is not a regular file, -EINVAL for a region that is
 * unaligned, beyond its file or overlapping another, -E2BIG for too many. pvring never resizes or deletes the
 * files. This does not change g->mem: the caller maps its own memory.
 */
int pvring_set_mem_table(struct pvring_guest *g, const struct pvring_mem_region *regions, unsigned int n);

/*
 * An eventfd as port's "kick" (frontend to backend: pvring reads it and sends on the port, as
 * pvring_evtchn_notify does) or "call" (backend to frontend: pvring writes 1 to it instead of an event on the
 * socket, so pvring_evtchn_wait no longer sees that port; poll the eventfd). eventfd -1 removes it, back to the
 * socket. -EBADF when fd is not an eventfd. pvring makes the passed eventfd O_NONBLOCK (the flag is shared by
 * every descriptor of that open file): read it after poll.
 */
int pvring_evtchn_set_kick(struct pvring_guest *g, uint32_t port, int eventfd);
int pvring_evtchn_set_call(struct pvring_guest *g, uint32_t port, int eventfd);

#endif /* PVRING_CLIENT_H */
