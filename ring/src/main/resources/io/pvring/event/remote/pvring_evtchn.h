/*
 * pvring_evtchn.h - event channels of `pvring serve` over a Unix domain socket.
 *
 * Shipped in the pvring jar next to its Java side, io.pvring.event.remote.EvtchnMessageDescriptor (same offsets,
 * same constants), and written by `pvring serve` into its shared directory. The ring module's EvtchnAbiTest
 * compiles this header with gcc and compares both. docs/OUT-OF-PROCESS.md describes the protocol.
 *
 * Every message in either direction is one struct pvring_evtchn_msg of exactly 32 bytes, little endian:
 *
 *   offset  field        requests                                    replies / events
 *   0       size         always 32 (anything else closes the link)   32
 *   2       op           PVRING_EVTCHN_OP_*                          op | PVRING_EVTCHN_OP_REPLY, or OP_EVENT
 *   4       id           chosen by the client                        the request's id (0 in events)
 *   8       port         the client's local port                     the port allocated / acted on / pending
 *   12      domid        hello: own domid; alloc/bind: remote domid  as in the request; domain_create: new domid
 *   16      remote_port  bind_interdomain: the remote port           the peer's port where known
 *   20      status       0                                           0 or a negative errno
 *   24      value        domain_create: memory bytes                 hello: ports per domain
 *
 * A client sends HELLO (its domid) once, then ALLOC_UNBOUND / BIND_INTERDOMAIN / SEND / MASK / UNMASK / CLOSE.
 * The hello reply's remote_port is the protocol version, PVRING_EVTCHN_VERSION (0 from servers before version 2).
 * Every request gets exactly one reply, in order, except a successful SEND, which gets none (sends pipeline).
 * The server pushes OP_EVENT for a port that became pending; events coalesce like the pending bit: a port that
 * is notified many times before the event is written produces one event. Closing the socket closes every port
 * the connection opened (peers see the channel unbound).
 */
#ifndef PVRING_EVTCHN_H
#define PVRING_EVTCHN_H

#include <stdint.h>

#define PVRING_EVTCHN_MSG_SIZE 32

#define PVRING_EVTCHN_OP_HELLO            1
#define PVRING_EVTCHN_OP_ALLOC_UNBOUND    2
#define PVRING_EVTCHN_OP_BIND_INTERDOMAIN 3
#define PVRING_EVTCHN_OP_SEND             4
#define PVRING_EVTCHN_OP_MASK             5
#define PVRING_EVTCHN_OP_UNMASK           6
#define PVRING_EVTCHN_OP_CLOSE            7
#define PVRING_EVTCHN_OP_DOMAIN_CREATE    8
#define PVRING_EVTCHN_OP_DOMAIN_DESTROY   9
#define PVRING_EVTCHN_OP_MEM_REGION       10  /* struct pvring_evtchn_mem_region; its fd follows (below) */
#define PVRING_EVTCHN_OP_SET_MEM_TABLE    11  /* the regions sent since the last table become guest memory */
#define PVRING_EVTCHN_OP_SET_KICK         12  /* port: an eventfd pvring reads, each read = one SEND */
#define PVRING_EVTCHN_OP_SET_CALL         13  /* port: an eventfd pvring writes 1 to, in place of OP_EVENT */
#define PVRING_EVTCHN_OP_EVENT            0x80
#define PVRING_EVTCHN_OP_REPLY            0x100

/* Version 2 added the memory table and eventfd doorbells (ops 10-13). */
#define PVRING_EVTCHN_VERSION             2

/*
 * Passing a file descriptor (MEM_REGION, SET_KICK, SET_CALL with value 0): send the request, read its first reply;
 * status PVRING_EVTCHN_STATUS_SEND_FD means "send it now": one sendmsg of exactly one byte (any value) carrying
 * exactly one fd in an SCM_RIGHTS control message, and nothing else until the second reply (same op and id),
 * whose status is 0 or a negative errno (-EBADF: not an eventfd / not a regular file). A negative first status
 * means no fd is wanted. Extra fds in that message are closed by the kernel; fds sent unasked are discarded.
 */
#define PVRING_EVTCHN_STATUS_SEND_FD      1
/* value of SET_KICK / SET_CALL: remove the port's eventfd (no fd follows); back to SEND / OP_EVENT messages. */
#define PVRING_EVTCHN_DOORBELL_REMOVE     1
/* Most regions one SET_MEM_TABLE may hold; one more MEM_REGION is answered -E2BIG. */
#define PVRING_EVTCHN_MAX_MEM_REGIONS     32

struct pvring_evtchn_msg
{
    uint16_t size;
    uint16_t op;
    uint32_t id;
    uint32_t port;
    uint32_t domid;
    uint32_t remote_port;
    int32_t status;
    uint64_t value;
};

_Static_assert(sizeof(struct pvring_evtchn_msg) == PVRING_EVTCHN_MSG_SIZE, "pvring_evtchn_msg is 32 bytes");

/*
 * PVRING_EVTCHN_OP_MEM_REGION: one range of guest memory in a file the emulator owns (memfd, hugetlbfs, tmpfs),
 * vhost-user's VhostUserMemoryRegion without the userspace address. All three values are multiples of 4096;
 * regions may leave holes but not overlap. Replies are ordinary struct pvring_evtchn_msg.
 *
 *   offset  field            meaning
 *   0       size             32
 *   2       op               PVRING_EVTCHN_OP_MEM_REGION
 *   4       id               echoed in both replies
 *   8       guest_phys_addr  first guest-physical byte of the region
 *   16      memory_size      bytes
 *   24      mmap_offset      where guest_phys_addr is in the file
 */
struct pvring_evtchn_mem_region
{
    uint16_t size;
    uint16_t op;
    uint32_t id;
    uint64_t guest_phys_addr;
    uint64_t memory_size;
    uint64_t mmap_offset;
};

_Static_assert(sizeof(struct pvring_evtchn_mem_region) == PVRING_EVTCHN_MSG_SIZE, "mem_region is one message");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the protocol is little endian; convert on this host");

#endif /* PVRING_EVTCHN_H */
