package io.pvring.event.remote;

import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pvring.event.EventChannelTable;
import org.agrona.concurrent.UnsafeBuffer;

import static io.pvring.event.remote.EvtchnMessageDescriptor.EINVAL;
import static io.pvring.event.remote.EvtchnMessageDescriptor.ESRCH;
import static io.pvring.event.remote.EvtchnMessageDescriptor.MESSAGE_LENGTH;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_ALLOC_UNBOUND;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_BIND_INTERDOMAIN;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_CLOSE;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_EVENT;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_REPLY;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_SEND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of the event-channel socket ({@code pvring_evtchn.h}): two clients (each may say hello
 * as any domain) on one small {@link EventChannelTable}, each through a real {@link EvtchnServerHandler} on an
 * {@link EmbeddedChannel}, with domain create/destroy enabled.
 *
 * <p>Invariants: every well-sized request is answered once, in order, with its op and id (a successful send is
 * not answered); statuses are 0 or a negative errno; every message sent is 32 bytes with the size field 32;
 * events name only ports the client opened and has not closed; a connection closes only after a size field
 * other than 32; closing both connections leaves no port open in the table. Regression inputs live in
 * {@code EvtchnSocketFuzzTestInputs/}.
 */
class EvtchnSocketFuzzTest
{
    private static final int MAX_PORTS = 16;
    private static final int CREATED = 7;
    private static final int MAX_STEPS = 128;
    private static final long[] DOMIDS = {0, 1, 2, CREATED, 0xFFFF_FFFFL, 0x8000_0000L};

    @FuzzTest
    void messages(final FuzzedDataProvider data)
    {
        final EventChannelTable table = new EventChannelTable(MAX_PORTS);
        table.addDomain(0);
        table.addDomain(1);
        final DomainControl control = new DomainControl()
        {
            @Override
            public int createDomain(final long memoryBytes)
            {
                if (memoryBytes <= 0 || table.hasDomain(CREATED))
                {
                    return -EINVAL;
                }
                table.addDomain(CREATED);
                return CREATED;
            }

            @Override
            public int destroyDomain(final int domid)
            {
                if (domid != CREATED || !table.hasDomain(CREATED))
                {
                    return -ESRCH;
                }
                table.removeDomain(CREATED);
                return 0;
            }
        };
        final Client[] clients = {new Client(table, control), new Client(table, control)};
        try
        {
            for (int step = 0; step < MAX_STEPS && data.remainingBytes() > 0; step++)
            {
                final Client client = clients[data.consumeInt(0, 1)];
                final byte[] bytes = data.consumeBoolean() ? data.consumeBytes(data.consumeInt(0, 40)) : message(data);
                client.send(data, bytes);
                // A send on one connection wakes the other's handler: its drain runs on its own loop.
                for (final Client c : clients)
                {
                    c.collect();
                }
            }
        }
        finally
        {
            for (final Client c : clients)
            {
                c.close();
            }
        }
        for (final int domid : new int[]{0, 1, CREATED})
        {
            if (table.hasDomain(domid))
            {
                assertEquals(0, table.openPorts(domid), "ports of domain " + domid + " left open by closed clients");
            }
        }
    }

    private static byte[] message(final FuzzedDataProvider data)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[MESSAGE_LENGTH]);
        new EvtchnMessage().wrap(b, 0)
            .size(data.consumeInt(0, 15) == 0 ? data.consumeInt(0, 0xFFFF) : MESSAGE_LENGTH)
            .op(data.consumeBoolean() ? data.consumeInt(0, 10) : data.consumeInt(0, 0xFFFF))
            .id(data.consumeInt())
            .port(data.consumeBoolean() ? data.consumeInt(0, MAX_PORTS + 1) : data.consumeInt() & 0xFFFF_FFFFL)
            .domid(data.consumeBoolean() ? data.pickValue(DOMIDS) : data.consumeInt() & 0xFFFF_FFFFL)
            .remotePort(data.consumeBoolean() ? data.consumeInt(0, MAX_PORTS + 1) : data.consumeInt() & 0xFFFF_FFFFL)
            .status(data.consumeInt())
            .value(data.consumeBoolean() ? data.consumeLong(-1, 1L << 30) : data.consumeLong());
        return b.byteArray();
    }

    /** A request as the reference framer saw it: the reply must echo op and id. */
    private record Expected(int op, int id)
    {
    }

    private static final class Client
    {
        private final EmbeddedChannel channel;
        private final ByteArrayOutputStream unframedIn = new ByteArrayOutputStream();
        private final ByteArrayOutputStream unframedOut = new ByteArrayOutputStream();
        private final ArrayDeque<Expected> expected = new ArrayDeque<>();
        private final Set<Long> open = new HashSet<>();
        private final EvtchnMessage view = new EvtchnMessage();
        private boolean violated;

        Client(final EventChannelTable table, final DomainControl control)
        {
            channel = new EmbeddedChannel(new EvtchnServerHandler(table, control));
        }

        void send(final FuzzedDataProvider data, final byte[] bytes)
        {
            if (!channel.isActive())
            {
                return;
            }
            frame(bytes);
            final int cut = bytes.length == 0 ? 0 : data.consumeInt(0, bytes.length);
            deliver(Arrays.copyOfRange(bytes, 0, cut));
            deliver(Arrays.copyOfRange(bytes, cut, bytes.length));
            if (violated)
            {
                assertFalse(channel.isActive(), "connection left open after a size field other than 32");
                return;
            }
            assertTrue(channel.isActive(), "connection closed without a framing violation (an exception?)");
            // Whatever is still expected must be a successful send, which is not answered.
            for (final Expected e : expected)
            {
                assertEquals(OP_SEND, e.op(), "request left unanswered: op=" + e.op() + " id=" + e.id());
            }
            expected.clear();
        }

        private void deliver(final byte[] chunk)
        {
            if (chunk.length > 0 && channel.isActive())
            {
                channel.writeInbound(Unpooled.wrappedBuffer(chunk));
            }
            collect();
        }

        void collect()
        {
            channel.runPendingTasks();
            channel.checkException();
            for (ByteBuf out = channel.readOutbound(); null != out; out = channel.readOutbound())
            {
                try
                {
                    final byte[] b = new byte[out.readableBytes()];
                    out.readBytes(b);
                    unframedOut.writeBytes(b);
                }
                finally
                {
                    out.release();
                }
            }
            final byte[] all = unframedOut.toByteArray();
            int at = 0;
            for (; all.length - at >= MESSAGE_LENGTH; at += MESSAGE_LENGTH)
            {
                check(view.wrap(new UnsafeBuffer(Arrays.copyOfRange(all, at, at + MESSAGE_LENGTH)), 0));
            }
            unframedOut.reset();
            unframedOut.write(all, at, all.length - at);
        }

        private void frame(final byte[] bytes)
        {
            if (violated)
            {
                return;
            }
            unframedIn.writeBytes(bytes);
            final byte[] all = unframedIn.toByteArray();
            int at = 0;
            for (; all.length - at >= MESSAGE_LENGTH; at += MESSAGE_LENGTH)
            {
                final EvtchnMessage m = new EvtchnMessage().wrap(new UnsafeBuffer(all), at);
                if (m.size() != MESSAGE_LENGTH)
                {
                    violated = true;
                    return;
                }
                expected.add(new Expected(m.op(), m.id()));
            }
            unframedIn.reset();
            unframedIn.write(all, at, all.length - at);
        }

        private void check(final EvtchnMessage m)
        {
            assertEquals(MESSAGE_LENGTH, m.size(), "size field of " + m);
            if (m.op() == OP_EVENT)
            {
                assertEquals(0, m.id(), "event id: " + m);
                assertTrue(open.contains(m.port()), "event for a port this client does not hold: " + m);
                return;
            }
            assertTrue(0 != (m.op() & OP_REPLY), "neither reply nor event: " + m);
            assertTrue(m.status() <= 0, "status is 0 or a negative errno: " + m);
            Expected e = expected.poll();
            while (null != e && e.op() == OP_SEND && !(m.op() == (OP_SEND | OP_REPLY) && m.id() == e.id()))
            {
                e = expected.poll(); // that send succeeded silently
            }
            assertNotNull(e, "reply to no request: " + m);
            assertEquals((e.op() | OP_REPLY) & 0xFFFF, m.op(), "reply op: " + m);
            assertEquals(e.id(), m.id(), "reply id: " + m);
            if (m.status() == 0 && (e.op() == OP_ALLOC_UNBOUND || e.op() == OP_BIND_INTERDOMAIN))
            {
                assertTrue(m.port() > 0 && m.port() < MAX_PORTS, "allocated port: " + m);
                open.add(m.port());
            }
            else if (m.status() == 0 && e.op() == OP_CLOSE)
            {
                open.remove(m.port());
            }
        }

        void close()
        {
            channel.close();
            channel.runPendingTasks();
            channel.finishAndReleaseAll();
        }
    }
}
