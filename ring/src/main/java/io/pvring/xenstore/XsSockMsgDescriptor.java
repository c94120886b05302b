package io.pvring.xenstore;

/**
 * Layout of {@code struct xsd_sockmsg}, the header in front of every xenstore message on a socket or on the
 * {@code xenstore_domain_interface} ring ({@code io/xs_wire.h}). Native (little endian on x86) byte order.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                   type (u32, XS_*)                            |  0
 *  |                   req_id (u32, echoed in the reply)           |  4
 *  |                   tx_id (u32, 0 = no transaction)             |  8
 *  |                   len (u32, payload bytes that follow)        | 12
 *  +---------------------------------------------------------------+
 *  |        payload: NUL-terminated strings (a value may be binary) | 16..
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class XsSockMsgDescriptor
{
    public static final int TYPE_OFFSET = 0;
    public static final int REQ_ID_OFFSET = 4;
    public static final int TX_ID_OFFSET = 8;
    public static final int LEN_OFFSET = 12;
    /** {@code sizeof(struct xsd_sockmsg)}. */
    public static final int HEADER_LENGTH = 16;

    /** {@code XENSTORE_PAYLOAD_MAX}: "violating this is very bad" - a longer message ends the connection. */
    public static final int XENSTORE_PAYLOAD_MAX = 4096;
    /** {@code XENSTORE_ABS_PATH_MAX}: violating it gets an error back. */
    public static final int XENSTORE_ABS_PATH_MAX = 3072;
    /** {@code XENSTORE_REL_PATH_MAX}: the part below {@code /local/domain/<id>/}. */
    public static final int XENSTORE_REL_PATH_MAX = 2048;

    /** {@code XBT_NULL}: no transaction. */
    public static final int XBT_NULL = 0;

    private XsSockMsgDescriptor()
    {
    }
}
