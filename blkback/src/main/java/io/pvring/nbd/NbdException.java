package io.pvring.nbd;

import java.io.IOException;

/** A connection to an NBD server could not be made or was lost; the message names the server and the export. */
public final class NbdException extends IOException
{
    private static final long serialVersionUID = 1L;

    public NbdException(final String message)
    {
        super(message);
    }

    public NbdException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
