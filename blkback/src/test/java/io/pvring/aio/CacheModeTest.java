package io.pvring.aio;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each cache mode opens the file with the flags it promises, read from the kernel ({@code /proc/self/fdinfo}),
 * on the very descriptor the io_uring engine submits on.
 */
class CacheModeTest
{
    // x86_64 values from include/uapi/asm-generic/fcntl.h, as fdinfo prints them (octal).
    private static final int O_ACCMODE = 03;
    private static final int O_RDWR = 02;
    private static final int O_DSYNC = 010000;
    private static final int O_DIRECT = 040000;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(CacheMode.class)
    void openFlagsMatchTheMode(final CacheMode mode) throws IOException
    {
        final Path path = EngineRig.newFile(dir, 1 << 20);
        try (AioFile file = AioFile.open(path, mode, false))
        {
            final int flags = fdinfoFlags(file.fd());
            assertEquals(O_RDWR, flags & O_ACCMODE, "read-write: flags=0" + Integer.toOctalString(flags));
            assertEquals(mode == CacheMode.NONE, (flags & O_DIRECT) != 0,
                "O_DIRECT iff cache=none: flags=0" + Integer.toOctalString(flags));
            assertEquals(mode == CacheMode.WRITETHROUGH, (flags & O_DSYNC) != 0,
                "O_DSYNC iff cache=writethrough: flags=0" + Integer.toOctalString(flags));
            assertEquals(mode == CacheMode.NONE ? 4096 : 1, file.alignment(), "alignment on this file system");
            assertEquals(mode != CacheMode.WRITETHROUGH, mode.needsFlush());
        }
    }

    @Test
    void readOnlyFileIsOpenedReadOnly() throws IOException
    {
        final Path path = EngineRig.newFile(dir, 1 << 20);
        try (AioFile file = AioFile.open(path, CacheMode.NONE, true))
        {
            final int flags = fdinfoFlags(file.fd());
            assertEquals(0, flags & O_ACCMODE, "O_RDONLY: flags=0" + Integer.toOctalString(flags));
            assertTrue(file.isReadOnly());
        }
    }

    @Test
    void parsesQemuNames()
    {
        assertEquals(CacheMode.NONE, CacheMode.parse("none"));
        assertEquals(CacheMode.WRITEBACK, CacheMode.parse("writeback"));
        assertEquals(CacheMode.WRITETHROUGH, CacheMode.parse("writethrough"));
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> CacheMode.parse("unsafe"));
        assertTrue(ex.getMessage().contains("cache=unsafe"), ex.getMessage());
    }

    static int fdinfoFlags(final int fd) throws IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd), StandardCharsets.US_ASCII))
        {
            if (line.startsWith("flags:"))
            {
                return Integer.parseInt(line.substring("flags:".length()).trim(), 8);
            }
        }
        throw new AssertionError("no flags line in /proc/self/fdinfo/" + fd);
    }
}
