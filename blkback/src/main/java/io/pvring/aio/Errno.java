package io.pvring.aio;

/** The Linux errno values an engine completes requests with (negated, as io_uring reports them). */
public final class Errno
{
    public static final int EIO = 5;
    public static final int EBADF = 9;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int EOPNOTSUPP = 95;
    public static final int ETIMEDOUT = 110;
    public static final int ECANCELED = 125;

    private Errno()
    {
    }

    /** A short name for messages: {@code -5} gives {@code "EIO"}. */
    public static String name(final long result)
    {
        final long errno = -result;
        if (errno == EIO)
        {
            return "EIO";
        }
        if (errno == EBADF)
        {
            return "EBADF";
        }
        if (errno == EINVAL)
        {
            return "EINVAL";
        }
        if (errno == ENOSPC)
        {
            return "ENOSPC";
        }
        if (errno == EOPNOTSUPP)
        {
            return "EOPNOTSUPP";
        }
        if (errno == ETIMEDOUT)
        {
            return "ETIMEDOUT";
        }
        if (errno == ECANCELED)
        {
            return "ECANCELED";
        }
        return "errno " + errno;
    }
}
