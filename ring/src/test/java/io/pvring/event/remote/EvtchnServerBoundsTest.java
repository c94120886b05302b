package io.pvring.event.remote;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import io.pvring.event.EventChannelTable;
import io.pvring.event.EventPort;
import io.pvring.unix.ConnectionBounds;
import io.pvring.unix.FloodClient;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.pvring.event.remote.EvtchnMessageDescriptor.EINVAL;
import static io.pvring.event.remote.EvtchnMessageDescriptor.MESSAGE_LENGTH;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_ALLOC_UNBOUND;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_HELLO;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_MASK;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_REPLY;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_SEND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Hostile clients of the event-channel socket: what one may make the server hold is a constant, asserted. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EvtchnServerBoundsTest
{
    /** The most one connection may make the server hold: one read, one partial request, the water mark, events. */
    static final long BOUND = ConnectionBounds.CONTROL.maxBufferedBytes(MESSAGE_LENGTH,
        EvtchnServerHandler.EVENTS_PER_WRITE * MESSAGE_LENGTH + ConnectionBounds.WRITE_ENTRY_OVERHEAD);
    private static final int DOM0 = 0;
    private static final int GUEST = 1;
    private static final int OTHER = 2;
    private static final long WAIT_MS = 20_000;

    private final EventChannelTable table = new EventChannelTable();
    private EvtchnServer server;
    private Path socket;

    @BeforeEach
    void start(@TempDir final Path dir) throws Exception
    {
        table.addDomain(DOM0);
        table.addDomain(GUEST);
        table.addDomain(OTHER);
        socket = dir.resolve("evtchn.sock");
        server = EvtchnServer.start(table, null, socket);
    }

    @AfterEach
    void stop()
    {
        server.close();
    }

    static byte[] request(final int op, final int id, final long port, final long domid)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[MESSAGE_LENGTH]);
        new EvtchnMessage().wrap(b, 0).clear().op(op).id(id).port(port).domid(domid);
        return b.byteArray();
    }

    @Test
    void aClientThatNeverReadsHoldsAConstantAndLosesNothing()
    {
        try (FloodClient flood = FloodClient.connect(socket))
        {
            flood.writeFully(request(OP_HELLO, 1, 0, GUEST), WAIT_MS);
            // MASK of a port that is not the client's: one -EINVAL reply per request, never read.
            final long requests = flood.floodUntilStalled(request(OP_MASK, 2, 77, 0), () -> server.pausedClients() == 1,
                WAIT_MS);
            final long held = server.maxClientBufferedBytes();
            assertTrue(held <= BOUND, "held=" + held + " bound=" + BOUND + " after " + requests + " requests");

            eventRoundTrips(OTHER, 200);
            assertTrue(server.maxClientBufferedBytes() <= BOUND, "still bounded");
            assertEquals(1, server.pausedClients(), "the flooder stays paused while it does not read");

            // It reads at last: every whole request it sent gets its reply, in order; nothing was dropped.
            final ByteBuffer replies = ByteBuffer.allocate((int)((requests + 1) * MESSAGE_LENGTH))
                .order(ByteOrder.LITTLE_ENDIAN);
            flood.readExactly(replies.capacity(), replies, WAIT_MS);
            final EvtchnMessage m = new EvtchnMessage();
            final UnsafeBuffer all = new UnsafeBuffer(replies.array());
            assertEquals(OP_HELLO | OP_REPLY, m.wrap(all, 0).op());
            assertEquals(0, m.status());
            for (long i = 1; i <= requests; i++)
            {
                m.wrap(all, (int)(i * MESSAGE_LENGTH));
                assertEquals(OP_MASK | OP_REPLY, m.op(), "reply " + i);
                assertEquals(-EINVAL, m.status(), "reply " + i);
            }
        }
    }

    @Test
    void aClientThatFloodsAtFullSpeedAndReadsDoesNotStarveAnotherGuest() throws Exception
    {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong answered = new AtomicLong();
        final ExecutorService pool = Executors.newSingleThreadExecutor();
        try (FloodClient flood = FloodClient.connect(socket))
        {
            flood.writeFully(request(OP_HELLO, 1, 0, GUEST), WAIT_MS);
            flood.readExactly(MESSAGE_LENGTH, null, WAIT_MS);
            final byte[] batch = new byte[256 * MESSAGE_LENGTH];
            for (int i = 0; i < 256; i++)
            {
                System.arraycopy(request(OP_MASK, i, 77, 0), 0, batch, i * MESSAGE_LENGTH, MESSAGE_LENGTH);
            }
            final Future<?> flooding = pool.submit(() ->
            {
                while (!stop.get())
                {
                    flood.writeFully(batch, WAIT_MS);
                    flood.readExactly(batch.length, null, WAIT_MS);
                    answered.addAndGet(256);
                }
            });
            awaitCondition(() -> answered.get() >= 1024, "the flooder is being answered");
            eventRoundTrips(OTHER, 500);
            assertTrue(server.maxClientBufferedBytes() <= BOUND, "bounded while flooding");
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
    void aWrongSizeClosesOnlyThatClient()
    {
        try (FloodClient bad = FloodClient.connect(socket))
        {
            final byte[] wrong = request(OP_HELLO, 1, 0, GUEST);
            wrong[0] = (byte)(MESSAGE_LENGTH + 1);
            bad.writeFully(wrong, WAIT_MS);
            assertTrue(bad.closedByServer(WAIT_MS), "a message of the wrong size ends the connection");
        }
        eventRoundTrips(OTHER, 10);
    }

    /**
     * Another guest's notifications through the socket, each way, each wait bounded: a backend port in the JVM
     * notifies, the client sees the event and sends back.
     */
    private void eventRoundTrips(final int domid, final int count)
    {
        final ExecutorService pool = Executors.newSingleThreadExecutor();
        try (EvtchnTestClient client = EvtchnTestClient.connect(socket))
        {
            final Future<Long> portFuture = pool.submit(() ->
            {
                assertEquals(0, client.call(OP_HELLO, 0, domid, 0, 0).status());
                return client.call(OP_ALLOC_UNBOUND, 0, DOM0, 0, 0).port();
            });
            final long port = get(portFuture, "hello and alloc_unbound of domain " + domid);
            final EventPort backend = table.bindInterdomain(DOM0, domid, (int)port);
            for (int i = 0; i < count; i++)
            {
                backend.notifyRemote();
                final Future<Long> event = pool.submit(client::nextEvent);
                assertEquals(port, get(event, "event " + i + " to domain " + domid));
                client.post(OP_SEND, port, 0, 0, 0);
                final int trip = i;
                awaitCondition(backend::consumePending, "send " + trip + " back from domain " + domid);
            }
        }
        finally
        {
            pool.shutdownNow();
        }
    }

    private static <T> T get(final Future<T> future, final String what)
    {
        try
        {
            return future.get(WAIT_MS, TimeUnit.MILLISECONDS);
        }
        catch (final TimeoutException ex)
        {
            future.cancel(true);
            return fail(what + ": no answer within " + WAIT_MS + " ms");
        }
        catch (final Exception ex)
        {
            return fail(what + ": " + ex, ex);
        }
    }

    private static void awaitCondition(final java.util.function.BooleanSupplier condition, final String what)
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
