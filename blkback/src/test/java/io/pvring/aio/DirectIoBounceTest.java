package io.pvring.aio;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Under {@code cache=none}, aligned requests go straight to the file and unaligned ones through a bounce buffer,
 * never {@code EINVAL}; a partial-block write keeps the rest of its block (read-modify-write).
 */
class DirectIoBounceTest
{
    private static final int FILE_BYTES = 1 << 20;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = { ThreadPoolEngine.NAME, IoUringEngine.NAME })
    void alignedGoDirectUnalignedBounceAndKeepTheirNeighbours(final String engineName) throws Exception
    {
        final ByteBuffer memory = EngineRig.nativeMemory(4 * 4096);
        final long address = EngineRig.address(memory);
        final UnsafeBuffer view = new UnsafeBuffer(memory);
        try (AioFile file = AioFile.open(EngineRig.newFile(dir, FILE_BYTES), CacheMode.NONE, false);
            EngineRig rig = new EngineRig(engineName, new AioConfig().queueDepth(4), 4))
        {
            final AioEngine engine = rig.engine;
            view.setMemory(0, 8192, (byte)'A');
            assertTrue(engine.write(file, 0, 8192, address, 8192));
            assertEquals(8192, rig.one(0));
            final IoVector vector = new IoVector(2).add(address + 8192, 4096).add(address, 4096);
            assertTrue(engine.readv(file, 1, 8192, vector));
            assertEquals(8192, rig.one(1));
            assertEquals(0, engine.bouncedRequests(), "aligned requests went direct");

            // One sector in the middle of a block, from memory that is not block aligned.
            view.setMemory(4096 + 512, 512, (byte)'B');
            assertTrue(engine.write(file, 2, 8192 + 1024, address + 4096 + 512, 512));
            assertEquals(512, rig.one(2), Errno.name(rig.results[2]));
            assertTrue(engine.bouncedRequests() >= 1, "the unaligned write bounced");

            view.setMemory(0, 4 * 4096, (byte)0);
            assertTrue(engine.read(file, 3, 8192, address + 3, 4096));
            assertEquals(4096, rig.one(3), Errno.name(rig.results[3]));
            for (int i = 0; i < 4096; i++)
            {
                final byte expected = i >= 1024 && i < 1536 ? (byte)'B' : (byte)'A';
                assertEquals(expected, view.getByte(3 + i), "byte " + i + " of the block");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { ThreadPoolEngine.NAME, IoUringEngine.NAME })
    void pageCacheModesNeverBounce(final String engineName) throws Exception
    {
        final ByteBuffer memory = EngineRig.nativeMemory(4096);
        try (AioFile file = AioFile.open(EngineRig.newFile(dir, FILE_BYTES), CacheMode.WRITEBACK, false);
            EngineRig rig = new EngineRig(engineName, new AioConfig().queueDepth(4), 4))
        {
            assertTrue(rig.engine.write(file, 0, 513, EngineRig.address(memory) + 1, 1000));
            assertEquals(1000, rig.one(0));
            assertEquals(0, rig.engine.bouncedRequests());
        }
    }
}
