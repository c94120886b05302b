package io.pvring.xenstore;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The socket server with a plain Java Unix-socket client: framing over a real socket, and hostile clients. */
@Timeout(60)
class XenStoreServerTest
{
    @TempDir
    Path dir;

    private static void send(final SocketChannel ch, final int type, final int reqId, final byte[] payload)
        throws IOException
    {
        final ByteBuffer b = ByteBuffer.allocate(16 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(type).putInt(reqId).putInt(0).putInt(payload.length).put(payload).flip();
        while (b.hasRemaining())
        {
            ch.write(b);
        }
    }

    private static XsMessage receive(final SocketChannel ch) throws IOException
    {
        final ByteBuffer h = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, h);
        h.flip();
        final int type = h.getInt();
        final int req = h.getInt();
        final int tx = h.getInt();
        final ByteBuffer p = ByteBuffer.allocate(h.getInt());
        readFully(ch, p);
        return new XsMessage(type, req, tx, p.array());
    }

    private static void readFully(final SocketChannel ch, final ByteBuffer b) throws IOException
    {
        while (b.hasRemaining())
        {
            if (ch.read(b) < 0)
            {
                throw new IOException("closed");
            }
        }
    }

    private static SocketChannel connect(final Path socket) throws IOException
    {
        final SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return ch;
    }

    @Test
    void watcherThatNeverReadsCannotMakeTheServerQueueWithoutBound() throws Exception
    {
        final XenStore store = new XenStore();
        final XsConnection writer = store.connect(0);
        try (XenStoreServer server = XenStoreServer.start(store, dir.resolve("xs.sock"));
            SocketChannel lazy = connect(server.socketPath()))
        {
            send(lazy, XsMessageType.XS_WATCH, 1, XsMessage.strings(List.of("/flood", "t")));
            final int max = store.quotas().maxPendingEventsPerWatch();
            final int writes = 20_000;
            for (int i = 0; i < writes; i++)
            {
                writer.write("/flood/n" + i, "v");
                if (i % 1000 == 0)
                {
                    assertTrue(store.pendingWatchEvents() <= max, "pending=" + store.pendingWatchEvents());
                }
            }
            assertTrue(store.pendingWatchEvents() <= max);
            // Another client is served meanwhile.
            try (SocketChannel other = connect(server.socketPath()))
            {
                send(other, XsMessageType.XS_READ, 7, XsMessage.nulTerminated("/flood/n0"));
                assertEquals("v", new String(receive(other).payload(), StandardCharsets.US_ASCII));
            }
            // The lazy client finally unwatches and reads: the WATCH reply, events (never more than the changes),
            // then the UNWATCH reply; events still pending in the store for that watch are dropped.
            send(lazy, XsMessageType.XS_UNWATCH, 2, XsMessage.strings(List.of("/flood", "t")));
            assertEquals(XsMessageType.XS_WATCH, receive(lazy).type());
            int events = 0;
            XsMessage m;
            while ((m = receive(lazy)).type() == XsMessageType.XS_WATCH_EVENT)
            {
                events++;
                assertTrue(events <= writes + 1, "more events than changes");
            }
            assertEquals(2, m.reqId());
            assertEquals("OK\0", new String(m.payload(), StandardCharsets.US_ASCII));
            assertTrue(events >= 1);
            assertEquals(0, store.pendingWatchEvents());
        }
        assertEquals(1, store.connectionCount(), "socket connections are closed with the server");
    }

    @Test
    void clientThatNeverReadsRepliesStopsBeingRead() throws Exception
    {
        final XenStore store = new XenStore();
        store.connect(0).write("/big", "x".repeat(4000));
        try (XenStoreServer server = XenStoreServer.start(store, dir.resolve("xs.sock"));
            SocketChannel flooder = connect(server.socketPath()))
        {
            flooder.configureBlocking(false);
            final ByteBuffer req = ByteBuffer.allocate(16 + 5).order(ByteOrder.LITTLE_ENDIAN);
            req.putInt(XsMessageType.XS_READ).putInt(1).putInt(0).putInt(5).put("/big\0".getBytes(
                StandardCharsets.US_ASCII));
            long sent = 0;
            int stalls = 0;
            // Each 21-byte request asks for a 4 KiB reply; the server stops reading once it cannot write.
            while (stalls < 200 && sent < 100_000_000L)
            {
                req.flip();
                final int n = flooder.write(req);
                req.position(req.limit());
                if (n == 0)
                {
                    stalls++;
                    Thread.onSpinWait();
                }
                else
                {
                    sent += n;
                }
            }
            assertTrue(sent < 100_000_000L, "the server kept reading requests it could not answer: " + sent);
            try (SocketChannel other = connect(server.socketPath()))
            {
                send(other, XsMessageType.XS_READ, 9, XsMessage.nulTerminated("/big"));
                assertEquals(4000, receive(other).payload().length);
            }
        }
    }

    @Test
    void domainSocketConfinesClientsToTheirDomain() throws Exception
    {
        final XenStore store = new XenStore();
        final XsConnection dom0 = store.connect(0);
        dom0.write("/secret", "s");
        dom0.mkdir("/local/domain/5");
        dom0.setPerms("/local/domain/5", XsPermissions.parse("n0", "r5"));
        dom0.write("/local/domain/5/name", "guest");
        try (XenStoreServer server = XenStoreServer.startForDomain(store, dir.resolve("d5.sock"), 5);
            SocketChannel guest = connect(server.socketPath()))
        {
            send(guest, XsMessageType.XS_READ, 1, XsMessage.nulTerminated("name"));
            assertEquals("guest", new String(receive(guest).payload(), StandardCharsets.US_ASCII));
            send(guest, XsMessageType.XS_READ, 2, XsMessage.nulTerminated("/secret"));
            assertEquals("EACCES\0", new String(receive(guest).payload(), StandardCharsets.US_ASCII));
            send(guest, XsMessageType.XS_INTRODUCE, 3, XsMessage.strings(List.of("9", "0", "0")));
            assertEquals("EACCES\0", new String(receive(guest).payload(), StandardCharsets.US_ASCII));
        }
    }
}
