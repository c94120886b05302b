package io.pvring.memory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.pvring.memory.GuestMemory.PAGE_SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MappedGuestMemoryTest
{
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;
    private static final long FRAMES_PER_CHUNK = MappedGuestMemory.CHUNK_BYTES / PAGE_SIZE;

    private final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);
    private final UnsafeBuffer other = new UnsafeBuffer(new byte[0]);

    @Test
    void wrapRejectsRangesOutsideMemory()
    {
        try (GuestMemory memory = GuestMemory.anonymous(MIB))
        {
            assertEquals(256, memory.frames());
            assertTrue(memory.wrap(view, 0, 1));
            assertEquals(PAGE_SIZE, view.capacity());
            assertTrue(memory.wrap(view, 240, 16));
            assertEquals(16 * PAGE_SIZE, view.capacity());
            assertFalse(memory.wrap(view, 256, 1));
            assertFalse(memory.wrap(view, 250, 7));
            assertFalse(memory.wrap(view, -1, 1));
            assertFalse(memory.wrap(view, 0, 0));
            assertFalse(memory.wrap(view, 0, -1));
            assertFalse(memory.wrap(view, Long.MAX_VALUE, 1));
        }
    }

    @Test
    void sizesMustBeWholeFramesUpToOneTebibyte()
    {
        assertThrows(IllegalArgumentException.class, () -> GuestMemory.anonymous(0));
        assertThrows(IllegalArgumentException.class, () -> GuestMemory.anonymous(PAGE_SIZE + 1));
        assertThrows(IllegalArgumentException.class, () -> GuestMemory.anonymous(GuestMemory.MAX_BYTES + PAGE_SIZE));
    }

    @Test
    void oneTebibyteIsAddressableAndMappedLazily()
    {
        try (MappedGuestMemory memory = GuestMemory.anonymous(GuestMemory.MAX_BYTES))
        {
            final long last = memory.frames() - 1;
            assertEquals((1L << 40) / PAGE_SIZE, memory.frames());
            assertEquals(0, memory.mappedChunks());
            assertTrue(memory.wrap(view, last, 1));
            view.putLong(PAGE_SIZE - 8, 0x1122_3344_5566_7788L);
            assertTrue(memory.wrap(other, last, 1));
            assertEquals(0x1122_3344_5566_7788L, other.getLong(PAGE_SIZE - 8));
            assertEquals(1, memory.mappedChunks());
        }
    }

    @Test
    void sixteenFramesAcrossAChunkBoundaryAreContiguousAndAliasTheNextChunk()
    {
        try (MappedGuestMemory memory = GuestMemory.anonymous(2 * GIB + 64 * PAGE_SIZE))
        {
            for (long first = FRAMES_PER_CHUNK - 15; first <= FRAMES_PER_CHUNK; first++)
            {
                assertTrue(memory.wrap(view, first, 16), "first=" + first);
                for (int i = 0; i < 16; i++)
                {
                    view.putLong(i * PAGE_SIZE + 8, first * 1000 + i);
                }
                for (int i = 0; i < 16; i++)
                {
                    // Each frame on its own resolves through its own chunk's mapping: same bytes.
                    assertTrue(memory.wrap(other, first + i, 1));
                    assertEquals(first * 1000 + i, other.getLong(8), "frame " + (first + i));
                }
            }
            assertEquals(2, memory.mappedChunks());
            assertTrue(memory.wrap(view, 2 * FRAMES_PER_CHUNK - 16, 16 + 16), "fits within chunk 1 and its overlap");
            assertFalse(memory.wrap(view, FRAMES_PER_CHUNK - 16, 17 + 16), "longer than the overlap");
        }
    }

    @Test
    void residentMemoryGrowsOnlyWithPagesTouched(@TempDir final Path dir) throws Exception
    {
        final Path path = dir.resolve("guest.mem");
        try (MappedGuestMemory memory = GuestMemory.file(path, 4 * GIB))
        {
            assertEquals(0, allocatedBytes(path));
            for (final long gfn : new long[]{0, 12345, memory.frames() - 1})
            {
                assertTrue(memory.wrap(view, gfn, 1));
                view.putByte(100, (byte)1);
            }
            assertEquals(4 * GIB, Files.size(path));
            assertEquals(3 * PAGE_SIZE, allocatedBytes(path));
        }
    }

    @Test
    void anonymousMemoryIsADeletedSparseFile() throws Exception
    {
        try (MappedGuestMemory memory = GuestMemory.anonymous(GIB))
        {
            assertTrue(memory.isAnonymous());
            assertFalse(Files.exists(memory.path()));
            final Path fd = openDescriptorOf(memory.path());
            assertNotNull(fd, "no descriptor open on " + memory.path());
            assertEquals(0, allocatedBytes(fd));
            assertTrue(memory.wrap(view, 7, 2));
            view.setMemory(0, 2 * PAGE_SIZE, (byte)0x5A);
            assertEquals(2 * PAGE_SIZE, allocatedBytes(fd));
        }
    }

    @Test
    void aFileMappedByAnotherMapperSharesTheBytes(@TempDir final Path dir)
    {
        final Path path = dir.resolve("shared.mem");
        final byte[] text = "written by the emulator".getBytes(StandardCharsets.US_ASCII);
        try (GuestMemory emulator = GuestMemory.file(path, 16 * MIB);
            GuestMemory peer = GuestMemory.file(path, 16 * MIB))
        {
            assertTrue(emulator.wrap(view, 4095, 1));
            view.putBytes(17, text);
            final byte[] read = new byte[text.length];
            assertTrue(peer.getBytes(4095, 17, new UnsafeBuffer(read), 0, read.length));
            assertEquals("written by the emulator", new String(read, StandardCharsets.US_ASCII));
        }
        assertTrue(Files.exists(path), "a named file outlives the memory");
    }

    @Test
    void copiesStayInsideOneFrame()
    {
        try (GuestMemory memory = GuestMemory.anonymous(MIB))
        {
            final UnsafeBuffer data = new UnsafeBuffer(new byte[PAGE_SIZE]);
            data.setMemory(0, PAGE_SIZE, (byte)7);
            assertTrue(memory.putBytes(3, 0, data, 0, PAGE_SIZE));
            assertTrue(memory.putBytes(3, 4000, data, 0, 96));
            assertFalse(memory.putBytes(3, 4000, data, 0, 97));
            assertFalse(memory.putBytes(3, -1, data, 0, 1));
            assertFalse(memory.putBytes(256, 0, data, 0, 1));
            assertFalse(memory.putBytes(3, 0, data, 4000, 97));
            final UnsafeBuffer out = new UnsafeBuffer(new byte[64]);
            assertTrue(memory.getBytes(3, 4032, out, 0, 64));
            assertEquals(7, out.getByte(63));
            assertFalse(memory.getBytes(3, 4033, out, 0, 64));
            assertFalse(memory.getBytes(3, 0, out, 1, 64));
        }
    }

    @Test
    void closeIsIdempotentAndStopsWrapping()
    {
        final MappedGuestMemory memory = GuestMemory.anonymous(MIB);
        assertTrue(memory.wrap(view, 1, 1));
        memory.close();
        memory.close();
        assertTrue(memory.isClosed());
        assertFalse(memory.wrap(view, 1, 1));
        assertFalse(memory.getBytes(1, 0, new UnsafeBuffer(new byte[8]), 0, 8));
        assertEquals(0, memory.mappedChunks());
    }

    private static Path openDescriptorOf(final Path deleted) throws IOException
    {
        final String target = deleted + " (deleted)";
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd")))
        {
            for (final Path fd : fds)
            {
                try
                {
                    if (target.equals(Files.readSymbolicLink(fd).toString()))
                    {
                        return Path.of("/proc/" + ProcessHandle.current().pid() + "/fd/" + fd.getFileName());
                    }
                }
                catch (final IOException ignore)
                {
                    // the directory stream's own descriptor vanishes while listing
                }
            }
        }
        return null;
    }

    /** st_blocks * 512 from coreutils stat: Java has no portable view of a file's allocated blocks. */
    private static long allocatedBytes(final Path path) throws Exception
    {
        final Process stat = new ProcessBuilder("stat", "-L", "-c", "%b %B", path.toString())
            .redirectErrorStream(true).start();
        final String out = new String(stat.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertTrue(stat.waitFor(30, TimeUnit.SECONDS), "stat timed out");
        assertEquals(0, stat.exitValue(), out);
        final String[] parts = out.split(" ");
        return Long.parseLong(parts[0]) * Long.parseLong(parts[1]);
    }
}
