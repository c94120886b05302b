package io.pvring.nbd;

/**
 * Constants of the NBD protocol, named as in the NBD project's {@code doc/proto.md} and {@code nbd.h}. All wire
 * integers are big endian.
 */
public final class NbdProtocol
{
    /** {@code NBDMAGIC}: the first 8 bytes a newstyle server sends. */
    public static final long NBDMAGIC = 0x4e42444d41474943L;
    /** {@code IHAVEOPT}: the second greeting magic of a newstyle server, and the prefix of every option. */
    public static final long IHAVEOPT = 0x49484156454F5054L;
    /** The second greeting magic of an oldstyle server (no options, no export names). */
    public static final long CLISERV_MAGIC = 0x00420281861253L;
    public static final long NBD_REP_MAGIC = 0x0003e889045565a9L;
    public static final int NBD_REQUEST_MAGIC = 0x25609513;
    public static final int NBD_SIMPLE_REPLY_MAGIC = 0x67446698;
    public static final int NBD_STRUCTURED_REPLY_MAGIC = 0x668e33ef;
    /** IANA port of NBD over TCP. */
    public static final int NBD_DEFAULT_PORT = 10809;

    // Handshake flags (server) and client flags.
    public static final int NBD_FLAG_FIXED_NEWSTYLE = 1;
    public static final int NBD_FLAG_NO_ZEROES = 1 << 1;
    public static final int NBD_FLAG_C_FIXED_NEWSTYLE = 1;
    public static final int NBD_FLAG_C_NO_ZEROES = 1 << 1;

    // Options.
    public static final int NBD_OPT_EXPORT_NAME = 1;
    public static final int NBD_OPT_ABORT = 2;
    public static final int NBD_OPT_LIST = 3;
    public static final int NBD_OPT_STARTTLS = 5;
    public static final int NBD_OPT_INFO = 6;
    public static final int NBD_OPT_GO = 7;
    public static final int NBD_OPT_STRUCTURED_REPLY = 8;

    // Option reply types; errors have bit 31 set.
    public static final int NBD_REP_ACK = 1;
    public static final int NBD_REP_SERVER = 2;
    public static final int NBD_REP_INFO = 3;
    public static final int NBD_REP_META_CONTEXT = 4;
    public static final int NBD_REP_FLAG_ERROR = 1 << 31;
    public static final int NBD_REP_ERR_UNSUP = NBD_REP_FLAG_ERROR | 1;
    public static final int NBD_REP_ERR_POLICY = NBD_REP_FLAG_ERROR | 2;
    public static final int NBD_REP_ERR_INVALID = NBD_REP_FLAG_ERROR | 3;
    public static final int NBD_REP_ERR_PLATFORM = NBD_REP_FLAG_ERROR | 4;
    public static final int NBD_REP_ERR_TLS_REQD = NBD_REP_FLAG_ERROR | 5;
    public static final int NBD_REP_ERR_UNKNOWN = NBD_REP_FLAG_ERROR | 6;
    public static final int NBD_REP_ERR_SHUTDOWN = NBD_REP_FLAG_ERROR | 7;
    public static final int NBD_REP_ERR_BLOCK_SIZE_REQD = NBD_REP_FLAG_ERROR | 8;
    public static final int NBD_REP_ERR_TOO_BIG = NBD_REP_FLAG_ERROR | 9;

    // NBD_REP_INFO types.
    public static final int NBD_INFO_EXPORT = 0;
    public static final int NBD_INFO_NAME = 1;
    public static final int NBD_INFO_DESCRIPTION = 2;
    public static final int NBD_INFO_BLOCK_SIZE = 3;

    // Transmission flags.
    public static final int NBD_FLAG_HAS_FLAGS = 1;
    public static final int NBD_FLAG_READ_ONLY = 1 << 1;
    public static final int NBD_FLAG_SEND_FLUSH = 1 << 2;
    public static final int NBD_FLAG_SEND_FUA = 1 << 3;
    public static final int NBD_FLAG_ROTATIONAL = 1 << 4;
    public static final int NBD_FLAG_SEND_TRIM = 1 << 5;
    public static final int NBD_FLAG_SEND_WRITE_ZEROES = 1 << 6;
    public static final int NBD_FLAG_SEND_DF = 1 << 7;
    public static final int NBD_FLAG_CAN_MULTI_CONN = 1 << 8;

    // Commands.
    public static final int NBD_CMD_READ = 0;
    public static final int NBD_CMD_WRITE = 1;
    public static final int NBD_CMD_DISC = 2;
    public static final int NBD_CMD_FLUSH = 3;
    public static final int NBD_CMD_TRIM = 4;
    public static final int NBD_CMD_CACHE = 5;
    public static final int NBD_CMD_WRITE_ZEROES = 6;

    // Command flags.
    public static final int NBD_CMD_FLAG_FUA = 1;
    public static final int NBD_CMD_FLAG_NO_HOLE = 1 << 1;

    // Error values in replies (they equal Linux errno values).
    public static final int NBD_EPERM = 1;
    public static final int NBD_EIO = 5;
    public static final int NBD_ENOMEM = 12;
    public static final int NBD_EINVAL = 22;
    public static final int NBD_ENOSPC = 28;
    public static final int NBD_EOVERFLOW = 75;
    public static final int NBD_ENOTSUP = 95;
    public static final int NBD_ESHUTDOWN = 108;

    /** Block size constraints a client assumes when the server sends none ({@code NBD_INFO_BLOCK_SIZE} absent). */
    public static final int DEFAULT_MINIMUM_BLOCK_SIZE = 1;
    public static final int DEFAULT_PREFERRED_BLOCK_SIZE = 4096;
    public static final int DEFAULT_MAXIMUM_PAYLOAD = 32 << 20;
    /** The largest minimum block size the protocol allows. */
    public static final int MAX_MINIMUM_BLOCK_SIZE = 64 << 10;

    private NbdProtocol()
    {
    }

    /** The option reply type's name, for error messages. */
    public static String replyName(final int type)
    {
        switch (type)
        {
            case NBD_REP_ACK:
                return "NBD_REP_ACK";
            case NBD_REP_SERVER:
                return "NBD_REP_SERVER";
            case NBD_REP_INFO:
                return "NBD_REP_INFO";
            case NBD_REP_META_CONTEXT:
                return "NBD_REP_META_CONTEXT";
            case NBD_REP_ERR_UNSUP:
                return "NBD_REP_ERR_UNSUP (option not supported)";
            case NBD_REP_ERR_POLICY:
                return "NBD_REP_ERR_POLICY (forbidden by server policy)";
            case NBD_REP_ERR_INVALID:
                return "NBD_REP_ERR_INVALID (invalid option)";
            case NBD_REP_ERR_PLATFORM:
                return "NBD_REP_ERR_PLATFORM (not supported on this platform)";
            case NBD_REP_ERR_TLS_REQD:
                return "NBD_REP_ERR_TLS_REQD (the server requires TLS)";
            case NBD_REP_ERR_UNKNOWN:
                return "NBD_REP_ERR_UNKNOWN (no such export)";
            case NBD_REP_ERR_SHUTDOWN:
                return "NBD_REP_ERR_SHUTDOWN (server shutting down)";
            case NBD_REP_ERR_BLOCK_SIZE_REQD:
                return "NBD_REP_ERR_BLOCK_SIZE_REQD (block size constraints required)";
            case NBD_REP_ERR_TOO_BIG:
                return "NBD_REP_ERR_TOO_BIG (request too big)";
            default:
                return ((type & NBD_REP_FLAG_ERROR) != 0 ? "NBD_REP_ERR_" : "NBD_REP_") + "0x" +
                    Integer.toHexString(type);
        }
    }

    /** The command's name, for error messages. */
    public static String commandName(final int command)
    {
        switch (command)
        {
            case NBD_CMD_READ:
                return "NBD_CMD_READ";
            case NBD_CMD_WRITE:
                return "NBD_CMD_WRITE";
            case NBD_CMD_DISC:
                return "NBD_CMD_DISC";
            case NBD_CMD_FLUSH:
                return "NBD_CMD_FLUSH";
            case NBD_CMD_TRIM:
                return "NBD_CMD_TRIM";
            case NBD_CMD_CACHE:
                return "NBD_CMD_CACHE";
            case NBD_CMD_WRITE_ZEROES:
                return "NBD_CMD_WRITE_ZEROES";
            default:
                return "NBD_CMD_" + command;
        }
    }
}
