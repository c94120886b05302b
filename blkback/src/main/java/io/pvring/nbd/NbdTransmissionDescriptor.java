package io.pvring.nbd;

/**
 * Layouts of the transmission phase ({@code doc/proto.md}, "Transmission"), big endian.
 *
 * <pre>
 * request (28 bytes + data for NBD_CMD_WRITE)      simple reply (16 bytes + data for a successful NBD_CMD_READ)
 *  0 u32 NBD_REQUEST_MAGIC                           0 u32 NBD_SIMPLE_REPLY_MAGIC
 *  4 u16 command flags                               4 u32 error (0 or an NBD_E* value)
 *  6 u16 type                                        8 u64 cookie (the request's)
 *  8 u64 cookie
 * 16 u64 offset
 * 24 u32 length
 * </pre>
 */
public final class NbdTransmissionDescriptor
{
    public static final int REQUEST_MAGIC_OFFSET = 0;
    public static final int REQUEST_FLAGS_OFFSET = 4;
    public static final int REQUEST_TYPE_OFFSET = 6;
    public static final int REQUEST_COOKIE_OFFSET = 8;
    public static final int REQUEST_OFFSET_OFFSET = 16;
    public static final int REQUEST_LENGTH_OFFSET = 24;
    public static final int REQUEST_HEADER_LENGTH = 28;

    public static final int REPLY_MAGIC_OFFSET = 0;
    public static final int REPLY_ERROR_OFFSET = 4;
    public static final int REPLY_COOKIE_OFFSET = 8;
    public static final int REPLY_HEADER_LENGTH = 16;

    private NbdTransmissionDescriptor()
    {
    }
}
