package io.pvring.event.remote;

/**
 * Layout of one message of the event-channel socket protocol ({@code pvring_evtchn.h}, {@code struct
 * pvring_evtchn_msg}): every request, reply and pushed event is exactly {@link #MESSAGE_LENGTH} bytes, little
 * endian, so a client frames the stream by counting bytes.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |   size (u16, always 32)       |   op (u16, PVRING_EVTCHN_OP_*)|  0
 *  +-------------------------------+-------------------------------+
 *  |   id (u32, the client's, echoed in its reply; 0 in events)    |  4
 *  +---------------------------------------------------------------+
 *  |   port (u32, the client's local port)                         |  8
 *  +---------------------------------------------------------------+
 *  |   domid (u32: hello = own, alloc/bind = remote domain)        | 12
 *  +---------------------------------------------------------------+
 *  |   remote_port (u32: bind's remote port; replies: the peer's)  | 16
 *  +---------------------------------------------------------------+
 *  |   status (i32, replies: 0 or a negative errno)                | 20
 *  +---------------------------------------------------------------+
 *  |   value (u64: domain_create's memory bytes)                   | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 * </pre>
 * A reply has the request's op with {@link #OP_REPLY} set and the request's id; {@link #OP_EVENT} messages are
 * pushed by the server. Unused fields are zero in what the server sends and ignored in what it receives.
 */
public final class EvtchnMessageDescriptor
{
    public static final int SIZE_OFFSET = 0;
    public static final int OP_OFFSET = 2;
    public static final int ID_OFFSET = 4;
    public static final int PORT_OFFSET = 8;
    public static final int DOMID_OFFSET = 12;
    public static final int REMOTE_PORT_OFFSET = 16;
    public static final int STATUS_OFFSET = 20;
    public static final int VALUE_OFFSET = 24;
    /** {@code sizeof(struct pvring_evtchn_msg)}; a message whose size field differs ends the connection. */
    public static final int MESSAGE_LENGTH = 32;

    /** Names the client's domain, once, before any port operation: {@code domid}. */
    public static final int OP_HELLO = 1;
    /** {@code EVTCHNOP_alloc_unbound}: a new port that {@code domid} may bind; the reply's {@code port}. */
    public static final int OP_ALLOC_UNBOUND = 2;
    /** {@code EVTCHNOP_bind_interdomain} to {@code remote_port} of {@code domid}; the reply's {@code port}. */
    public static final int OP_BIND_INTERDOMAIN = 3;
    /** {@code EVTCHNOP_send} on {@code port}: replied to only when it fails, so sends can be pipelined. */
    public static final int OP_SEND = 4;
    /** Stops {@link #OP_EVENT} delivery for {@code port}; notifications still set its pending bit. */
    public static final int OP_MASK = 5;
    /** Resumes delivery; a notification that arrived while masked is delivered now. */
    public static final int OP_UNMASK = 6;
    /** {@code EVTCHNOP_close} of {@code port}: the peer's end becomes unbound. */
    public static final int OP_CLOSE = 7;
    /** Creates a guest domain of {@code value} bytes of file-backed memory; the reply's {@code domid}. */
    public static final int OP_DOMAIN_CREATE = 8;
    /** Destroys {@code domid}, a domain created with {@link #OP_DOMAIN_CREATE}. */
    public static final int OP_DOMAIN_DESTROY = 9;
    /**
     * One region of guest memory the emulator owns ({@link EvtchnMemRegionDescriptor} layout), whose file descriptor
     * follows once the reply says {@link #STATUS_SEND_FD}: collected until {@link #OP_SET_MEM_TABLE}.
     */
    public static final int OP_MEM_REGION = 10;
    /** Replaces the domain's memory with the regions sent since the last table (vhost-user's SET_MEM_TABLE). */
    public static final int OP_SET_MEM_TABLE = 11;
    /** An eventfd for {@code port} (frontend to backend, vhost-user's kick): pvring reads it and sends on the port. */
    public static final int OP_SET_KICK = 12;
    /** An eventfd for {@code port} (backend to frontend, vhost-user's call): pvring writes 1 instead of an event. */
    public static final int OP_SET_CALL = 13;
    /** Pushed by the server: {@code port} became pending (at most one undelivered message per port). */
    public static final int OP_EVENT = 0x80;
    /** Set in the op of a reply. */
    public static final int OP_REPLY = 0x100;

    /** The protocol's version, in the hello reply's {@code remote_port} (servers before version 2 answer 0). */
    public static final int VERSION = 2;
    /** {@code value} of {@link #OP_SET_KICK}/{@link #OP_SET_CALL}: remove the port's eventfd (no descriptor). */
    public static final long DOORBELL_REMOVE = 1;
    /**
     * The first reply's {@code status} to a request that passes a descriptor: send it now, as one byte with the
     * descriptor in an {@code SCM_RIGHTS} message, and nothing else until the second reply (0 or a negative errno).
     */
    public static final int STATUS_SEND_FD = 1;

    /** Negative errno values of {@code status}, as Linux and Xen number them. */
    public static final int EPERM = 1;
    public static final int ESRCH = 3;
    public static final int E2BIG = 7;
    public static final int EBADF = 9;
    public static final int ENOMEM = 12;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int ENOSYS = 38;
    /** A descriptor announced by a request did not arrive in time; the connection is then closed. */
    public static final int ETIMEDOUT = 110;

    private EvtchnMessageDescriptor()
    {
    }

    /** The op's name for messages and logs. */
    public static String opName(final int op)
    {
        final String reply = 0 != (op & OP_REPLY) ? "reply:" : "";
        switch (op & ~OP_REPLY)
        {
            case OP_HELLO:
                return reply + "hello";
            case OP_ALLOC_UNBOUND:
                return reply + "alloc_unbound";
            case OP_BIND_INTERDOMAIN:
                return reply + "bind_interdomain";
            case OP_SEND:
                return reply + "send";
            case OP_MASK:
                return reply + "mask";
            case OP_UNMASK:
                return reply + "unmask";
            case OP_CLOSE:
                return reply + "close";
            case OP_DOMAIN_CREATE:
                return reply + "domain_create";
            case OP_DOMAIN_DESTROY:
                return reply + "domain_destroy";
            case OP_MEM_REGION:
                return reply + "mem_region";
            case OP_SET_MEM_TABLE:
                return reply + "set_mem_table";
            case OP_SET_KICK:
                return reply + "set_kick";
            case OP_SET_CALL:
                return reply + "set_call";
            case OP_EVENT:
                return reply + "event";
            default:
                return reply + "op" + (op & ~OP_REPLY);
        }
    }
}
