package io.pvring.bench.blk;

import java.util.Set;

import io.pvring.blkback.store.DiskSpec;
import io.pvring.blkback.store.DiskStores;
import io.pvring.blkif.BlkifDescriptor;
import io.pvring.event.WaitMode;
import io.pvring.ring.SharedRingDescriptor;

/**
 * One blk run: store, access pattern, block size, queue depth per queue, queues, ring order, indirect segments,
 * persistent grants, how both sides wait, optional rate. Checked before anything starts; messages name the option.
 *
 * @param store      {@code null} or {@code memory} (sized by {@code sizeBytes}), or a disk specification as
 *                   {@code serve --disk} takes it ({@link DiskSpec}: {@code file:PATH,cache=...},
 *                   {@code memory:SIZE}...).
 * @param sizeBytes  disk size (a file that exists keeps its own size).
 * @param waitMode   how both sides wait: {@code poll}, {@code notify} or {@code adaptive}.
 * @param rate       offered IOPS over all queues, 0 for closed loop.
 */
public record BlkBenchConfig(
    String store,
    long sizeBytes,
    BlkPattern pattern,
    int blockSize,
    int queueDepth,
    int queues,
    int ringOrder,
    int indirectSegments,
    boolean persistent,
    WaitMode waitMode,
    long rate)
{
    public static final int SECTOR = 512;
    public static final int PAGE = 4096;
    /** blkif slots are 112 bytes: 32 per page. */
    public static final int SLOT_BYTES = 112;

    public BlkBenchConfig
    {
        // Bare null and memory take their size from --size; anything else is a disk specification, as serve --disk.
        if (!store.equals("null") && !store.equals("memory"))
        {
            DiskStores.checkAvailable(diskSpec(store));
        }
        if (blockSize < SECTOR || blockSize % SECTOR != 0)
        {
            throw new IllegalArgumentException("--bs must be a multiple of 512 bytes, got " + blockSize);
        }
        if (ringOrder < 0 || ringOrder > SharedRingDescriptor.MAX_RING_PAGE_ORDER)
        {
            throw new IllegalArgumentException("--ring-order must be 0.." + SharedRingDescriptor.MAX_RING_PAGE_ORDER
                + ", got " + ringOrder);
        }
        if (indirectSegments != 0 && (indirectSegments <= BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST
            || indirectSegments > BlkifDescriptor.MAX_INDIRECT_SEGMENTS))
        {
            throw new IllegalArgumentException("--indirect must be 0 or "
                + (BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST + 1) + ".." + BlkifDescriptor.MAX_INDIRECT_SEGMENTS
                + ", got " + indirectSegments);
        }
        final int segments = segments(blockSize);
        final int maxSegments = Math.max(BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST, indirectSegments);
        if (segments > maxSegments)
        {
            throw new IllegalArgumentException("--bs " + blockSize + " needs " + segments + " segments: at most "
                + maxSegments * PAGE / 1024 + "k" + (indirectSegments == 0
                ? " without --indirect (direct requests carry 11 pages)" : " with --indirect " + indirectSegments));
        }
        final int entries = SharedRingDescriptor.entries(SLOT_BYTES, ringOrder);
        if (queueDepth < 1 || queueDepth > entries)
        {
            throw new IllegalArgumentException("--qd must be 1.." + entries + " (ring entries at --ring-order "
                + ringOrder + "), got " + queueDepth);
        }
        if (queues < 1 || queues > 16)
        {
            throw new IllegalArgumentException("--queues must be 1..16, got " + queues);
        }
        if (sizeBytes < blockSize || sizeBytes % SECTOR != 0)
        {
            throw new IllegalArgumentException("--size must be a multiple of 512 and at least --bs, got " + sizeBytes);
        }
        if (waitMode == null || waitMode == WaitMode.BACKOFF)
        {
            throw new IllegalArgumentException("--wait must be poll, notify or adaptive, got " + waitMode);
        }
        if (rate < 0)
        {
            throw new IllegalArgumentException("--rate must be a positive number of IOPS, got " + rate);
        }
    }

    /** Both sides spin: no event channels at all. */
    public boolean poll()
    {
        return waitMode == WaitMode.POLL;
    }

    static int segments(final int blockSize)
    {
        return (blockSize + PAGE - 1) / PAGE;
    }

    /** Data pages plus indirect pages one request uses. */
    int pagesPerRequest()
    {
        final int segments = segments(blockSize);
        return segments + (segments > BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST
            ? BlkifDescriptor.indirectPages(segments) : 0);
    }

    public int entries()
    {
        return SharedRingDescriptor.entries(SLOT_BYTES, ringOrder);
    }

    /** The store name as a parameter: {@code file} for any path (the path is environment, not workload). */
    public String storeKind()
    {
        return store.equals("null") || store.equals("memory") ? store : diskSpec(store).kind().token();
    }

    /** The parsed store, or null for a bare {@code null} or {@code memory}. */
    public DiskSpec disk()
    {
        return store.equals("null") || store.equals("memory") ? null : diskSpec(store);
    }

    private static DiskSpec diskSpec(final String store)
    {
        return DiskSpec.parse("--store", store, Set.of(), Set.of());
    }
}
