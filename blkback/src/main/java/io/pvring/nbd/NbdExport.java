package io.pvring.nbd;

/**
 * What the handshake learnt about an export: its size, transmission flags and block size constraints
 * ({@code NBD_INFO_EXPORT}, {@code NBD_INFO_BLOCK_SIZE}; the protocol's defaults when the server sent none).
 *
 * @param name               the export name the client asked for.
 * @param size               size in bytes.
 * @param transmissionFlags  {@code NBD_FLAG_*} transmission flags (0 if the server did not set HAS_FLAGS).
 * @param minimumBlockSize   requests' offsets and lengths are multiples of this (a power of two, up to 64 KiB).
 * @param preferredBlockSize the size the server handles best (a power of two).
 * @param maximumPayload     the largest READ or WRITE payload the server accepts.
 */
public record NbdExport(String name, long size, int transmissionFlags, int minimumBlockSize,
    int preferredBlockSize, int maximumPayload)
{
    public boolean readOnly()
    {
        return (transmissionFlags & NbdProtocol.NBD_FLAG_READ_ONLY) != 0;
    }

    /** The server has a volatile cache that {@code NBD_CMD_FLUSH} commits. */
    public boolean canFlush()
    {
        return (transmissionFlags & NbdProtocol.NBD_FLAG_SEND_FLUSH) != 0;
    }

    public boolean canFua()
    {
        return (transmissionFlags & NbdProtocol.NBD_FLAG_SEND_FUA) != 0;
    }

    public boolean canTrim()
    {
        return (transmissionFlags & NbdProtocol.NBD_FLAG_SEND_TRIM) != 0;
    }

    public boolean canWriteZeroes()
    {
        return (transmissionFlags & NbdProtocol.NBD_FLAG_SEND_WRITE_ZEROES) != 0;
    }

    public boolean canMultiConn()
    {
        return (transmissionFlags & NbdProtocol.NBD_FLAG_CAN_MULTI_CONN) != 0;
    }

    public boolean rotational()
    {
        return (transmissionFlags & NbdProtocol.NBD_FLAG_ROTATIONAL) != 0;
    }
}
