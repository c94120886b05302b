package io.pvring.event.remote;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pvring.event.EventChannelTable;
import io.pvring.event.EventPort;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.pvring.event.remote.EvtchnMessageDescriptor.EEXIST;
import static io.pvring.event.remote.EvtchnMessageDescriptor.EINVAL;
import static io.pvring.event.remote.EvtchnMessageDescriptor.ENOSPC;
import static io.pvring.event.remote.EvtchnMessageDescriptor.ENOSYS;
import static io.pvring.event.remote.EvtchnMessageDescriptor.EPERM;
import static io.pvring.event.remote.EvtchnMessageDescriptor.ESRCH;
import static io.pvring.event.remote.EvtchnMessageDescriptor.MESSAGE_LENGTH;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_ALLOC_UNBOUND;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_BIND_INTERDOMAIN;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_CLOSE;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_DOMAIN_CREATE;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_DOMAIN_DESTROY;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_EVENT;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_HELLO;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_MASK;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_REPLY;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_SEND;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_UNMASK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-connection protocol, stepped on an {@link EmbeddedChannel}; every buffer is released. */
class EvtchnServerHandlerTest
{
    private static final int GUEST = 1;
    private static final int DOM0 = 0;

    private final EventChannelTable table = new EventChannelTable(16);
    private final List<Integer> destroyed = new ArrayList<>();
    private EmbeddedChannel channel;
    private EvtchnServerHandler handler;

    @BeforeEach
    void setUp()
    {
        table.addDomain(DOM0);
        table.addDomain(GUEST);
        handler = new EvtchnServerHandler(table, new DomainControl()
        {
            @Override
            public int createDomain(final long memoryBytes)
            {
                if (memoryBytes <= 0)
                {
                    return -EINVAL;
                }
                table.addDomain(7);
                return 7;
            }

            @Override
            public int destroyDomain(final int domid)
            {
                destroyed.add(domid);
                return 7 == domid ? 0 : -ESRCH;
            }
        });
        channel = new EmbeddedChannel(handler);
    }

    @AfterEach
    void tearDown()
    {
        channel.finishAndReleaseAll();
    }

    static ByteBuf request(final int op, final int id, final long port, final long domid, final long remotePort,
        final long value)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[MESSAGE_LENGTH]);
        new EvtchnMessage().wrap(b, 0).clear().op(op).id(id).port(port).domid(domid).remotePort(remotePort)
            .value(value);
        return Unpooled.wrappedBuffer(b.byteArray());
    }

    private final ArrayDeque<EvtchnMessage> written = new ArrayDeque<>();

    /** The next message the server wrote (outbound buffers are split into messages and released), or null. */
    private EvtchnMessage nextMessage()
    {
        channel.runPendingTasks();
        for (ByteBuf out = channel.readOutbound(); null != out; out = channel.readOutbound())
        {
            try
            {
                assertEquals(0, out.readableBytes() % MESSAGE_LENGTH, "whole messages only");
                while (out.isReadable())
                {
                    final byte[] bytes = new byte[MESSAGE_LENGTH];
                    out.readBytes(bytes);
                    final EvtchnMessage m = new EvtchnMessage().wrap(new UnsafeBuffer(bytes), 0);
                    assertEquals(MESSAGE_LENGTH, m.size());
                    written.add(m);
                }
            }
            finally
            {
                out.release();
            }
        }
        return written.poll();
    }

    private EvtchnMessage call(final int op, final int id, final long port, final long domid, final long remotePort,
        final long value)
    {
        channel.writeInbound(request(op, id, port, domid, remotePort, value));
        final EvtchnMessage reply = nextMessage();
        assertNotNull(reply, "no reply to op " + op);
        assertEquals(op | OP_REPLY, reply.op());
        assertEquals(id, reply.id());
        return reply;
    }

    private int hello()
    {
        final EvtchnMessage r = call(OP_HELLO, 1, 0, GUEST, 0, 0);
        assertEquals(0, r.status());
        assertEquals(16, r.value(), "ports per domain");
        return GUEST;
    }

    private List<Long> events()
    {
        final List<Long> ports = new ArrayList<>();
        for (EvtchnMessage m = nextMessage(); null != m; m = nextMessage())
        {
            assertEquals(OP_EVENT, m.op(), m.toString());
            assertEquals(0, m.id());
            ports.add(m.port());
        }
        return ports;
    }

    @Test
    void allocUnboundThenBackendBindsAndBothSidesNotify()
    {
        hello();
        final EvtchnMessage alloc = call(OP_ALLOC_UNBOUND, 2, 0, DOM0, 0, 0);
        assertEquals(0, alloc.status());
        final long port = alloc.port();
        assertTrue(port > 0);
        final EventPort backend = table.bindInterdomain(DOM0, GUEST, (int)port);
        assertNotNull(backend);

        channel.writeInbound(request(OP_SEND, 3, port, 0, 0, 0));
        assertNull(nextMessage(), "a successful send is not answered");
        assertTrue(backend.consumePending());

        assertTrue(backend.notifyRemote());
        assertTrue(backend.notifyRemote());
        assertTrue(backend.notifyRemote());
        assertEquals(List.of(port), events(), "three notifications before the drain are one event");
        assertTrue(backend.notifyRemote());
        assertEquals(List.of(port), events());
        assertEquals(2, handler.events());
    }

    @Test
    void bindInterdomainToABackendPortAndCloseUnbindsThePeer()
    {
        hello();
        final EventPort backend = table.allocUnbound(DOM0, GUEST);
        final EvtchnMessage bind = call(OP_BIND_INTERDOMAIN, 5, 0, DOM0, backend.port(), 0);
        assertEquals(0, bind.status());
        assertEquals(backend.port(), bind.remotePort());
        assertEquals(bind.port(), backend.remotePort());

        assertEquals(-EINVAL, call(OP_BIND_INTERDOMAIN, 6, 0, DOM0, backend.port(), 0).status(), "already bound");
        assertEquals(-EINVAL, call(OP_BIND_INTERDOMAIN, 7, 0, DOM0, 0xFFFF_FFFFL, 0).status(), "no such port");
        assertEquals(-ESRCH, call(OP_BIND_INTERDOMAIN, 8, 0, 99, 1, 0).status(), "no such domain");

        assertEquals(0, call(OP_CLOSE, 9, bind.port(), 0, 0, 0).status());
        assertFalse(backend.notifyRemote(), "the peer is unbound");
        assertEquals(-1, backend.remotePort());
        assertEquals(-EINVAL, call(OP_CLOSE, 10, bind.port(), 0, 0, 0).status(), "closed twice");
        assertEquals(0, handler.openPorts());
    }

    @Test
    void maskedPortsKeepTheirPendingBitUntilUnmasked()
    {
        hello();
        final long port = call(OP_ALLOC_UNBOUND, 2, 0, DOM0, 0, 0).port();
        final EventPort backend = table.bindInterdomain(DOM0, GUEST, (int)port);
        assertEquals(0, call(OP_MASK, 3, port, 0, 0, 0).status());
        backend.notifyRemote();
        assertEquals(List.of(), events());
        final EvtchnMessage unmask = call(OP_UNMASK, 4, port, 0, 0, 0);
        assertEquals(0, unmask.status());
        assertEquals(List.of(port), events(), "delivered on unmask");
        assertEquals(List.of(), events());
    }

    @Test
    void portOperationsNeedAHelloAndAnOwnedPort()
    {
        assertEquals(-EPERM, call(OP_ALLOC_UNBOUND, 1, 0, DOM0, 0, 0).status());
        assertEquals(-EPERM, call(OP_SEND, 2, 1, 0, 0, 0).status());
        assertEquals(-ESRCH, call(OP_HELLO, 3, 0, 42, 0, 0).status());
        assertEquals(-ESRCH, call(OP_HELLO, 3, 0, 0xFFFF_FFFFL, 0, 0).status());
        hello();
        assertEquals(-EEXIST, call(OP_HELLO, 4, 0, DOM0, 0, 0).status());
        final EventPort other = table.allocUnbound(GUEST, DOM0);
        assertEquals(-EINVAL, call(OP_SEND, 5, other.port(), 0, 0, 0).status(), "a port of another client");
        assertEquals(-EINVAL, call(OP_SEND, 6, 0, 0, 0, 0).status(), "port 0 is reserved");
        assertEquals(-EINVAL, call(OP_MASK, 7, 0x8000_0000L, 0, 0, 0).status());
        assertEquals(-EINVAL, call(OP_UNMASK, 8, 16, 0, 0, 0).status());
        assertEquals(-ESRCH, call(OP_ALLOC_UNBOUND, 9, 0, 1234, 0, 0).status());
        assertEquals(-ENOSYS, call(0, 10, 0, 0, 0, 0).status());
        assertEquals(-ENOSYS, call(OP_EVENT, 11, 0, 0, 0, 0).status());
        assertEquals(-ENOSYS, call(0xFFFF & ~OP_REPLY, 12, 0, 0, 0, 0).status());
        assertTrue(channel.isActive());
    }

    @Test
    void portSpaceExhaustionIsENOSPC()
    {
        hello();
        for (int i = 1; i < 16; i++)
        {
            assertEquals(0, call(OP_ALLOC_UNBOUND, i, 0, DOM0, 0, 0).status());
        }
        assertEquals(-ENOSPC, call(OP_ALLOC_UNBOUND, 99, 0, DOM0, 0, 0).status());
        assertEquals(15, handler.openPorts());
    }

    @Test
    void aBadSizeClosesTheConnectionAndItsPorts()
    {
        hello();
        final long port = call(OP_ALLOC_UNBOUND, 2, 0, DOM0, 0, 0).port();
        final EventPort backend = table.bindInterdomain(DOM0, GUEST, (int)port);
        final ByteBuf bad = request(OP_SEND, 3, port, 0, 0, 0);
        bad.setShortLE(EvtchnMessageDescriptor.SIZE_OFFSET, 33);
        channel.writeInbound(bad, request(OP_SEND, 4, port, 0, 0, 0));
        assertFalse(channel.isActive());
        assertFalse(backend.isPending(), "nothing after the bad message was processed");
        assertFalse(backend.notifyRemote(), "the client's port closed with the connection");
        assertEquals(0, table.openPorts(GUEST));
    }

    @Test
    void closingTheConnectionClosesItsPorts()
    {
        hello();
        final long a = call(OP_ALLOC_UNBOUND, 2, 0, DOM0, 0, 0).port();
        call(OP_ALLOC_UNBOUND, 3, 0, DOM0, 0, 0);
        final EventPort backend = table.bindInterdomain(DOM0, GUEST, (int)a);
        channel.close();
        assertFalse(backend.notifyRemote());
        assertEquals(0, table.openPorts(GUEST));
        assertEquals(1, table.openPorts(DOM0), "the backend's end stays, unbound");
    }

    @Test
    void requestsSplitAtEveryByteBoundary()
    {
        final ByteBuf whole = Unpooled.buffer();
        whole.writeBytes(request(OP_HELLO, 1, 0, GUEST, 0, 0));
        whole.writeBytes(request(OP_ALLOC_UNBOUND, 2, 0, DOM0, 0, 0));
        whole.writeBytes(request(OP_MASK, 3, 1, 0, 0, 0));
        final byte[] bytes = new byte[whole.readableBytes()];
        whole.readBytes(bytes);
        whole.release();
        for (int split = 1; split < bytes.length; split++)
        {
            tearDown();
            table.removeDomain(GUEST);
            table.addDomain(GUEST);
            setUpChannelOnly();
            final ByteBuf first = Unpooled.wrappedBuffer(bytes, 0, split);
            final ByteBuf second = Unpooled.wrappedBuffer(bytes, split, bytes.length - split);
            channel.writeInbound(first);
            channel.writeInbound(second);
            assertEquals(0, first.refCnt(), "input released");
            assertEquals(0, second.refCnt(), "input released");
            final EvtchnMessage hello = nextMessage();
            assertEquals(OP_HELLO | OP_REPLY, hello.op(), "split=" + split);
            final EvtchnMessage alloc = nextMessage();
            assertEquals(OP_ALLOC_UNBOUND | OP_REPLY, alloc.op(), "split=" + split);
            assertEquals(1, alloc.port());
            final EvtchnMessage mask = nextMessage();
            assertEquals(OP_MASK | OP_REPLY, mask.op(), "split=" + split);
            assertEquals(0, mask.status(), "split=" + split);
            assertEquals(3, mask.id());
            assertNull(nextMessage());
        }
    }

    private void setUpChannelOnly()
    {
        handler = new EvtchnServerHandler(table, null);
        channel = new EmbeddedChannel(handler);
    }

    @Test
    void domainsAreCreatedAndDestroyedThroughTheControl()
    {
        final EvtchnMessage create = call(OP_DOMAIN_CREATE, 1, 0, 0, 0, 1 << 20);
        assertEquals(0, create.status());
        assertEquals(7, create.domid());
        assertEquals(-EINVAL, call(OP_DOMAIN_CREATE, 2, 0, 0, 0, -1).status());
        assertEquals(0, call(OP_DOMAIN_DESTROY, 3, 0, 7, 0, 0).status());
        assertEquals(-ESRCH, call(OP_DOMAIN_DESTROY, 4, 0, 0, 0, 0).status());
        assertEquals(-ESRCH, call(OP_DOMAIN_DESTROY, 5, 0, 0xFFFF_FFFFL, 0, 0).status());
        assertEquals(List.of(7, 0), destroyed);

        setUpChannelOnly();
        assertEquals(-ENOSYS, call(OP_DOMAIN_CREATE, 1, 0, 0, 0, 1 << 20).status(), "no control");
    }

    @Test
    void portsOfADestroyedDomainAreGone()
    {
        hello();
        final long port = call(OP_ALLOC_UNBOUND, 2, 0, DOM0, 0, 0).port();
        table.removeDomain(GUEST);
        assertEquals(-EINVAL, call(OP_SEND, 3, port, 0, 0, 0).status());
        assertEquals(-ESRCH, call(OP_ALLOC_UNBOUND, 4, 0, DOM0, 0, 0).status());
        assertEquals(0, handler.openPorts());
    }
}
