package io.pvring.aio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Punch hole deallocates (the file's allocated blocks, as {@code stat} counts them, drop) and the range reads back
 * as zeros, the rest intact and the size unchanged; where an engine cannot, it says so and changes nothing.
 */
class PunchHoleTest
{
    private static final int FILE_BYTES = 8 << 20;
    private static final int HOLE_AT = 2 << 20;
    private static final int HOLE_BYTES = 4 << 20;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = CacheMode.class)
    void ioUringPunchesAHole(final CacheMode mode) throws Exception
    {
        final Path path = denseFile();
        final long blocksBefore = allocatedBlocks(path);
        assertTrue(blocksBefore >= FILE_BYTES / 512, "file is dense first: st_blocks=" + blocksBefore);
        final ByteBuffer memory = EngineRig.nativeMemory(64 * 1024);
        final UnsafeBuffer view = new UnsafeBuffer(memory);
        try (AioFile file = AioFile.open(path, mode, false);
            EngineRig rig = new EngineRig(IoUringEngine.NAME, new AioConfig().queueDepth(4), 4))
        {
            assertTrue(rig.engine.canPunchHole());
            assertTrue(rig.engine.punchHole(file, 1, HOLE_AT, HOLE_BYTES));
            assertEquals(0, rig.one(1), "punch hole: " + Errno.name(rig.results[1]));
            assertTrue(rig.engine.sync(file, 2, false));
            assertEquals(0, rig.one(2));

            assertTrue(rig.engine.read(file, 3, HOLE_AT + 8192, EngineRig.address(memory), 64 * 1024));
            assertEquals(64 * 1024, rig.one(3));
            for (int i = 0; i < 64 * 1024; i++)
            {
                assertEquals(0, view.getByte(i), "zero inside the hole at +" + i);
            }
            assertTrue(rig.engine.read(file, 0, HOLE_AT - 4096, EngineRig.address(memory), 4096));
            assertEquals(4096, rig.one(0));
            assertEquals((byte)0xA5, view.getByte(4095), "data before the hole kept");
        }
        final long blocksAfter = allocatedBlocks(path);
        assertTrue(blocksBefore - blocksAfter >= HOLE_BYTES / 512,
            "st_blocks dropped by the hole: before=" + blocksBefore + " after=" + blocksAfter);
        assertEquals(FILE_BYTES, Files.size(path), "FALLOC_FL_KEEP_SIZE");
    }

    @Test
    void threadsEngineSaysItCannotAndChangesNothing() throws Exception
    {
        final Path path = denseFile();
        final long blocksBefore = allocatedBlocks(path);
        try (AioFile file = AioFile.open(path, CacheMode.WRITEBACK, false);
            EngineRig rig = new EngineRig(ThreadPoolEngine.NAME, new AioConfig().queueDepth(4), 4))
        {
            assertFalse(rig.engine.canPunchHole());
            assertTrue(rig.engine.punchHole(file, 1, HOLE_AT, HOLE_BYTES));
            assertEquals(-Errno.EOPNOTSUPP, rig.one(1));
        }
        assertEquals(blocksBefore, allocatedBlocks(path));
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ))
        {
            final ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, HOLE_AT + 100);
            assertEquals((byte)0xA5, one.get(0), "data kept");
        }
    }

    private Path denseFile() throws IOException
    {
        final Path path = dir.resolve("dense.img");
        final ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
        while (chunk.hasRemaining())
        {
            chunk.put((byte)0xA5);
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE))
        {
            for (int i = 0; i < FILE_BYTES / chunk.capacity(); i++)
            {
                chunk.clear();
                channel.write(chunk, (long)i * chunk.capacity());
            }
            channel.force(true);
        }
        return path;
    }

    /** {@code st_blocks} (512-byte units), from coreutils' {@code stat}. */
    static long allocatedBlocks(final Path path) throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(List.of("stat", "-c", "%b", path.toString()))
            .redirectErrorStream(true).start();
        final String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "stat finished");
        assertEquals(0, process.exitValue(), "stat: " + out);
        return Long.parseLong(out.trim());
    }
}
