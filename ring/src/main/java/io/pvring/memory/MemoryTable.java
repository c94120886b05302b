package io.pvring.memory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A validated table of guest-physical ranges to file ranges, like vhost-user's {@code SET_MEM_TABLE}: at most
 * {@link #MAX_REGIONS} regions, each page aligned, inside {@link GuestMemory#MAX_BYTES}, none overlapping another;
 * gaps between them are holes (an access there fails). Sorted by guest-physical address. Whether each file is
 * long enough is checked when it is mapped ({@link RegionGuestMemory#map}).
 */
public final class MemoryTable
{
    /** Most regions in a table: bounds what one client can make the server map and hold. */
    public static final int MAX_REGIONS = 32;

    private final List<MemoryRegion> regions;

    private MemoryTable(final List<MemoryRegion> regions)
    {
        this.regions = regions;
    }

    /** One region from guest-physical 0: {@code bytes} at {@code offset} of {@code file}. */
    public static MemoryTable single(final Path file, final long offset, final long bytes)
    {
        return of(List.of(new MemoryRegion(0, bytes, file, offset)));
    }

    /**
     * The table of {@code regions} (any order).
     *
     * @throws IllegalArgumentException naming the first region that is empty, unaligned, beyond 1 TiB or overlaps
     *     another, or when there are none or more than {@link #MAX_REGIONS}.
     */
    public static MemoryTable of(final List<MemoryRegion> regions)
    {
        if (regions.isEmpty() || regions.size() > MAX_REGIONS)
        {
            throw new IllegalArgumentException("regions=" + regions.size() + " must be 1.." + MAX_REGIONS);
        }
        final List<MemoryRegion> sorted = new ArrayList<>(regions);
        sorted.sort(Comparator.comparingLong(MemoryRegion::guestPhysAddr));
        MemoryRegion previous = null;
        for (final MemoryRegion r : sorted)
        {
            check(r);
            if (null != previous && r.guestPhysAddr() < previous.guestPhysAddr() + previous.size())
            {
                throw new IllegalArgumentException("region " + describe(r) + " overlaps " + describe(previous));
            }
            previous = r;
        }
        return new MemoryTable(List.copyOf(sorted));
    }

    private static void check(final MemoryRegion r)
    {
        final long mask = GuestMemory.PAGE_SIZE - 1;
        if (r.size() <= 0 || (r.size() & mask) != 0 || r.guestPhysAddr() < 0 || (r.guestPhysAddr() & mask) != 0 ||
            r.fileOffset() < 0 || (r.fileOffset() & mask) != 0)
        {
            throw new IllegalArgumentException("region " + describe(r) + ": address, size and offset must be " +
                "multiples of " + GuestMemory.PAGE_SIZE + ", size positive");
        }
        if (r.size() > GuestMemory.MAX_BYTES - r.guestPhysAddr() || r.size() > Long.MAX_VALUE - r.fileOffset())
        {
            throw new IllegalArgumentException("region " + describe(r) + " ends beyond guest-physical " +
                GuestMemory.MAX_BYTES);
        }
        if (null == r.file())
        {
            throw new IllegalArgumentException("region " + describe(r) + " has no file");
        }
    }

    static String describe(final MemoryRegion r)
    {
        return "[0x" + Long.toHexString(r.guestPhysAddr()) + ", +0x" + Long.toHexString(r.size()) + ") at offset 0x" +
            Long.toHexString(r.fileOffset()) + " of " + r.file();
    }

    /** The regions, by guest-physical address. */
    public List<MemoryRegion> regions()
    {
        return regions;
    }

    /** One past the highest guest-physical byte any region holds. */
    public long endAddress()
    {
        final MemoryRegion last = regions.get(regions.size() - 1);
        return last.guestPhysAddr() + last.size();
    }

    @Override
    public String toString()
    {
        final StringBuilder sb = new StringBuilder("MemoryTable{");
        for (final MemoryRegion r : regions)
        {
            sb.append(describe(r)).append(r == regions.get(regions.size() - 1) ? "" : ", ");
        }
        return sb.append('}').toString();
    }
}
