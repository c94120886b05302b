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
#define PVRING_EVTCHN_OP_EVENT            0x80
#define PVRING_EVTCHN_OP_REPLY            0x100

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
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the protocol is little endian; convert on this host");

#endif /* PVRING_EVTCHN_H */
