package io.pvring.netback.uplink;

/**
 * QEMU's {@code -netdev stream} (and the older {@code -netdev socket}) framing: each Ethernet frame is preceded by
 * its length as a 4-byte big-endian integer ({@code net/stream.c}, {@code net_fill_rstate}). Works over TCP and Unix
 * stream sockets.
 */
public final class StreamFraming
{
    public static final int LENGTH_FIELD = 4;
    /** QEMU's {@code NET_BUFSIZE} (4096 + 65536): the largest frame QEMU accepts on a stream. */
    public static final int MAX_FRAME_LENGTH = 4096 + 65536;

    private StreamFraming()
    {
    }
}
