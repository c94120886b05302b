package io.pvring.aio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.pvring.testing.RequiredTools;
import io.pvring.uring.IoUringSupport;

import org.agrona.BufferUtil;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Creates engines for tests and collects their completions on the test thread, which the engine's completion
 * signal unparks. io_uring must be available when {@code PVRING_REQUIRE_TOOLS=1} (CI: this machine kind allows
 * it); elsewhere a test skips and says why.
 */
final class EngineRig implements AutoCloseable
{
    static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(20);

    final AioEngine engine;
    final long[] results;
    final boolean[] done;
    private final Thread owner = Thread.currentThread();
    private int completed;
    private final AioCompletionHandler collector = this::onComplete;

    EngineRig(final String name, final AioConfig config, final int maxTags)
    {
        if (IoUringEngine.NAME.equals(name))
        {
            requireIoUring();
        }
        engine = AioEngines.create(name, config, () -> LockSupport.unpark(owner));
        results = new long[maxTags];
        done = new boolean[maxTags];
    }

    static void requireIoUring()
    {
        final String reason = IoUringSupport.unavailableReason();
        RequiredTools.require(reason == null, "io_uring unavailable: " + reason);
    }

    private void onComplete(final long tag, final long result)
    {
        if (done[(int)tag])
        {
            fail("tag " + tag + " completed twice");
        }
        done[(int)tag] = true;
        results[(int)tag] = result;
        completed++;
    }

    /** Reaps until {@code count} more completions arrived (bounded); returns the total so far. */
    int await(final int count)
    {
        final int target = completed + count;
        final long deadline = System.nanoTime() + WAIT_NANOS;
        while (completed < target)
        {
            if (engine.poll(collector, Integer.MAX_VALUE) == 0)
            {
                final long left = deadline - System.nanoTime();
                if (left <= 0)
                {
                    fail("timed out waiting for " + (target - completed) + " completions on " + engine);
                }
                // An io_uring on this (non-runner) thread is reaped by this thread's polls only: look again soon.
                final long pause = engine.needsPolling() ? TimeUnit.MICROSECONDS.toNanos(20) :
                    TimeUnit.MILLISECONDS.toNanos(10);
                LockSupport.parkNanos(Math.min(left, pause));
            }
        }
        return completed;
    }

    void clear(final int tag)
    {
        done[tag] = false;
        results[tag] = 0;
    }

    /** Runs one request to completion and returns its result. */
    long one(final int tag)
    {
        clear(tag);
        engine.submitBatch();
        await(1);
        assertTrue(done[tag], "tag " + tag + " completed");
        return results[tag];
    }

    AioCompletionHandler collector()
    {
        return collector;
    }

    @Override
    public void close()
    {
        engine.close();
        engine.poll(collector, Integer.MAX_VALUE);
    }

    static Path newFile(final Path dir, final long size) throws IOException
    {
        final Path file = Files.createTempFile(dir, "aio", ".img");
        try (java.nio.channels.FileChannel channel =
            java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE))
        {
            channel.truncate(0);
            channel.write(ByteBuffer.allocate(1), size - 1);
        }
        return file;
    }

    /** Page-aligned native memory (plus slack for deliberately unaligned addresses). */
    static ByteBuffer nativeMemory(final int bytes)
    {
        return BufferUtil.allocateDirectAligned(bytes + 8192, 4096);
    }

    static long address(final ByteBuffer buffer)
    {
        return BufferUtil.address(buffer);
    }
}
