package io.pvring.nbd;

import java.util.Objects;

/**
 * Settings of one {@link NbdClient}, validated by {@link #validate()} before it connects. Fluent setters.
 */
public final class NbdClientConfig
{
    public static final int DEFAULT_MAX_IN_FLIGHT = 128;
    public static final long DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
    public static final long DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
    /** Linux's nbd driver default (30 s). NBD cannot cancel one request, so a late one ends the connection. */
    public static final long DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
    public static final long DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
    /** The protocol's interoperable maximum payload, used unless the server advertises a smaller one. */
    public static final int DEFAULT_MAX_PAYLOAD = NbdProtocol.DEFAULT_MAXIMUM_PAYLOAD;
    /** The cookie holds the slot index in 16 bits. */
    public static final int MAX_IN_FLIGHT_LIMIT = 1 << 16;

    private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
    private long connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS;
    private long handshakeTimeoutMs = DEFAULT_HANDSHAKE_TIMEOUT_MS;
    private long requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
    private long closeTimeoutMs = DEFAULT_CLOSE_TIMEOUT_MS;
    private int maxPayload = DEFAULT_MAX_PAYLOAD;
    private DataPath dataPath = DataPath.AUTO;

    /** Which thread moves requests and replies once the handshake is done. */
    public enum DataPath
    {
        /** {@link #RING} where io_uring and Netty's epoll transport work here, otherwise {@link #EVENT_LOOP}. */
        AUTO,
        /**
         * The submitting thread itself, in its own io_uring ({@link NbdRingTransmission}): no thread in between.
         * Connecting fails when io_uring or epoll is unavailable.
         */
        RING,
        /** A Netty event-loop thread per client, which the submitting thread hands each batch to. */
        EVENT_LOOP
    }

    /** Requests the caller may have outstanding at once (a blkback ring: the ring's size); more get EAGAIN. */
    public NbdClientConfig maxInFlight(final int value)
    {
        maxInFlight = value;
        return this;
    }

    public int maxInFlight()
    {
        return maxInFlight;
    }

    /** Bound on the TCP or Unix connect. */
    public NbdClientConfig connectTimeoutMs(final long value)
    {
        connectTimeoutMs = value;
        return this;
    }

    public long connectTimeoutMs()
    {
        return connectTimeoutMs;
    }

    /** Bound on option negotiation once connected (a server that accepts and says nothing). */
    public NbdClientConfig handshakeTimeoutMs(final long value)
    {
        handshakeTimeoutMs = value;
        return this;
    }

    public long handshakeTimeoutMs()
    {
        return handshakeTimeoutMs;
    }

    /**
     * A request not answered within this bound ends the connection (every in-flight request completes with
     * {@link NbdErrno#ETIMEDOUT}); 0 waits forever. Checked a few times per bound, so it fires between 1x and
     * 1.25x of it.
     */
    public NbdClientConfig requestTimeoutMs(final long value)
    {
        requestTimeoutMs = value;
        return this;
    }

    public long requestTimeoutMs()
    {
        return requestTimeoutMs;
    }

    /** Bound on {@link NbdClient#close()}: the server's answers to in-flight requests and its closing the socket. */
    public NbdClientConfig closeTimeoutMs(final long value)
    {
        closeTimeoutMs = value;
        return this;
    }

    public long closeTimeoutMs()
    {
        return closeTimeoutMs;
    }

    /** The largest READ or WRITE payload sent in one request (lowered to the server's maximum); larger are split. */
    public NbdClientConfig maxPayload(final int value)
    {
        maxPayload = value;
        return this;
    }

    public int maxPayload()
    {
        return maxPayload;
    }

    public NbdClientConfig dataPath(final DataPath value)
    {
        dataPath = Objects.requireNonNull(value, "dataPath");
        return this;
    }

    public DataPath dataPath()
    {
        return dataPath;
    }

    /** @throws IllegalArgumentException naming the first bad setting. */
    public NbdClientConfig validate()
    {
        if (maxInFlight < 1 || maxInFlight > MAX_IN_FLIGHT_LIMIT)
        {
            throw new IllegalArgumentException("maxInFlight=" + maxInFlight + " not in 1.." + MAX_IN_FLIGHT_LIMIT);
        }
        if (connectTimeoutMs < 1 || connectTimeoutMs > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("connectTimeoutMs=" + connectTimeoutMs + " not in 1..2^31-1");
        }
        if (handshakeTimeoutMs < 1)
        {
            throw new IllegalArgumentException("handshakeTimeoutMs=" + handshakeTimeoutMs + " must be positive");
        }
        if (requestTimeoutMs < 0)
        {
            throw new IllegalArgumentException("requestTimeoutMs=" + requestTimeoutMs + " must be >= 0");
        }
        if (closeTimeoutMs < 1)
        {
            throw new IllegalArgumentException("closeTimeoutMs=" + closeTimeoutMs + " must be positive");
        }
        if (maxPayload < NbdProtocol.MAX_MINIMUM_BLOCK_SIZE)
        {
            throw new IllegalArgumentException("maxPayload=" + maxPayload + " below 64 KiB");
        }
        return this;
    }
}
