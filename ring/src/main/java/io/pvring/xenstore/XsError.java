package io.pvring.xenstore;

/**
 * The errors xenstore answers with, as the strings of {@code xsd_errors[]} in {@code io/xs_wire.h}; the order is
 * the header's. {@link #EQUOTA} is oxenstored's quota error; this store answers quota violations as cxenstored
 * does ({@link #ENOSPC}, {@link #E2BIG} for watches), because libxenstore maps unknown strings to EINVAL.
 */
public enum XsError
{
    EINVAL, EACCES, EEXIST, EISDIR, ENOENT, ENOMEM, ENOSPC, EIO, ENOTEMPTY, ENOSYS, EROFS, EBUSY, EAGAIN, EISCONN,
    E2BIG, EPERM, EQUOTA;

    /** The error string as sent on the wire (without the terminating NUL). */
    public String wireName()
    {
        return name();
    }

    /** Parses a wire error string; unknown strings are {@link #EINVAL}, as libxenstore's {@code get_error}. */
    public static XsError fromWire(final String s)
    {
        for (final XsError e : values())
        {
            if (e.name().equals(s))
            {
                return e;
            }
        }
        return EINVAL;
    }
}
