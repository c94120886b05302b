package io.pvring.nbd;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.util.ResourceLeakDetector;
import io.pvring.uring.ThreadRing;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Steady-state requests allocate nothing per request, measured by the JVM on the submitting thread and on the
 * client's event loop over a real socket to nbdkit (Netty's pooled buffers come back through its recycler; the
 * leak detector's sampling, which allocates a stack trace for one buffer in 128, is off during the measurement).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NbdAllocationTest
{
    private static final int BATCH = 16;
    private static final int WARM_UP_BATCHES = 1500;
    private static final int BATCHES = 1000;

    @TempDir
    Path dir;

    /** The data path under test; the event-loop path runs the same test in a subclass. */
    NbdClientConfig.DataPath dataPath()
    {
        return NbdClientConfig.DataPath.RING;
    }

    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    /** Counts completions and remembers the thread they arrive on; allocation-free. */
    private static final class CountingSink implements NbdCompletionSink
    {
        final AtomicLong completed = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        volatile Thread loop;

        @Override
        public void onCompletion(final long tag, final int result)
        {
            if (loop == null)
            {
                loop = Thread.currentThread();
            }
            if (result < 0)
            {
                failed.incrementAndGet();
            }
            completed.incrementAndGet();
        }
    }

    @Test
    void readsWritesAndFlushesDoNotAllocatePerRequest() throws Exception
    {
        NbdTools.require("nbdkit", "nbdkit");
        final ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        final CountingSink sink = new CountingSink();
        try (NbdkitServer server = NbdkitServer.unix(dir, List.of(), List.of("memory", "size=64M"));
            NbdClient client = NbdClient.connect(server.uri(),
                new NbdClientConfig().maxInFlight(BATCH + 1).dataPath(dataPath()), sink))
        {
            final UnsafeBuffer memory = new UnsafeBuffer(ByteBuffer.allocateDirect(BATCH * 4096));
            long expected = 0;
            for (int i = 0; i < WARM_UP_BATCHES; i++)
            {
                expected = batch(client, sink, memory, i, expected);
            }
            final Thread loop = sink.loop;
            final long self = Thread.currentThread().getId();
            final long loopBefore = threads.getThreadAllocatedBytes(loop.getId());
            final long passesBefore = ThreadRing.passesOnThisThread();
            final long selfBefore = threads.getThreadAllocatedBytes(self);
            for (int i = 0; i < BATCHES; i++)
            {
                expected = batch(client, sink, memory, i, expected);
            }
            final long selfAllocated = threads.getThreadAllocatedBytes(self) - selfBefore;
            final long passes = ThreadRing.passesOnThisThread() - passesBefore;
            final long loopAllocated = loop.getId() == self ? 0 :
                threads.getThreadAllocatedBytes(loop.getId()) - loopBefore;
            assertEquals(client.onRing(), loop.getId() == self, "completions on the submitting thread: io_uring");
            assertEquals(0, sink.failed.get(), "failed requests");
            final int requests = BATCHES * (BATCH + 1);
            // One object per request would be >= 16 bytes x 17k = 272k bytes. Measured: 0 to ~35k on the loop, from
            // one-off work inside Netty and the JVM (a task-queue chunk, lazily loaded classes), not per request. On
            // the io_uring path the submitting thread sends and reaps in its own ring without Netty's allocating
            // loop (ThreadRing's NonAllocatingPass).
            assertEquals(0, passes, "passes through Netty's allocating loop");
            assertTrue(selfAllocated < 100_000, "bytes allocated by the submitting thread for " + requests +
                " requests: " + selfAllocated);
            assertTrue(loopAllocated < 100_000, "bytes allocated by the event loop for " + requests +
                " requests: " + loopAllocated);
        }
        finally
        {
            ResourceLeakDetector.setLevel(level);
        }
    }

    private static long batch(final NbdClient client, final CountingSink sink, final UnsafeBuffer memory,
        final int round, final long completedBefore)
    {
        for (int j = 0; j < BATCH; j++)
        {
            final long offset = (long)((round * 7 + j * 131) & 0x3FFF) * 4096;
            final int result = (j & 1) == 0 ?
                client.submitRead(j, offset, 4096, memory.addressOffset() + j * 4096L) :
                client.submitWrite(j, offset, 4096, memory.addressOffset() + j * 4096L, false);
            if (result != 0)
            {
                fail("submit " + j + " in round " + round + ": " + NbdErrno.name(result));
            }
        }
        if (client.submitFlush(BATCH) != 0)
        {
            fail("flush in round " + round);
        }
        client.flushBatch();
        final long expected = completedBefore + BATCH + 1;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (sink.completed.get() < expected)
        {
            if (System.nanoTime() > deadline)
            {
                fail("round " + round + ": " + (sink.completed.get() - completedBefore) + " of " + (BATCH + 1) +
                    " completions within 20 s: " + client.failure());
            }
            if (client.poll(null) == 0)
            {
                Thread.onSpinWait();
            }
        }
        return expected;
    }
}
