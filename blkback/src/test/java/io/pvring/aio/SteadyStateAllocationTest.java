package io.pvring.aio;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Once warm, submitting, batching and polling allocate nothing per request, on the submitting thread (which drives
 * the io_uring itself) or on the workers (measured per thread by the JVM, as blkback's {@code
 * SteadyStateAllocationTest} does; a request allocating would cost at least 16 bytes each, 512 KiB here).
 */
class SteadyStateAllocationTest
{
    private static final int DEPTH = 16;

    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = { ThreadPoolEngine.NAME, IoUringEngine.NAME })
    void requestPathDoesNotAllocate(final String engineName) throws Exception
    {
        final ByteBuffer memory = EngineRig.nativeMemory(DEPTH * 8192);
        final long address = EngineRig.address(memory);
        final IoVector vector = new IoVector(4);
        final long[] ok = new long[1];
        final AioCompletionHandler handler = (tag, result) -> ok[0] += result >= 0 ? 1 : 0;
        final AioConfig config = new AioConfig().queueDepth(DEPTH).maxSegments(4).minThreads(4).maxThreads(4);
        try (AioFile file = AioFile.open(EngineRig.newFile(dir, 4 << 20), CacheMode.WRITEBACK, false);
            EngineRig rig = new EngineRig(engineName, config, DEPTH))
        {
            final AioEngine engine = rig.engine;
            final Runnable round = () ->
            {
                for (int i = 0; i < DEPTH; i++)
                {
                    final long position = ((i * 7919L) % 1000) * 4096;
                    final long buffer = address + i * 8192L;
                    if (i % 4 == 3)
                    {
                        engine.readv(file, i, position, vector.clear().add(buffer, 2048).add(buffer + 4096, 2048));
                    }
                    else if ((i & 1) == 0)
                    {
                        engine.write(file, i, position, buffer, 4096);
                    }
                    else
                    {
                        engine.read(file, i, position, buffer, 4096);
                    }
                }
                engine.submitBatch();
                int done = 0;
                while (done < DEPTH)
                {
                    done += engine.poll(handler, DEPTH);
                }
            };
            for (int i = 0; i < 5_000; i++)
            {
                round.run();
            }
            final long[] engineThreads = engineThreadIds(Thread.currentThread().getId());
            final long engineBefore = allocatedBy(engineThreads);
            final boolean uring = IoUringEngine.NAME.equals(engineName);
            final long passesBefore = uring ? ((IoUringEngine)engine).ringPasses() : 0;
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 2_000; i++)
            {
                round.run();
            }
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            final long engineAllocated = allocatedBy(engineThreads) - engineBefore;
            assertEquals(7_000L * DEPTH, ok[0], "every request succeeded");
            // One allocation per request would be >= 16 bytes x 32k; the JIT may allocate a few bytes once. The
            // io_uring is driven by this thread; submitting and reaping bypass Netty's loop, whose run() allocates a
            // method reference per call (ThreadRing's NonAllocatingPass), so no pass allocates either.
            final long passes = uring ? ((IoUringEngine)engine).ringPasses() - passesBefore : 0;
            if (uring)
            {
                assertTrue(((IoUringEngine)engine).passesWithoutAllocating(),
                    "Netty's io_uring internals not recognised: submitting and reaping go through its allocating loop");
                assertEquals(0, passes, "passes through Netty's allocating loop");
                assertTrue(((IoUringEngine)engine).peeksRing(), "polling reads the ring's memory, no Netty call");
            }
            assertTrue(allocated < 10_000, "submitting thread, bytes allocated by 32k requests in 2k batches: " +
                allocated);
            // Workers (of the pool, or io_uring's unaligned lane) allocate nothing.
            assertTrue(engineAllocated < 10_000, "engine threads " + engineThreads.length +
                ", bytes allocated by 32k requests: " + engineAllocated);
        }
    }

    /** Threads the engine started (all live threads but this one and the JVM's own, which allocate little). */
    private static long[] engineThreadIds(final long self)
    {
        return Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getId() != self &&
                (t.getName().startsWith(ThreadPoolEngine.NAME) || t.getName().startsWith(IoUringEngine.NAME)))
            .mapToLong(Thread::getId).toArray();
    }

    private long allocatedBy(final long[] ids)
    {
        long sum = 0;
        for (final long bytes : threads.getThreadAllocatedBytes(ids))
        {
            sum += Math.max(0, bytes);
        }
        return sum;
    }
}
