package io.pvring.xenstore;

/**
 * {@code enum xsd_sockmsg_type} of {@code xen/include/public/io/xs_wire.h}, plus the types later Xen versions
 * added ({@code GET_FEATURE} .. {@code SET_QUOTA}, see {@code docs/misc/xenstore.txt}).
 */
public final class XsMessageType
{
    /** Also {@code XS_DEBUG}. */
    public static final int XS_CONTROL = 0;
    public static final int XS_DIRECTORY = 1;
    public static final int XS_READ = 2;
    public static final int XS_GET_PERMS = 3;
    public static final int XS_WATCH = 4;
    public static final int XS_UNWATCH = 5;
    public static final int XS_TRANSACTION_START = 6;
    public static final int XS_TRANSACTION_END = 7;
    public static final int XS_INTRODUCE = 8;
    public static final int XS_RELEASE = 9;
    public static final int XS_GET_DOMAIN_PATH = 10;
    public static final int XS_WRITE = 11;
    public static final int XS_MKDIR = 12;
    public static final int XS_RM = 13;
    public static final int XS_SET_PERMS = 14;
    public static final int XS_WATCH_EVENT = 15;
    public static final int XS_ERROR = 16;
    public static final int XS_IS_DOMAIN_INTRODUCED = 17;
    public static final int XS_RESUME = 18;
    public static final int XS_SET_TARGET = 19;
    /** 20 was {@code XS_RESTRICT}, removed. */
    public static final int XS_RESET_WATCHES = 21;
    public static final int XS_DIRECTORY_PART = 22;
    public static final int XS_GET_FEATURE = 23;
    public static final int XS_SET_FEATURE = 24;
    public static final int XS_GET_QUOTA = 25;
    public static final int XS_SET_QUOTA = 26;
    /** Guaranteed to remain an invalid type. */
    public static final int XS_INVALID = 0xFFFF;

    private static final String[] NAMES =
    {
        "CONTROL", "DIRECTORY", "READ", "GET_PERMS", "WATCH", "UNWATCH", "TRANSACTION_START", "TRANSACTION_END",
        "INTRODUCE", "RELEASE", "GET_DOMAIN_PATH", "WRITE", "MKDIR", "RM", "SET_PERMS", "WATCH_EVENT", "ERROR",
        "IS_DOMAIN_INTRODUCED", "RESUME", "SET_TARGET", null, "RESET_WATCHES", "DIRECTORY_PART", "GET_FEATURE",
        "SET_FEATURE", "GET_QUOTA", "SET_QUOTA"
    };

    private XsMessageType()
    {
    }

    /** The name without the {@code XS_} prefix, for logs; {@code UNKNOWN(n)} for anything else. */
    public static String name(final int type)
    {
        if (type >= 0 && type < NAMES.length && null != NAMES[type])
        {
            return NAMES[type];
        }
        return type == XS_INVALID ? "INVALID" : "UNKNOWN(" + (type & 0xFFFF_FFFFL) + ")";
    }
}
