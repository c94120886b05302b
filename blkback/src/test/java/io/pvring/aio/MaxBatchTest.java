package io.pvring.aio;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code maxBatch}: an engine starts a batch on its own once that many requests are queued (1: each as it comes),
 * and without it nothing starts before {@link AioEngine#submitBatch()}.
 */
class MaxBatchTest
{
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = { ThreadPoolEngine.NAME, IoUringEngine.NAME })
    void aFullBatchStartsWithoutSubmitBatch(final String engineName) throws Exception
    {
        final Path path = EngineRig.newFile(dir, 16 * PAGE);
        final ByteBuffer memory = EngineRig.nativeMemory(4 * PAGE);
        final long address = EngineRig.address(memory);
        new UnsafeBuffer(memory).setMemory(0, 4 * PAGE, (byte)0x5A);
        try (AioFile file = AioFile.open(path, CacheMode.NONE, false);
            EngineRig rig = new EngineRig(engineName, new AioConfig().queueDepth(4).maxBatch(2), 4))
        {
            assertTrue(rig.engine.write(file, 0, 0, address, PAGE));
            assertEquals(0, rig.engine.poll((tag, result) -> { }, Integer.MAX_VALUE),
                "one queued request of a batch of two has not started");
            assertFalse(rig.done[0]);
            assertTrue(rig.engine.write(file, 1, PAGE, address + PAGE, PAGE)); // the second fills the batch
            rig.await(2); // no submitBatch(): bounded, fails naming the engine if they never start
            assertEquals(PAGE, rig.results[0]);
            assertEquals(PAGE, rig.results[1]);
            assertEquals(0, rig.engine.submitBatch(), "nothing left for submitBatch");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { ThreadPoolEngine.NAME, IoUringEngine.NAME })
    void oneStartsEachRequestAsItComes(final String engineName) throws Exception
    {
        final Path path = EngineRig.newFile(dir, 16 * PAGE);
        final ByteBuffer memory = EngineRig.nativeMemory(4 * PAGE);
        final long address = EngineRig.address(memory);
        try (AioFile file = AioFile.open(path, CacheMode.NONE, false);
            EngineRig rig = new EngineRig(engineName, new AioConfig().queueDepth(4).maxBatch(1), 4))
        {
            for (int i = 0; i < 4; i++)
            {
                assertTrue(rig.engine.read(file, i, i * PAGE, address + i * PAGE, PAGE));
                rig.await(1);
                assertEquals(PAGE, rig.results[i], "read " + i);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = { -1, 5 })
    void aBatchBeyondTheQueueIsRefused(final int maxBatch)
    {
        final AioConfig config = new AioConfig().queueDepth(4).maxBatch(maxBatch);
        assertTrue(assertThrows(IllegalArgumentException.class, config::validate).getMessage().contains("maxBatch"));
    }
}
