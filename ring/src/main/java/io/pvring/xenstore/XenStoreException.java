package io.pvring.xenstore;

/**
 * A xenstore operation failed with a protocol error ({@link XsError}), the way libxenstore reports it through
 * {@code errno}. Carries no stack trace: it is an answer to (possibly hostile) input, not a programming error.
 */
public final class XenStoreException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final XsError error;

    public XenStoreException(final XsError error, final String detail)
    {
        super(error.name() + (null == detail ? "" : ": " + detail), null, false, false);
        this.error = error;
    }

    public XsError error()
    {
        return error;
    }
}
