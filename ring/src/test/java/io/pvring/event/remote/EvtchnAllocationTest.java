package io.pvring.event.remote;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.netty.util.ResourceLeakDetector;
import io.pvring.event.EventChannelTable;
import io.pvring.event.EventPort;
import io.pvring.testing.BoundedSpin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_ALLOC_UNBOUND;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_DOMAIN_CREATE;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_HELLO;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_SEND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server's steady-state paths allocate nothing per message, measured by the JVM on the server's event loop
 * thread over a real socket: a notification becoming an event written to the client, and a client's send becoming
 * a notification (Netty's pooled buffers come back through its recycler; the leak detector's sampling, which
 * allocates a stack trace for one buffer in 128, is off during the measurement).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EvtchnAllocationTest
{
    private static final int WARM_UP = 30_000;
    private static final int ROUNDS = 10_000;

    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    @Test
    void eventsAndSendsDoNotAllocateOnTheEventLoop(@TempDir final Path dir) throws Exception
    {
        final EventChannelTable table = new EventChannelTable(16);
        table.addDomain(0);
        table.addDomain(1);
        final Thread[] loop = new Thread[1];
        final DomainControl probe = new DomainControl()
        {
            @Override
            public int createDomain(final long memoryBytes)
            {
                loop[0] = Thread.currentThread(); // control requests run on the event loop
                return -EvtchnMessageDescriptor.ENOMEM;
            }

            @Override
            public int destroyDomain(final int domid)
            {
                return -EvtchnMessageDescriptor.ESRCH;
            }
        };
        // Netty's leak detector samples 1 buffer in 128 with a stack trace: a diagnostic, measured apart from us.
        final ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        try (EvtchnServer server = EvtchnServer.start(table, probe, dir.resolve("evtchn.sock"));
            EvtchnTestClient client = EvtchnTestClient.connect(server.socketPath()))
        {
            client.call(OP_DOMAIN_CREATE, 0, 0, 0, 4096);
            assertEquals(0, client.call(OP_HELLO, 0, 1, 0, 0).status());
            final long port = client.call(OP_ALLOC_UNBOUND, 0, 0, 0, 0).port();
            final EventPort backend = table.bindInterdomain(0, 1, (int)port);

            for (int i = 0; i < WARM_UP; i++)
            {
                round(client, backend, port);
            }
            final long before = threads.getThreadAllocatedBytes(loop[0].getId());
            for (int i = 0; i < ROUNDS; i++)
            {
                round(client, backend, port);
            }
            final long allocated = threads.getThreadAllocatedBytes(loop[0].getId()) - before;
            // One object per message would be >= 16 bytes x 20k messages.
            assertTrue(allocated < 20_000, "bytes allocated by the event loop for " + ROUNDS +
                " events and sends: " + allocated);
        }
        finally
        {
            ResourceLeakDetector.setLevel(level);
        }
    }

    private static void round(final EvtchnTestClient client, final EventPort backend, final long port)
    {
        backend.notifyRemote();
        assertEquals(port, client.nextEvent());
        client.post(OP_SEND, port, 0, 0, 0);
        for (final BoundedSpin spin = BoundedSpin.upTo(() -> "!backend.consumePending()");
            !backend.consumePending(); spin.pause())
        {
        }
    }
}
