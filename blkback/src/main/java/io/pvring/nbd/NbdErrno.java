package io.pvring.nbd;

/**
 * Negative Linux errno values: the results {@link NbdClient} reports for requests that failed or were refused.
 * Server error codes ({@code NBD_E*}) equal the Linux values and pass through as their negation.
 */
public final class NbdErrno
{
    public static final int EPERM = -1;
    public static final int EIO = -5;
    public static final int EAGAIN = -11;
    public static final int ENOMEM = -12;
    public static final int EINVAL = -22;
    public static final int ENOSPC = -28;
    public static final int EROFS = -30;
    public static final int EOVERFLOW = -75;
    public static final int EOPNOTSUPP = -95;
    public static final int ESHUTDOWN = -108;
    public static final int ETIMEDOUT = -110;

    private NbdErrno()
    {
    }

    /**
     * The result for a server's error field: one of the values the protocol defines, or {@link #EIO} for a value
     * it does not (a server is not trusted to name an arbitrary errno).
     */
    public static int fromServer(final int nbdError)
    {
        switch (nbdError)
        {
            case NbdProtocol.NBD_EPERM:
            case NbdProtocol.NBD_EIO:
            case NbdProtocol.NBD_ENOMEM:
            case NbdProtocol.NBD_EINVAL:
            case NbdProtocol.NBD_ENOSPC:
            case NbdProtocol.NBD_EOVERFLOW:
            case NbdProtocol.NBD_ENOTSUP:
            case NbdProtocol.NBD_ESHUTDOWN:
                return -nbdError;
            default:
                return EIO;
        }
    }

    /** A short name for messages and test diagnostics. */
    public static String name(final int result)
    {
        switch (result)
        {
            case EPERM:
                return "EPERM";
            case EIO:
                return "EIO";
            case EAGAIN:
                return "EAGAIN";
            case ENOMEM:
                return "ENOMEM";
            case EINVAL:
                return "EINVAL";
            case ENOSPC:
                return "ENOSPC";
            case EROFS:
                return "EROFS";
            case EOVERFLOW:
                return "EOVERFLOW";
            case EOPNOTSUPP:
                return "EOPNOTSUPP";
            case ESHUTDOWN:
                return "ESHUTDOWN";
            case ETIMEDOUT:
                return "ETIMEDOUT";
            default:
                return result >= 0 ? Integer.toString(result) : "errno " + -result;
        }
    }
}
