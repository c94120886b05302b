package io.pvring.event.remote;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import io.pvring.event.EventChannelTable;
import io.pvring.event.EventPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.pvring.event.remote.EvtchnMessageDescriptor.EINVAL;
import static io.pvring.event.remote.EvtchnMessageDescriptor.MESSAGE_LENGTH;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_ALLOC_UNBOUND;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_BIND_INTERDOMAIN;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_HELLO;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_SEND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The event-channel protocol over a real Unix domain socket, with clients in the JVM acting for two domains. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EvtchnServerTest
{
    private static final int DOM0 = 0;
    private static final int GUEST = 1;

    private final EventChannelTable table = new EventChannelTable();
    private EvtchnServer server;
    private Path socket;

    @BeforeEach
    void start(@TempDir final Path dir) throws Exception
    {
        table.addDomain(DOM0);
        table.addDomain(GUEST);
        socket = dir.resolve("evtchn.sock");
        server = EvtchnServer.start(table, null, socket);
    }

    @AfterEach
    void stop()
    {
        server.close();
        assertFalse(Files.exists(socket), "socket file removed");
    }

    private static EvtchnTestClient client(final Path socket, final int domid)
    {
        final EvtchnTestClient c = EvtchnTestClient.connect(socket);
        assertEquals(0, c.call(OP_HELLO, 0, domid, 0, 0).status());
        return c;
    }

    @Test
    void socketIsOwnerOnly() throws Exception
    {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
    }

    @Test
    void twoProcessesNotifyEachOtherAndCloseUnbindsThePeer()
    {
        final EvtchnTestClient guest = client(socket, GUEST);
        try (EvtchnTestClient backend = client(socket, DOM0))
        {
            final long guestPort = guest.call(OP_ALLOC_UNBOUND, 0, DOM0, 0, 0).port();
            final var bind = backend.call(OP_BIND_INTERDOMAIN, 0, GUEST, guestPort, 0);
            assertEquals(0, bind.status());
            final long backendPort = bind.port();

            for (int i = 0; i < 100; i++)
            {
                guest.post(OP_SEND, guestPort, 0, 0, 0);
                assertEquals(backendPort, backend.nextEvent());
                backend.post(OP_SEND, backendPort, 0, 0, 0);
                assertEquals(guestPort, guest.nextEvent());
            }

            guest.close();
            awaitOpenPorts(GUEST, 0);
            final EventPort end = table.port(DOM0, (int)backendPort);
            assertEquals(-1, end.remotePort(), "unbound once the guest's connection closed");
            assertFalse(end.notifyRemote());
        }
        finally
        {
            guest.close();
        }
    }

    @Test
    void aFloodOfNotificationsCoalescesAndAClientThatStopsReadingHarmsNoOne()
    {
        try (EvtchnTestClient guest = client(socket, GUEST); EvtchnTestClient other = client(socket, GUEST))
        {
            final long port = guest.call(OP_ALLOC_UNBOUND, 0, DOM0, 0, 0).port();
            final EventPort backend = table.bindInterdomain(DOM0, GUEST, (int)port);
            for (int i = 0; i < 1_000_000; i++)
            {
                backend.notifyRemote();
            }
            // The guest has not read anything yet; the server stays responsive to another client.
            final long otherPort = other.call(OP_ALLOC_UNBOUND, 0, DOM0, 0, 0).port();
            assertTrue(otherPort > 0);
            // Every event is one port; a marker request shows how many arrived before it: far fewer than sent.
            final var reply = guest.call(OP_ALLOC_UNBOUND, 0, DOM0, 0, 0);
            assertEquals(0, reply.status());
            int events = 0;
            while (guest.hasBufferedEvent())
            {
                assertEquals(port, guest.nextEvent());
                events++;
            }
            assertTrue(events <= 1_000, "coalesced: events=" + events);
        }
    }

    @Test
    void aClientThatWritesWithoutReadingLosesNoReplyAndHarmsNoOne() throws Exception
    {
        final int requests = 50_000; // 1.6 MB of replies: far beyond the socket buffers and the write high-water mark
        try (EvtchnTestClient flooder = client(socket, GUEST); EvtchnTestClient other = client(socket, GUEST))
        {
            final Thread writer = new Thread(() ->
            {
                for (int i = 0; i < requests; i++)
                {
                    flooder.post(OP_SEND, 99, 0, 0, 0);
                }
            }, "flooder");
            writer.start();
            // Whatever the flooder does, another client is served.
            assertEquals(0, other.call(OP_ALLOC_UNBOUND, 0, DOM0, 0, 0).status());
            for (int i = 0; i < requests; i++)
            {
                final var reply = flooder.read();
                assertEquals(OP_SEND | EvtchnMessageDescriptor.OP_REPLY, reply.op());
                assertEquals(-EINVAL, reply.status());
                assertEquals(i + 2, reply.id(), "replies in order, none lost");
            }
            writer.join();
            assertEquals(0, flooder.call(OP_ALLOC_UNBOUND, 0, DOM0, 0, 0).status());
        }
    }

    @Test
    void garbageEndsOnlyThatConnection()
    {
        try (EvtchnTestClient good = client(socket, GUEST); EvtchnTestClient bad = EvtchnTestClient.connect(socket))
        {
            final byte[] junk = new byte[MESSAGE_LENGTH * 3];
            for (int i = 0; i < junk.length; i++)
            {
                junk[i] = (byte)(0xA5 ^ i);
            }
            bad.writeRaw(junk);
            assertNull(bad.read(), "closed by the server");
            assertEquals(-EINVAL, good.call(OP_SEND, 77, 0, 0, 0).status());
            assertEquals(0, good.call(OP_ALLOC_UNBOUND, 0, DOM0, 0, 0).status());
        }
    }

    private void awaitOpenPorts(final int domid, final int expected)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (table.openPorts(domid) != expected)
        {
            assertTrue(System.nanoTime() < deadline, "open ports of domid=" + domid + ": " + table.openPorts(domid));
            Thread.yield();
        }
    }
}
