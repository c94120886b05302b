package io.pvring.memory;

import java.nio.file.Path;

/**
 * One range of guest-physical memory that lives in a range of a file someone else owns: vhost-user's
 * {@code VhostUserMemoryRegion} ({@code guest_phys_addr}, {@code memory_size}, {@code mmap_offset}), with the file
 * named by a path (for a passed descriptor, {@code /proc/self/fd/N} while it is open).
 *
 * @param guestPhysAddr first guest-physical byte, a multiple of 4 KiB.
 * @param size          bytes, a positive multiple of 4 KiB.
 * @param file          the file holding them.
 * @param fileOffset    where {@code guestPhysAddr} is in the file, a multiple of 4 KiB.
 */
public record MemoryRegion(long guestPhysAddr, long size, Path file, long fileOffset)
{
    /** The first guest frame of the region. */
    public long firstGfn()
    {
        return guestPhysAddr >>> GuestMemory.PAGE_SHIFT;
    }

    /** One past the last guest frame of the region. */
    public long endGfn()
    {
        return (guestPhysAddr + size) >>> GuestMemory.PAGE_SHIFT;
    }
}
