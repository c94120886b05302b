package io.pvring.nbd;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Who drives an {@link NbdClient} on the io_uring path: the first thread that sends; another thread's requests wait
 * for the driver's next poll; a driver that lets go with replies outstanding hands them to the next thread that
 * polls, which re-arms the receive in its own ring and completes them.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NbdRingDriverTest
{
    private static final long WAIT_MS = 20_000;

    @TempDir
    Path dir;

    @Test
    void aReleasedDriverHandsRepliesInFlightToTheNextThreadThatPolls() throws Exception
    {
        NbdTools.require("nbdkit", "nbdkit");
        final CompletionLog log = new CompletionLog();
        try (NbdkitServer server = NbdkitServer.unix(dir, List.of("delay"), List.of("memory", "size=4M",
            "delay-read=1"));
            NbdClient client = NbdClient.connect(server.uri(), new NbdClientConfig()
                .dataPath(NbdClientConfig.DataPath.RING), log))
        {
            assertTrue(client.onRing());
            assertNull(client.driver(), "nobody drives before the first send");
            final UnsafeBuffer memory = new UnsafeBuffer(ByteBuffer.allocateDirect(4 * 4096));
            for (int i = 0; i < 4; i++)
            {
                assertEquals(0, client.submitRead(i, i * 4096L, 4096, memory, i * 4096));
            }
            client.flushBatch();
            assertSame(Thread.currentThread(), client.driver(), "the first thread that sends drives");
            // The server answers reads after 1 s: the replies are still out when this thread lets go.
            client.release(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
            assertNull(client.driver(), "let go");
            assertEquals(0, log.count(), "no reply within the delay");

            final AtomicReference<Thread> drivenBy = new AtomicReference<>();
            final AtomicReference<Throwable> failed = new AtomicReference<>();
            final Thread other = new Thread(() ->
            {
                try
                {
                    log.drive(client);
                    log.awaitCount(4, WAIT_MS, "the reads sent by the first driver");
                    drivenBy.set(client.driver());
                    client.release(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
                }
                catch (final Throwable ex)
                {
                    failed.set(ex);
                }
            }, "nbd-second-driver");
            other.start();
            other.join(TimeUnit.SECONDS.toMillis(30));
            if (other.isAlive() || failed.get() != null)
            {
                fail("the second thread " + (other.isAlive() ? "still waiting" : "failed: " + failed.get()) +
                    "; completions " + log.describe());
            }
            assertSame(other, drivenBy.get(), "the thread that polled took over");
            for (int i = 0; i < 4; i++)
            {
                assertEquals(4096, log.result(i), "read " + i);
            }
            assertTrue(client.isConnected(), client.toString());

            // And this thread takes over again for more.
            assertEquals(0, client.submitRead(9, 0, 4096, memory, 0));
            client.flushBatch();
            assertSame(Thread.currentThread(), client.driver());
            log.drive(client);
            log.awaitCount(5, WAIT_MS, "a read after taking over again");
            assertEquals(4096, log.result(9));
        }
        assertTrue(log.disconnected() != null && log.disconnected().endsWith("disconnected"), log.disconnected());
    }
}
