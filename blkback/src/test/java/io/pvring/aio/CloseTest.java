package io.pvring.aio;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Closing an engine: requests in flight finish, queued ones never started are cancelled, and one that outlives
 * the close timeout is failed with {@code ETIMEDOUT}; each request completes exactly once, even when the stuck
 * one finishes afterwards.
 */
class CloseTest
{
    private static final int FILE_BYTES = 1 << 20;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = { ThreadPoolEngine.NAME, IoUringEngine.NAME })
    void closeFinishesInFlightAndCancelsUnsubmitted(final String engineName) throws Exception
    {
        final ByteBuffer memory = EngineRig.nativeMemory(16 * 4096);
        final long address = EngineRig.address(memory);
        try (AioFile file = AioFile.open(EngineRig.newFile(dir, FILE_BYTES), CacheMode.WRITEBACK, false))
        {
            final EngineRig rig = new EngineRig(engineName, new AioConfig().queueDepth(16), 16);
            for (int i = 0; i < 8; i++)
            {
                assertTrue(rig.engine.write(file, i, i * 4096L, address + i * 4096L, 4096));
            }
            rig.engine.submitBatch();
            for (int i = 8; i < 16; i++)
            {
                assertTrue(rig.engine.read(file, i, i * 4096L, address + i * 4096L, 4096));
            }
            rig.engine.close();
            assertEquals(16, rig.engine.poll(rig.collector(), Integer.MAX_VALUE), "every request completed once");
            for (int i = 0; i < 8; i++)
            {
                assertEquals(4096, rig.results[i], "submitted write " + i + ": " + Errno.name(rig.results[i]));
            }
            for (int i = 8; i < 16; i++)
            {
                assertEquals(-Errno.ECANCELED, rig.results[i], "never submitted " + i);
            }
            assertEquals(0, rig.engine.inFlight());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { ThreadPoolEngine.NAME, IoUringEngine.NAME })
    void requestOutlivingTheTimeoutFailsOnceWithEtimedout(final String engineName) throws Exception
    {
        final ByteBuffer memory = EngineRig.nativeMemory(8192);
        final long address = EngineRig.address(memory);
        try (AioFile file = AioFile.open(EngineRig.newFile(dir, FILE_BYTES), CacheMode.NONE, false))
        {
            final EngineRig rig = new EngineRig(
                engineName, new AioConfig().queueDepth(4).closeTimeoutMillis(200), 4);
            // A partial-block write under O_DIRECT is a read-modify-write under the file's lock: holding the lock
            // keeps the request in flight for as long as this test wants.
            new org.agrona.concurrent.UnsafeBuffer(memory).setMemory(512, 512, (byte)0x77);
            synchronized (file.rmwLock)
            {
                assertTrue(rig.engine.write(file, 1, 512, address + 512, 512));
                rig.engine.submitBatch();
                rig.engine.close();
                assertEquals(1, rig.engine.poll(rig.collector(), Integer.MAX_VALUE));
                assertEquals(-Errno.ETIMEDOUT, rig.results[1]);
            }
            assertEquals(0, rig.engine.inFlight());
            // The stuck write goes on once the lock is free; when its data is in the file it has finished.
            final long deadline = System.nanoTime() + EngineRig.WAIT_NANOS;
            final ByteBuffer probe = ByteBuffer.allocate(1);
            try (FileChannel reader = FileChannel.open(file.path(), StandardOpenOption.READ))
            {
                while (true)
                {
                    probe.clear();
                    if (reader.read(probe, 512) == 1 && probe.get(0) == 0x77)
                    {
                        break;
                    }
                    assertTrue(System.nanoTime() < deadline, "the late write never landed");
                    LockSupport.parkNanos(1_000_000);
                }
            }
            assertEquals(0, rig.engine.poll(rig.collector(), Integer.MAX_VALUE), "the late finish is not reported");
        }
    }
}
