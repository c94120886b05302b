package io.pvring.xenstore;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import io.pvring.unix.ConnectionBounds;
import io.pvring.unix.FloodClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.pvring.xenstore.XsSockMsgDescriptor.HEADER_LENGTH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Hostile clients of the xenstore sockets: what one may make the server hold is a constant, asserted. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class XenStoreServerBoundsTest
{
    /** One read, one partial request, the water mark, one request's reply (or one watch event). */
    static final long BOUND = ConnectionBounds.CONTROL.maxBufferedBytes(XsServerHandler.MAX_FRAME,
        XsServerHandler.MAX_FRAME + ConnectionBounds.WRITE_ENTRY_OVERHEAD);
    private static final long WAIT_MS = 20_000;
    private static final int GUEST = 1;
    private static final String BIG = "x".repeat(4000);

    private final XenStore store = new XenStore();
    private final XsConnection dom0 = store.connect(XenStore.DOM0);
    private XenStoreServer server;
    private XenStoreServer guestServer;

    @BeforeEach
    void start(@TempDir final Path dir) throws Exception
    {
        server = XenStoreServer.start(store, dir.resolve("xs.sock"));
        guestServer = XenStoreServer.startForDomain(store, dir.resolve("dom1.xs.sock"), GUEST);
        dom0.write("/big", BIG);
        dom0.write("/small", "v");
        dom0.mkdir("/local/domain/1");
        dom0.setPerms("/local/domain/1", XsPermissions.of(GUEST, XsPermissions.PERM_NONE));
    }

    @AfterEach
    void stop()
    {
        guestServer.close();
        server.close();
    }

    static byte[] msg(final int type, final int reqId, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(HEADER_LENGTH + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(type).putInt(reqId).putInt(0).putInt(payload.length).put(payload);
        return b.array();
    }

    private static byte[] read(final String path)
    {
        return msg(XsMessageType.XS_READ, 9, XsMessage.nulTerminated(path));
    }

    @Test
    void aClientThatNeverReadsHoldsAConstantAndLosesNothing()
    {
        try (FloodClient flood = FloodClient.connect(server.socketPath()))
        {
            // Each 22-byte request asks for a 4016-byte reply: the server must stop reading, not amplify.
            final byte[] request = read("/big");
            final long requests = flood.floodUntilStalled(request, () -> server.pausedClients() == 1, WAIT_MS);
            final long held = server.maxClientBufferedBytes();
            assertTrue(held <= BOUND, "held=" + held + " bound=" + BOUND + " after " + requests + " requests");

            smallReads(guestServer.socketPath(), "/local/domain/1", 100);
            smallReads(server.socketPath(), "/small", 100);
            assertEquals(1, server.pausedClients(), "the flooder stays paused while it does not read");

            // It reads at last: one reply per whole request, nothing dropped.
            final int replyLength = HEADER_LENGTH + BIG.length();
            final ByteBuffer one = ByteBuffer.allocate(replyLength).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < requests; i++)
            {
                one.clear();
                flood.readExactly(replyLength, one, WAIT_MS);
                assertEquals(XsMessageType.XS_READ, one.getInt(0), "reply " + i);
                assertEquals(BIG.length(), one.getInt(12), "reply " + i);
            }
        }
    }

    @Test
    void aClientThatFloodsAtFullSpeedAndReadsDoesNotStarveAnotherGuest() throws Exception
    {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong answered = new AtomicLong();
        final ExecutorService pool = Executors.newSingleThreadExecutor();
        try (FloodClient flood = FloodClient.connect(guestServer.socketPath()))
        {
            final byte[] one = read("/local/domain/1");
            final byte[] batch = new byte[64 * one.length];
            for (int i = 0; i < 64; i++)
            {
                System.arraycopy(one, 0, batch, i * one.length, one.length);
            }
            final Future<?> flooding = pool.submit(() ->
            {
                while (!stop.get())
                {
                    flood.writeFully(batch, WAIT_MS);
                    flood.readExactly(64L * HEADER_LENGTH, null, WAIT_MS); // empty value: header only
                    answered.addAndGet(64);
                }
            });
            awaitCondition(() -> answered.get() >= 256, "the flooder is being answered");
            smallReads(guestServer.socketPath(), "/local/domain/1", 200);
            smallReads(server.socketPath(), "/small", 200);
            assertTrue(guestServer.maxClientBufferedBytes() <= BOUND, "bounded while flooding");
            stop.set(true);
            flooding.get(WAIT_MS, TimeUnit.MILLISECONDS);
        }
        finally
        {
            stop.set(true);
            pool.shutdownNow();
        }
    }

    @Test
    void aDeclaredLengthBeyondThePayloadMaximumClosesOnlyThatClient()
    {
        try (FloodClient bad = FloodClient.connect(guestServer.socketPath()))
        {
            final ByteBuffer header = ByteBuffer.allocate(HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(XsMessageType.XS_WRITE).putInt(1).putInt(0)
                .putInt(XsSockMsgDescriptor.XENSTORE_PAYLOAD_MAX + 1);
            bad.writeFully(header.array(), WAIT_MS);
            assertTrue(bad.closedByServer(WAIT_MS), "an oversize frame ends the connection");
        }
        smallReads(guestServer.socketPath(), "/local/domain/1", 5);
    }

    @Test
    void watchEventsForAGuestThatNeverReadsAreBoundedPerDomainAsXenstoredDoes()
    {
        final long quota = store.quotas().watchEventBytesPerDomain();
        try (FloodClient lazy1 = FloodClient.connect(guestServer.socketPath());
            FloodClient lazy2 = FloodClient.connect(guestServer.socketPath()))
        {
            // Watches with long tokens on the guest's own directory, on two connections; then never read.
            final String token = "t".repeat(2000);
            for (final FloodClient c : List.of(lazy1, lazy2))
            {
                for (int w = 0; w < 8; w++)
                {
                    c.writeFully(msg(XsMessageType.XS_WATCH, w, XsMessage.strings(List.of("w" + w, token + w))),
                        WAIT_MS);
                }
            }
            for (int i = 0; i < 5_000; i++)
            {
                dom0.write("/local/domain/1/w" + (i % 8) + "/n" + i, "v");
                assertTrue(store.pendingWatchEventBytes(GUEST) <= quota,
                    "pending=" + store.pendingWatchEventBytes(GUEST) + " quota=" + quota + " after " + i);
            }
            assertTrue(store.droppedWatchEvents() > 0, "events past the quota are dropped");
            assertTrue(guestServer.maxClientBufferedBytes() <= BOUND, "held=" + guestServer.maxClientBufferedBytes());
            smallReads(guestServer.socketPath(), "/local/domain/1", 10);
        }
    }

    /** Another client's requests, each answered within its own bound. */
    private static void smallReads(final Path socket, final String path, final int count)
    {
        try (FloodClient c = FloodClient.connect(socket))
        {
            final byte[] request = read(path);
            final ByteBuffer reply = ByteBuffer.allocate(HEADER_LENGTH + 64).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < count; i++)
            {
                c.writeFully(request, WAIT_MS);
                reply.clear();
                c.readExactly(HEADER_LENGTH, reply, WAIT_MS);
                final int len = reply.getInt(12);
                assertEquals(XsMessageType.XS_READ, reply.getInt(0), "reply " + i + " to " + path);
                if (len > 0)
                {
                    c.readExactly(len, reply, WAIT_MS);
                }
            }
        }
    }

    private static void awaitCondition(final BooleanSupplier condition, final String what)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                fail(what + ": not within " + WAIT_MS + " ms");
            }
            LockSupport.parkNanos(100_000);
        }
    }
}
