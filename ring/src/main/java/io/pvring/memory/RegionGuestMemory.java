package io.pvring.memory;

import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * {@link GuestMemory} that an emulator owns: the regions of a {@link MemoryTable}, each a {@link MappedGuestMemory}
 * over its file range, with holes between them. A frame in a hole, or a run of frames that crosses a region's
 * end, is refused like a frame beyond memory (the request that named it fails, nothing else): regions are
 * separate mappings, so a run may not span two even where they are adjacent in guest-physical space.
 *
 * <p>Lookup is a binary search over at most {@link MemoryTable#MAX_REGIONS} region starts, allocation-free.
 * Closing unmaps every region; the files are the emulator's and stay as they are (never truncated or deleted).
 */
public final class RegionGuestMemory implements GuestMemory
{
    private final MemoryTable table;
    private final long[] firstGfns;
    private final long[] endGfns;
    private final MappedGuestMemory[] regions;
    private final long frames;

    private RegionGuestMemory(final MemoryTable table, final MappedGuestMemory[] regions)
    {
        this.table = table;
        final List<MemoryRegion> list = table.regions();
        this.firstGfns = new long[list.size()];
        this.endGfns = new long[list.size()];
        for (int i = 0; i < list.size(); i++)
        {
            firstGfns[i] = list.get(i).firstGfn();
            endGfns[i] = list.get(i).endGfn();
        }
        this.regions = regions;
        this.frames = table.endAddress() >>> PAGE_SHIFT;
    }

    /**
     * Opens and maps (lazily, per GiB) every region of {@code table}. The paths need to stay valid only during
     * this call: a passed descriptor may be closed afterwards.
     *
     * @throws IllegalArgumentException when a file is not a regular file or is shorter than its region.
     * @throws java.io.UncheckedIOException when a file cannot be opened for reading and writing.
     */
    public static RegionGuestMemory map(final MemoryTable table)
    {
        final List<MemoryRegion> list = table.regions();
        final MappedGuestMemory[] mapped = new MappedGuestMemory[list.size()];
        try
        {
            for (int i = 0; i < mapped.length; i++)
            {
                final MemoryRegion r = list.get(i);
                mapped[i] = MappedGuestMemory.existing(r.file(), r.fileOffset(), r.size());
            }
            return new RegionGuestMemory(table, mapped);
        }
        catch (final RuntimeException ex)
        {
            for (final MappedGuestMemory m : mapped)
            {
                if (null != m)
                {
                    m.close();
                }
            }
            throw ex;
        }
    }

    public MemoryTable table()
    {
        return table;
    }

    /** Guest-physical frames up to the end of the highest region (holes included). */
    @Override
    public long frames()
    {
        return frames;
    }

    @Override
    public boolean contains(final long gfn)
    {
        return regionOf(gfn) >= 0;
    }

    @Override
    public boolean wrap(final UnsafeBuffer flyweight, final long gfn, final int count)
    {
        final int i = regionOf(gfn);
        return i >= 0 && regions[i].wrap(flyweight, gfn - firstGfns[i], count);
    }

    @Override
    public boolean getBytes(
        final long gfn, final int offset, final MutableDirectBuffer dst, final int dstOffset, final int length)
    {
        final int i = regionOf(gfn);
        return i >= 0 && regions[i].getBytes(gfn - firstGfns[i], offset, dst, dstOffset, length);
    }

    @Override
    public boolean putBytes(
        final long gfn, final int offset, final DirectBuffer src, final int srcOffset, final int length)
    {
        final int i = regionOf(gfn);
        return i >= 0 && regions[i].putBytes(gfn - firstGfns[i], offset, src, srcOffset, length);
    }

    @Override
    public boolean intact()
    {
        for (final MappedGuestMemory m : regions)
        {
            if (!m.intact())
            {
                return false;
            }
        }
        return true;
    }

    /** Unmaps every region; the files stay. Idempotent. */
    @Override
    public void close()
    {
        for (final MappedGuestMemory m : regions)
        {
            m.close();
        }
    }

    @Override
    public String toString()
    {
        return "RegionGuestMemory{" + table + '}';
    }

    /** The region holding {@code gfn}, or -1 for a hole or beyond the last region. */
    private int regionOf(final long gfn)
    {
        int lo = 0;
        int hi = firstGfns.length - 1;
        while (lo <= hi)
        {
            final int mid = (lo + hi) >>> 1;
            if (gfn < firstGfns[mid])
            {
                hi = mid - 1;
            }
            else if (gfn >= endGfns[mid])
            {
                lo = mid + 1;
            }
            else
            {
                return mid;
            }
        }
        return -1;
    }
}
