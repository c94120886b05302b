package io.pvring.memory;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.pvring.grant.BackendGrantMapper;
import io.pvring.grant.GrantStatus;
import io.pvring.host.Domain;
import io.pvring.host.Hypervisor;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Memory an emulator owns: a validated table of file regions with holes, never resized or deleted by pvring. */
class RegionGuestMemoryTest
{
    private static final long MIB = 1L << 20;

    private static Path file(final Path dir, final long bytes) throws Exception
    {
        final Path f = dir.resolve("ram");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw"))
        {
            raf.setLength(bytes);
        }
        return f;
    }

    @Test
    void tablesThatOverlapAreUnalignedEmptyOrTooLargeAreRefused(@TempDir final Path tmp)
    {
        final Path f = tmp.resolve("f");
        assertThrows(IllegalArgumentException.class, () -> MemoryTable.of(List.of()), "no region");
        final IllegalArgumentException overlap = assertThrows(IllegalArgumentException.class, () -> MemoryTable.of(
            List.of(new MemoryRegion(0, 2 * MIB, f, 0), new MemoryRegion(MIB, MIB, f, 0))));
        assertTrue(overlap.getMessage().contains("overlaps"), overlap.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MemoryTable.single(f, 100, MIB), "unaligned offset");
        assertThrows(IllegalArgumentException.class, () -> MemoryTable.single(f, 0, 4095), "unaligned size");
        assertThrows(IllegalArgumentException.class, () -> MemoryTable.single(f, 0, 0), "empty region");
        assertThrows(IllegalArgumentException.class, () -> MemoryTable.of(List.of(
            new MemoryRegion(GuestMemory.MAX_BYTES - 4096, 8192, f, 0))), "beyond 1 TiB");
        assertThrows(IllegalArgumentException.class, () -> MemoryTable.of(List.of(
            new MemoryRegion(4096, Long.MAX_VALUE & ~4095L, f, 0))), "a size that overflows");
        final List<MemoryRegion> many = new ArrayList<>();
        for (int i = 0; i <= MemoryTable.MAX_REGIONS; i++)
        {
            many.add(new MemoryRegion(i * 8192L, 4096, f, 0));
        }
        assertThrows(IllegalArgumentException.class, () -> MemoryTable.of(many), "one region too many");
        assertEquals(MemoryTable.MAX_REGIONS, MemoryTable.of(many.subList(0, MemoryTable.MAX_REGIONS)).regions()
            .size());
        assertEquals(List.of(0L, 2 * MIB), MemoryTable.of(List.of(new MemoryRegion(2 * MIB, MIB, f, 0),
            new MemoryRegion(0, MIB, f, MIB))).regions().stream().map(MemoryRegion::guestPhysAddr).toList(),
            "sorted by guest-physical address");
    }

    @Test
    void accessesHonourTheTableAndLandAtTheRegionsFileOffsets(@TempDir final Path tmp) throws Exception
    {
        final Path f = file(tmp, 3 * MIB);
        // [0, 1M) at file 2M, hole [1M, 4M), [4M, 5M) at file 0.
        try (RegionGuestMemory mem = RegionGuestMemory.map(MemoryTable.of(List.of(
            new MemoryRegion(0, MIB, f, 2 * MIB), new MemoryRegion(4 * MIB, MIB, f, 0)))))
        {
            assertEquals(5 * MIB / 4096, mem.frames());
            final UnsafeBuffer src = new UnsafeBuffer("abc".getBytes(StandardCharsets.US_ASCII));
            assertTrue(mem.putBytes(3, 10, src, 0, 3), "gfn 3 of region 0");
            assertTrue(mem.putBytes(1024 + 5, 0, src, 0, 3), "gfn 5 of region 1");
            final byte[] bytes = Files.readAllBytes(f);
            assertEquals('a', bytes[(int)(2 * MIB + 3 * 4096 + 10)], "region 0 starts at file offset 2 MiB");
            assertEquals('a', bytes[5 * 4096], "region 1 starts at file offset 0");

            final UnsafeBuffer page = new UnsafeBuffer(new byte[0]);
            assertTrue(mem.wrap(page, 255, 1), "the last frame of region 0");
            assertFalse(mem.wrap(page, 255, 2), "a run crossing region 0's end into the hole");
            assertFalse(mem.wrap(page, 256, 1), "the first frame of the hole");
            assertFalse(mem.wrap(page, 1023, 2), "a run from the hole into region 1");
            assertTrue(mem.wrap(page, 1024, 16), "16 frames at region 1's start");
            assertFalse(mem.wrap(page, 1280, 1), "beyond the last region");
            assertFalse(mem.wrap(page, -1, 1));
            final UnsafeBuffer dst = new UnsafeBuffer(new byte[8]);
            assertFalse(mem.getBytes(700, 0, dst, 0, 8), "a hole is not readable");
            assertFalse(mem.putBytes(700, 0, src, 0, 3), "nor writable");
            assertFalse(mem.getBytes(3, 4090, dst, 0, 8), "a range crossing its frame");
        }
        assertEquals(3 * MIB, Files.size(f), "the emulator's file keeps its size");
        assertTrue(Files.exists(f), "and stays");
    }

    @Test
    void filesThatAreShortNotRegularOrMissingAreRefusedAndNeverResized(@TempDir final Path tmp) throws Exception
    {
        final Path f = file(tmp, MIB);
        final IllegalArgumentException shortFile = assertThrows(IllegalArgumentException.class,
            () -> RegionGuestMemory.map(MemoryTable.single(f, 0, 2 * MIB)));
        assertTrue(shortFile.getMessage().contains("beyond"), shortFile.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RegionGuestMemory.map(MemoryTable.single(f, MIB, 4096)),
            "an offset at the end");
        assertEquals(MIB, Files.size(f), "a refused file is not extended");
        assertThrows(IllegalArgumentException.class, () -> RegionGuestMemory.map(MemoryTable.single(tmp, 0, 4096)),
            "a directory");
        assertThrows(IllegalArgumentException.class,
            () -> RegionGuestMemory.map(MemoryTable.single(tmp.resolve("none"), 0, 4096)), "a missing file");
        assertFalse(Files.exists(tmp.resolve("none")), "nothing is created");
    }

    @Test
    void aGrantOfAFrameInAHoleFailsThatMapOrCopyOnly(@TempDir final Path tmp) throws Exception
    {
        final Path f = file(tmp, 2 * MIB);
        try (Hypervisor hv = new Hypervisor())
        {
            // [0, 1M) and [2M, 3M): gfns 256..511 are a hole.
            final Domain g = hv.createDomain("g", 0, null, MemoryTable.of(List.of(new MemoryRegion(0, MIB, f, 0),
                new MemoryRegion(2 * MIB, MIB, f, MIB))));
            final BackendGrantMapper mapper = hv.grantMapper(Hypervisor.DOM0, g.domid(), 16);
            final int inHole = g.grantTable().grantAccess(Hypervisor.DOM0, 300, false);
            final int inRegion = g.grantTable().grantAccess(Hypervisor.DOM0, 600, false);
            assertEquals(GrantStatus.GNTST_BAD_PAGE, mapper.map(inHole, false), "a frame in the hole");
            assertEquals(GrantStatus.GNTST_BAD_PAGE, mapper.copyFromGuest(inHole, 0, new UnsafeBuffer(new byte[8]),
                0, 8));
            assertTrue(mapper.map(inRegion, false) >= 0, "a frame of region 1 maps");
            final UnsafeBuffer src = new UnsafeBuffer("ok".getBytes(StandardCharsets.US_ASCII));
            assertEquals(GrantStatus.GNTST_OKAY, mapper.copyToGuest(inRegion, 0, src, 0, 2));
            assertEquals('o', Files.readAllBytes(f)[(int)(MIB + (600 - 512) * 4096)], "at region 1's file offset");
            mapper.close();
        }
    }

    @Test
    void aGuestOnTheEmulatorsMemoryKeepsItsFileAndMemoryIsReplacedOnlyWithoutConnectedDevices(
        @TempDir final Path tmp) throws Exception
    {
        final Path f = file(tmp, 4 * MIB);
        final Path dir = Files.createDirectories(tmp.resolve("shared"));
        try (Hypervisor hv = new Hypervisor())
        {
            final Domain g = hv.createDomain("g", 0, dir, MemoryTable.single(f, MIB, 2 * MIB));
            assertNull(g.memoryFile(), "no dom<id>.mem for emulator-owned memory");
            assertFalse(Files.exists(dir.resolve("dom" + g.domid() + ".mem")));
            assertEquals(2 * MIB / 4096, g.memory().frames());

            final Domain own = hv.createDomain("own", 4 * MIB, dir);
            final Path ownFile = own.memoryFile();
            assertTrue(Files.exists(ownFile));
            final BackendGrantMapper mapper = hv.grantMapper(Hypervisor.DOM0, own.domid(), 16);
            final IllegalStateException busy = assertThrows(IllegalStateException.class,
                () -> hv.replaceMemory(own.domid(), MemoryTable.single(f, 0, MIB)));
            assertTrue(busy.getMessage().contains("connected device"), busy.getMessage());
            assertTrue(Files.exists(ownFile), "nothing changed");
            mapper.close();
            hv.replaceMemory(own.domid(), MemoryTable.single(f, 0, MIB));
            assertFalse(Files.exists(ownFile), "pvring's own file goes");
            assertTrue(own.memory() instanceof RegionGuestMemory);
            hv.replaceMemory(own.domid(), MemoryTable.single(f, MIB, MIB)); // again, still nothing connected
            assertThrows(IllegalArgumentException.class,
                () -> hv.replaceMemory(own.domid(), MemoryTable.single(f, 0, 8 * MIB)), "a file too short");
            assertEquals(MIB, own.memory().frames() * 4096, "a refused table leaves the memory as it was");

            assertTrue(hv.destroyDomain(g.domid()));
            assertTrue(hv.destroyDomain(own.domid()));
        }
        assertTrue(Files.exists(f), "the emulator's file outlives its guests");
        assertEquals(4 * MIB, Files.size(f));
    }
}
