package io.pvring.aio;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Write, wait for completion, flush, as blkback orders a FLUSH: each flush succeeds and, once it completed, the data
 * it covers is what another opener reads with {@code O_DIRECT} from the device. (Durability itself needs a power
 * cut to show; this is as far as a test on a live machine goes.)
 */
class FlushTest
{
    private static final int FILE_BYTES = 2 << 20;
    private static final int CHUNK = 64 * 1024;

    @TempDir
    Path dir;

    static Stream<Arguments> engines()
    {
        return Stream.of(ThreadPoolEngine.NAME, IoUringEngine.NAME).flatMap(
            engine -> Stream.of(CacheMode.NONE, CacheMode.WRITEBACK).map(mode -> Arguments.of(engine, mode)));
    }

    @ParameterizedTest(name = "aio={0} cache={1}")
    @MethodSource("engines")
    void flushAfterCompletedWritesSucceedsAndTheDataIsOnTheDevice(final String engineName, final CacheMode mode)
        throws Exception
    {
        final Path path = EngineRig.newFile(dir, FILE_BYTES);
        final ByteBuffer memory = EngineRig.nativeMemory(CHUNK);
        final UnsafeBuffer view = new UnsafeBuffer(memory);
        final ByteBuffer check = ByteBuffer.allocateDirect(CHUNK + 4096).alignedSlice(4096);
        final Random random = new Random(11);
        try (AioFile file = AioFile.open(path, mode, false);
            EngineRig rig = new EngineRig(engineName, new AioConfig().queueDepth(4), 4);
            FileChannel device = FileChannel.open(path, StandardOpenOption.READ, AioFile.DIRECT))
        {
            for (int round = 0; round < 20; round++)
            {
                final byte[] data = new byte[CHUNK];
                random.nextBytes(data);
                view.putBytes(0, data);
                final long position = (long)random.nextInt(FILE_BYTES / CHUNK) * CHUNK;
                assertTrue(rig.engine.write(file, 1, position, EngineRig.address(memory), CHUNK));
                assertEquals(CHUNK, rig.one(1), "write " + round);
                assertTrue(rig.engine.sync(file, 2, (round & 1) == 0));
                assertEquals(0, rig.one(2), "flush " + round + ": " + Errno.name(rig.results[2]));
                check.clear().limit(CHUNK); // the aligned slice may be longer: past the last chunk is end of file
                while (check.hasRemaining())
                {
                    assertTrue(device.read(check, position + check.position()) > 0, "read back");
                }
                final byte[] got = new byte[CHUNK];
                check.flip().get(got);
                assertArrayEquals(data, got, "round " + round + " at " + position);
            }
            assertTrue(Arrays.stream(rig.results).allMatch(r -> r >= 0));
        }
    }
}
