package io.pvring.aio;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** QEMU's thread-pool policy: spawn on demand up to the maximum, idle workers exit down to the minimum. */
class WorkerPoolTest
{
    @TempDir
    Path dir;

    @Test
    void spawnsUpToMaxAndIdleWorkersExitDownToMin() throws Exception
    {
        final ByteBuffer memory = EngineRig.nativeMemory(64 * 4096);
        final long address = EngineRig.address(memory);
        final AioConfig config = new AioConfig().queueDepth(64).minThreads(1).maxThreads(3).idleTimeoutMillis(100);
        try (AioFile file = AioFile.open(EngineRig.newFile(dir, 1 << 20), CacheMode.WRITEBACK, false);
            EngineRig rig = new EngineRig(ThreadPoolEngine.NAME, config, 64))
        {
            final ThreadPoolEngine engine = (ThreadPoolEngine)rig.engine;
            assertEquals(0, engine.workerThreads(), "no worker before the first request");
            for (int round = 0; round < 20; round++)
            {
                for (int i = 0; i < 64; i++)
                {
                    rig.clear(i);
                    assertTrue(engine.write(file, i, i * 4096L, address + i * 4096L, 4096));
                }
                engine.submitBatch();
                assertTrue(engine.workerThreads() <= 3, "at most maxThreads: " + engine.workerThreads());
                rig.await(64);
            }
            assertTrue(engine.workerThreads() >= 1, "workers were spawned");
            final long deadline = System.nanoTime() + EngineRig.WAIT_NANOS;
            while (engine.workerThreads() > 1)
            {
                assertTrue(System.nanoTime() < deadline, "idle workers exit: " + engine.workerThreads() + " left");
                LockSupport.parkNanos(10_000_000);
            }
            assertEquals(1, engine.workerThreads(), "minThreads kept");
            assertTrue(engine.write(file, 0, 0, address, 4096));
            assertEquals(4096, rig.one(0), "the kept worker still serves");
        }
    }
}
