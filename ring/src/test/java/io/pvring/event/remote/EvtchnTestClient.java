package io.pvring.event.remote;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayDeque;

import org.agrona.concurrent.UnsafeBuffer;

import static io.pvring.event.remote.EvtchnMessageDescriptor.MESSAGE_LENGTH;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_EVENT;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_REPLY;

/**
 * A blocking client of the event-channel socket (JDK Unix domain sockets, no Netty), for tests: requests and their
 * replies, with events that arrive in between kept aside in order. Bound calls by the test's {@code @Timeout}.
 */
public final class EvtchnTestClient implements AutoCloseable
{
    private final SocketChannel channel;
    private final ByteBuffer io = ByteBuffer.allocate(MESSAGE_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    private final ArrayDeque<Long> events = new ArrayDeque<>();
    private int nextId = 1;

    private EvtchnTestClient(final SocketChannel channel)
    {
        this.channel = channel;
    }

    public static EvtchnTestClient connect(final Path socket)
    {
        try
        {
            final SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
            return new EvtchnTestClient(ch);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot connect to " + socket, ex);
        }
    }

    /** Sends a request without waiting (a send, or a pipelined batch). Returns its id. */
    public int post(final int op, final long port, final long domid, final long remotePort, final long value)
    {
        final int id = nextId++;
        final UnsafeBuffer b = new UnsafeBuffer(new byte[MESSAGE_LENGTH]);
        new EvtchnMessage().wrap(b, 0).clear().op(op).id(id).port(port).domid(domid).remotePort(remotePort)
            .value(value);
        writeRaw(b.byteArray());
        return id;
    }

    public void writeRaw(final byte[] bytes)
    {
        try
        {
            final ByteBuffer out = ByteBuffer.wrap(bytes);
            while (out.hasRemaining())
            {
                channel.write(out);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** A request and its reply; events read meanwhile are kept for {@link #nextEvent()}. */
    public EvtchnMessage call(final int op, final long port, final long domid, final long remotePort, final long value)
    {
        final int id = post(op, port, domid, remotePort, value);
        return reply(op, id);
    }

    /** Waits for the reply to request {@code id}. */
    public EvtchnMessage reply(final int op, final int id)
    {
        while (true)
        {
            final EvtchnMessage m = read();
            if (null == m)
            {
                throw new IllegalStateException("connection closed before the reply to id=" + id);
            }
            if (OP_EVENT == m.op())
            {
                events.add(m.port());
                continue;
            }
            if ((op | OP_REPLY) != m.op() || id != m.id())
            {
                throw new IllegalStateException("expected the reply to op=" + op + " id=" + id + ", got " + m);
            }
            return m;
        }
    }

    /** The next event's port, blocking until one arrives; -1 when the server closed the connection. */
    public long nextEvent()
    {
        if (!events.isEmpty())
        {
            return events.poll();
        }
        final EvtchnMessage m = read();
        if (null == m)
        {
            return -1;
        }
        if (OP_EVENT != m.op())
        {
            throw new IllegalStateException("expected an event, got " + m);
        }
        return m.port();
    }

    /** True when events arrived while waiting for a reply and are not taken yet. */
    public boolean hasBufferedEvent()
    {
        return !events.isEmpty();
    }

    /** The next message, or null at end of stream. */
    public EvtchnMessage read()
    {
        try
        {
            io.clear();
            while (io.hasRemaining())
            {
                if (channel.read(io) < 0)
                {
                    return null;
                }
            }
            final byte[] copy = new byte[MESSAGE_LENGTH];
            System.arraycopy(io.array(), 0, copy, 0, MESSAGE_LENGTH);
            return new EvtchnMessage().wrap(new UnsafeBuffer(copy), 0);
        }
        catch (final IOException ex)
        {
            return null; // reset by the server
        }
    }

    @Override
    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
