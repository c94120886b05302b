package io.pvring.aio;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failures come back as completions on the polling thread, never as exceptions from a submission: reads past end
 * of file are short, writes to a read-only file and requests on a closed file fail with {@code EBADF}. Only
 * programmer errors (bad arguments, submitting after close) throw, and a full queue is a {@code false}.
 */
class ErrorCompletionTest
{
    private static final int FILE_BYTES = 64 * 1024;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = { ThreadPoolEngine.NAME, IoUringEngine.NAME })
    void readsPastEndOfFileAreShort(final String engineName) throws Exception
    {
        final ByteBuffer memory = EngineRig.nativeMemory(8192);
        final long address = EngineRig.address(memory);
        try (AioFile file = AioFile.open(EngineRig.newFile(dir, FILE_BYTES), CacheMode.NONE, false);
            EngineRig rig = new EngineRig(engineName, new AioConfig().queueDepth(4), 4))
        {
            assertTrue(rig.engine.read(file, 1, FILE_BYTES - 4096, address, 8192));
            assertEquals(4096, rig.one(1), "the part before end of file");
            assertTrue(rig.engine.read(file, 2, FILE_BYTES, address, 4096));
            assertEquals(0, rig.one(2), "at end of file");
            assertTrue(rig.engine.read(file, 3, FILE_BYTES - 512, address + 512, 1024));
            assertEquals(512, rig.one(3), "unaligned (bounced) read across end of file");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { ThreadPoolEngine.NAME, IoUringEngine.NAME })
    void writeToReadOnlyFileFailsWithEbadf(final String engineName) throws Exception
    {
        final ByteBuffer memory = EngineRig.nativeMemory(4096);
        try (AioFile file = AioFile.open(EngineRig.newFile(dir, FILE_BYTES), CacheMode.WRITEBACK, true);
            EngineRig rig = new EngineRig(engineName, new AioConfig().queueDepth(4), 4))
        {
            assertTrue(rig.engine.write(file, 1, 0, EngineRig.address(memory), 4096));
            rig.await(1);
            assertEquals(-Errno.EBADF, rig.results[1]);
            assertTrue(rig.engine.read(file, 2, 0, EngineRig.address(memory), 4096));
            assertEquals(4096, rig.one(2), "reads still work");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { ThreadPoolEngine.NAME, IoUringEngine.NAME })
    void fileClosedUnderTheEngineFailsWithEbadf(final String engineName) throws Exception
    {
        final ByteBuffer memory = EngineRig.nativeMemory(4096);
        final AioFile file = AioFile.open(EngineRig.newFile(dir, FILE_BYTES), CacheMode.WRITEBACK, false);
        try (EngineRig rig = new EngineRig(engineName, new AioConfig().queueDepth(4), 4))
        {
            // Queued while open, closed before the batch starts.
            assertTrue(rig.engine.read(file, 1, 0, EngineRig.address(memory), 4096));
            assertTrue(rig.engine.sync(file, 2, true));
            file.close();
            rig.engine.submitBatch();
            rig.await(2);
            assertEquals(-Errno.EBADF, rig.results[1], Errno.name(rig.results[1]));
            assertEquals(-Errno.EBADF, rig.results[2], Errno.name(rig.results[2]));
            // Submitted after the close.
            assertTrue(rig.engine.write(file, 3, 0, EngineRig.address(memory), 4096));
            assertEquals(-Errno.EBADF, rig.one(3));
            assertEquals(0, rig.engine.inFlight());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { ThreadPoolEngine.NAME, IoUringEngine.NAME })
    void fullQueueIsBackPressureAndMisuseThrows(final String engineName) throws Exception
    {
        final ByteBuffer memory = EngineRig.nativeMemory(4096);
        final long address = EngineRig.address(memory);
        try (AioFile file = AioFile.open(EngineRig.newFile(dir, FILE_BYTES), CacheMode.WRITEBACK, false);
            EngineRig rig = new EngineRig(engineName, new AioConfig().queueDepth(2).maxIoBytes(8192), 4))
        {
            assertTrue(rig.engine.read(file, 0, 0, address, 4096));
            assertTrue(rig.engine.read(file, 1, 4096, address, 4096));
            assertFalse(rig.engine.read(file, 2, 8192, address, 4096), "queue depth 2 reached");
            assertEquals(2, rig.engine.inFlight());
            assertThrows(IllegalArgumentException.class, () -> rig.engine.read(file, 3, 0, address, 16384));
            assertThrows(IllegalArgumentException.class, () -> rig.engine.read(file, 3, -512, address, 512));
            rig.engine.submitBatch();
            rig.await(2);
            assertEquals(4096, rig.results[0]);
            assertEquals(4096, rig.results[1]);
            rig.engine.close();
            assertThrows(IllegalStateException.class, () -> rig.engine.read(file, 3, 0, address, 4096));
        }
    }
}
