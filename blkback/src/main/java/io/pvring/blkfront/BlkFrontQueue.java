package io.pvring.blkfront;

import io.pvring.blkif.BlkifAbi;
import io.pvring.blkif.BlkifDescriptor;
import io.pvring.event.EventPort;
import io.pvring.grant.GrantTable;
import io.pvring.memory.GuestMemory;
import io.pvring.ring.FrontRing;
import io.pvring.ring.RingGeometry;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_DISCARD;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_FLUSH_DISKCACHE;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_READ;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_WRITE;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_WRITE_BARRIER;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static io.pvring.blkif.BlkifDescriptor.SECTOR_SHIFT;
import static io.pvring.blkif.BlkifDescriptor.SEGMENTS_PER_INDIRECT_FRAME;
import static io.pvring.blkif.BlkifDescriptor.SEGMENT_FIRST_SECT_OFFSET;
import static io.pvring.blkif.BlkifDescriptor.SEGMENT_GREF_OFFSET;
import static io.pvring.blkif.BlkifDescriptor.SEGMENT_LAST_SECT_OFFSET;
import static io.pvring.blkif.BlkifDescriptor.SEGMENT_LENGTH;

/**
 * One blkfront queue: a front ring in guest memory, a pool of data pages and the shadow of every request in flight.
 * Requests copy data through the pool's pages (granted once when persistent grants are on, per request otherwise),
 * so callers keep their own buffers.
 *
 * <p>The frontend never shares its own memory: the caller's buffers are never granted, only the pool's dedicated
 * pages (Linux blkfront's {@code trusted=0} bounce mode, here always on, so there is no switch for it). The pool is
 * zeroed when the queue is built (Linux allocates bounce pages {@code __GFP_ZERO}, XSA-403), so a granted page
 * only ever holds zeros or data this backend already read or wrote on this queue. Without {@code feature-persistent}
 * from the backend (see {@code dropPersistentGrants}) a pool page is granted only while a request uses it.
 * Single-threaded and allocation-free: one thread submits and polls.
 *
 * <p>The backend may be hostile: responses are copied out once, an unknown or idle {@code id} is counted and
 * ignored, and a response producer beyond the ring marks the queue broken.
 */
public final class BlkFrontQueue
{
    private static final int PAGE_SIZE = GuestMemory.PAGE_SIZE;
    private static final int SECTORS_PER_PAGE = PAGE_SIZE >> SECTOR_SHIFT;

    private final int queue;
    private final BlkifAbi abi;
    private final GrantTable grants;
    private final int backendDomid;
    private boolean persistent;
    private final int maxIndirectSegments;
    private final int handle;
    private final FrontRing front;
    private final int[] ringRefs;
    private final EventPort port;

    private final UnsafeBuffer[] pages;
    private final long[] pageGfn;
    private final int[] pageRef;
    private final int[] freePages;
    private int freePageCount;

    private final int[] freeIds;
    private int freeIdCount;
    private final boolean[] inFlight;
    private final int[] shadowOp;
    private final long[] shadowCookie;
    private final int[] shadowFirstSect;
    private final int[] shadowSectors;
    private final int[] shadowPageCount;
    private final int[][] shadowPages;
    private final MutableDirectBuffer[] shadowDst;
    private final int[] shadowDstOffset;

    private final UnsafeBuffer response;
    private boolean broken;
    private long badResponses;
    private long notifications;

    BlkFrontQueue(
        final int queue,
        final GuestMemory memory,
        final GrantTable grants,
        final int backendDomid,
        final BlkFrontConfig config,
        final long firstGfn,
        final EventPort port)
    {
        this.queue = queue;
        this.abi = BlkifAbi.forProtocol(config.protocol());
        this.grants = grants;
        this.backendDomid = backendDomid;
        this.persistent = config.persistentGrants();
        this.maxIndirectSegments = config.maxIndirectSegments();
        this.handle = config.handle();
        this.port = port;

        final int ringPages = 1 << config.ringPageOrder();
        final UnsafeBuffer ring = new UnsafeBuffer(new byte[0]);
        if (!memory.wrap(ring, firstGfn, ringPages))
        {
            throw new IllegalArgumentException("frames gfn=" + firstGfn + " count=" + ringPages + " not in memory");
        }
        front = new FrontRing(ring, RingGeometry.of(abi.slotBytes(), config.ringPageOrder())).init();
        ringRefs = new int[ringPages];
        for (int i = 0; i < ringPages; i++)
        {
            ringRefs[i] = claimGrant(firstGfn + i, false);
        }

        final int poolPages = config.poolPages();
        pages = new UnsafeBuffer[poolPages];
        pageGfn = new long[poolPages];
        pageRef = new int[poolPages];
        freePages = new int[poolPages];
        for (int i = 0; i < poolPages; i++)
        {
            final long gfn = firstGfn + ringPages + i;
            pages[i] = new UnsafeBuffer(new byte[0]);
            if (!memory.wrap(pages[i], gfn, 1))
            {
                throw new IllegalArgumentException("frame gfn=" + gfn + " not in memory");
            }
            pages[i].setMemory(0, PAGE_SIZE, (byte)0); // frames reused from earlier guest use may hold secrets
            pageGfn[i] = gfn;
            // Persistent grants are writable: the backend keeps one mapping for both directions.
            pageRef[i] = persistent ? claimGrant(gfn, false) : -1;
            freePages[freePageCount++] = poolPages - 1 - i;
        }

        final int entries = front.size();
        final int maxPages = config.maxSegments() + BlkifDescriptor.indirectPages(maxIndirectSegments);
        freeIds = new int[entries];
        for (int i = 0; i < entries; i++)
        {
            freeIds[freeIdCount++] = entries - 1 - i;
        }
        inFlight = new boolean[entries];
        shadowOp = new int[entries];
        shadowCookie = new long[entries];
        shadowFirstSect = new int[entries];
        shadowSectors = new int[entries];
        shadowPageCount = new int[entries];
        shadowPages = new int[entries][maxPages];
        shadowDst = new MutableDirectBuffer[entries];
        shadowDstOffset = new int[entries];
        response = new UnsafeBuffer(new byte[abi.slotBytes()]);
    }

    private int claimGrant(final long gfn, final boolean readonly)
    {
        final int ref = grants.grantAccess(backendDomid, gfn, readonly);
        if (ref < 0)
        {
            // The table must hold the ring and the whole pool: sizing it is the caller's job.
            throw new IllegalStateException("grant table full: gfn=" + gfn);
        }
        return ref;
    }

    public int queue()
    {
        return queue;
    }

    /** Grant refs of the ring pages ({@code ring-ref} / {@code ring-refN}). */
    public int[] ringRefs()
    {
        return ringRefs.clone();
    }

    public FrontRing frontRing()
    {
        return front;
    }

    public BlkifAbi abi()
    {
        return abi;
    }

    /** Requests submitted and not yet completed. */
    public int inFlight()
    {
        return front.size() - freeIdCount;
    }

    public boolean isBroken()
    {
        return broken;
    }

    /** Responses ignored because their id was unknown or idle (a misbehaving backend). */
    public long badResponses()
    {
        return badResponses;
    }

    public long notificationsSent()
    {
        return notifications;
    }

    /** Largest request in 512-byte sectors (data aligned to a page). */
    public int maxSectors()
    {
        return Math.max(BLKIF_MAX_SEGMENTS_PER_REQUEST, maxIndirectSegments) * SECTORS_PER_PAGE;
    }

    /** Reads {@code sectors} from {@code sector} into {@code dst} (null: discard the data, for benchmarks). */
    public boolean read(
        final long sector, final int sectors, final MutableDirectBuffer dst, final int dstOffset, final long cookie)
    {
        return submit(BLKIF_OP_READ, sector, sectors, 0, dst, dstOffset, null, 0, cookie);
    }

    public boolean write(
        final long sector, final int sectors, final DirectBuffer src, final int srcOffset, final long cookie)
    {
        return submit(BLKIF_OP_WRITE, sector, sectors, 0, null, 0, src, srcOffset, cookie);
    }

    /** {@code FLUSH_DISKCACHE} without data. */
    public boolean flush(final long cookie)
    {
        return submit(BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0, null, 0, null, 0, cookie);
    }

    /** {@code WRITE_BARRIER} without data. */
    public boolean barrier(final long cookie)
    {
        return submit(BLKIF_OP_WRITE_BARRIER, 0, 0, 0, null, 0, null, 0, cookie);
    }

    public boolean discard(final long sector, final long sectors, final boolean secure, final long cookie)
    {
        if (freeIdCount == 0 || front.isFull() || broken)
        {
            return false;
        }
        final int id = takeId(BLKIF_OP_DISCARD, cookie, 0, 0, null, 0);
        abi.putDiscard(front.buffer(), front.requestOffset(), secure ? BlkifDescriptor.BLKIF_DISCARD_SECURE : 0,
            handle, id, sector, sectors);
        front.nextRequest();
        return true;
    }

    /**
     * Queues one request (published by {@link #push()}).
     *
     * @param operation READ, WRITE, FLUSH_DISKCACHE or WRITE_BARRIER (the last two carry data when sectors &gt; 0).
     * @param firstSect sector within the first page where the data starts (0..7), to exercise partial pages.
     * @return false when the ring, the ids or the page pool are exhausted (back-pressure: poll, then retry).
     */
    public boolean submit(
        final int operation,
        final long sector,
        final int sectors,
        final int firstSect,
        final MutableDirectBuffer dst,
        final int dstOffset,
        final DirectBuffer src,
        final int srcOffset,
        final long cookie)
    {
        if (sectors < 0 || firstSect < 0 || firstSect >= SECTORS_PER_PAGE)
        {
            throw new IllegalArgumentException("sectors=" + sectors + " firstSect=" + firstSect);
        }
        final int nseg = sectors == 0 ? 0 : (firstSect + sectors + SECTORS_PER_PAGE - 1) / SECTORS_PER_PAGE;
        final boolean indirect = nseg > BLKIF_MAX_SEGMENTS_PER_REQUEST;
        if (indirect && (nseg > maxIndirectSegments || (operation != BLKIF_OP_READ && operation != BLKIF_OP_WRITE)))
        {
            throw new IllegalArgumentException("sectors=" + sectors + " needs nseg=" + nseg +
                " but maxIndirectSegments=" + maxIndirectSegments + " op=" + operation);
        }
        final int indirectPages = indirect ? BlkifDescriptor.indirectPages(nseg) : 0;
        if (broken || freeIdCount == 0 || front.isFull() || freePageCount < nseg + indirectPages)
        {
            return false;
        }
        final int id = takeId(operation, cookie, firstSect, sectors, dst, dstOffset);
        final boolean backendReadsData = operation != BLKIF_OP_READ;
        final MutableDirectBuffer slot = front.buffer();
        final int slotOffset = front.requestOffset();
        int remaining = sectors;
        int first = firstSect;
        int srcPos = srcOffset;
        UnsafeBuffer indirectPage = null;
        for (int i = 0; i < nseg; i++)
        {
            final int n = Math.min(remaining, SECTORS_PER_PAGE - first);
            if (indirect && i % SEGMENTS_PER_INDIRECT_FRAME == 0)
            {
                // Each group of 512 segments is preceded by its indirect page in the shadow's page list.
                final int ip = takePage(id, true);
                indirectPage = pages[ip];
                abi.putIndirectGref(slot, slotOffset, i / SEGMENTS_PER_INDIRECT_FRAME, pageRef[ip]);
            }
            final int page = takePage(id, backendReadsData);
            if (src != null && backendReadsData)
            {
                pages[page].putBytes(first << SECTOR_SHIFT, src, srcPos, n << SECTOR_SHIFT);
            }
            srcPos += n << SECTOR_SHIFT;
            final int ref = pageRef[page];
            if (indirect)
            {
                final int entry = (i % SEGMENTS_PER_INDIRECT_FRAME) * SEGMENT_LENGTH;
                indirectPage.putInt(entry + SEGMENT_GREF_OFFSET, ref, BlkifDescriptor.BYTE_ORDER);
                indirectPage.putByte(entry + SEGMENT_FIRST_SECT_OFFSET, (byte)first);
                indirectPage.putByte(entry + SEGMENT_LAST_SECT_OFFSET, (byte)(first + n - 1));
            }
            else
            {
                abi.putSegment(slot, slotOffset, i, ref, first, first + n - 1);
            }
            remaining -= n;
            first = 0;
        }
        if (indirect)
        {
            abi.putIndirect(slot, slotOffset, operation, nseg, handle, id, sector);
        }
        else
        {
            abi.putRequest(slot, slotOffset, operation, nseg, handle, id, sector);
        }
        front.nextRequest();
        return true;
    }

    private int takeId(
        final int operation,
        final long cookie,
        final int firstSect,
        final int sectors,
        final MutableDirectBuffer dst,
        final int dstOffset)
    {
        final int id = freeIds[--freeIdCount];
        inFlight[id] = true;
        shadowOp[id] = operation;
        shadowCookie[id] = cookie;
        shadowFirstSect[id] = firstSect;
        shadowSectors[id] = sectors;
        shadowPageCount[id] = 0;
        shadowDst[id] = dst;
        shadowDstOffset[id] = dstOffset;
        return id;
    }

    private int takePage(final int id, final boolean readonlyForBackend)
    {
        final int page = freePages[--freePageCount];
        if (!persistent)
        {
            pageRef[page] = claimGrant(pageGfn[page], readonlyForBackend);
        }
        shadowPages[id][shadowPageCount[id]++] = page;
        return page;
    }

    /**
     * {@code RING_PUSH_REQUESTS_AND_CHECK_NOTIFY}: publishes queued requests and notifies the backend only when
     * its {@code req_event} asks for it.
     *
     * @return true when a notification was sent.
     */
    public boolean push()
    {
        if (front.pushRequestsAndCheckNotify() && port != null && port.notifyRemote())
        {
            notifications++;
            return true;
        }
        return false;
    }

    /**
     * Consumes every available response: read data is copied to the caller's buffer, pages return to the pool,
     * and {@code handler} is told.
     *
     * @return responses consumed.
     */
    public int poll(final BlkCompletionHandler handler)
    {
        if (broken)
        {
            return 0;
        }
        final int rspProd = front.rspProd();
        if (front.responseProducerOverflow(rspProd))
        {
            broken = true;
            return 0;
        }
        int count = 0;
        while (front.rspCons() != rspProd)
        {
            front.copyResponse(response, 0);
            count++;
            final long rawId = abi.responseId(response, 0);
            if (rawId < 0 || rawId >= inFlight.length || !inFlight[(int)rawId])
            {
                badResponses++;
                continue;
            }
            final int id = (int)rawId;
            final int status = abi.responseStatus(response, 0);
            final int operation = shadowOp[id];
            if (operation == BLKIF_OP_READ && status == BLKIF_RSP_OKAY && shadowDst[id] != null)
            {
                copyOut(id);
            }
            releasePages(id);
            final long cookie = shadowCookie[id];
            shadowDst[id] = null;
            inFlight[id] = false;
            freeIds[freeIdCount++] = id;
            handler.onCompletion(cookie, operation, status);
        }
        return count;
    }

    /** {@code RING_FINAL_CHECK_FOR_RESPONSES}: arm the notification before sleeping; true if responses wait. */
    public boolean finalCheckForResponses()
    {
        return front.finalCheckForResponses();
    }

    private void copyOut(final int id)
    {
        final MutableDirectBuffer dst = shadowDst[id];
        int pos = shadowDstOffset[id];
        int remaining = shadowSectors[id];
        int first = shadowFirstSect[id];
        final int[] used = shadowPages[id];
        // An indirect page precedes each group of 512 data pages: skip it while walking.
        final boolean indirect = shadowPageCount[id] > nsegOf(id);
        int p = 0;
        for (int seg = 0; remaining > 0; seg++)
        {
            if (indirect && seg % SEGMENTS_PER_INDIRECT_FRAME == 0)
            {
                p++;
            }
            final int n = Math.min(remaining, SECTORS_PER_PAGE - first);
            pages[used[p++]].getBytes(first << SECTOR_SHIFT, dst, pos, n << SECTOR_SHIFT);
            pos += n << SECTOR_SHIFT;
            remaining -= n;
            first = 0;
        }
    }

    private int nsegOf(final int id)
    {
        final int sectors = shadowSectors[id];
        return sectors == 0 ? 0 : (shadowFirstSect[id] + sectors + SECTORS_PER_PAGE - 1) / SECTORS_PER_PAGE;
    }

    private void releasePages(final int id)
    {
        final int[] used = shadowPages[id];
        for (int i = 0; i < shadowPageCount[id]; i++)
        {
            final int page = used[i];
            if (!persistent)
            {
                if (!grants.endForeignAccessRef(pageRef[page]))
                {
                    // The backend still maps it: the page cannot be reused safely, so it leaves the pool.
                    badResponses++;
                    continue;
                }
                grants.releaseRef(pageRef[page]);
                pageRef[page] = -1;
            }
            freePages[freePageCount++] = page;
        }
        shadowPageCount[id] = 0;
    }

    /** True while the pool's pages stay granted across requests (persistent grants). */
    public boolean persistentGrants()
    {
        return persistent;
    }

    /**
     * The backend did not write {@code feature-persistent=1}: ends the pool's standing grants and grants each page
     * only for the request that uses it from now on, as Linux blkfront does when
     * {@code blkfront_gather_backend_features} reads {@code feature-persistent=0}. Acts only at connect, before any
     * request: a backend that flips the key while requests are in flight (a later Connected, such as a resize) is
     * ignored, as Linux gathers features only on the first Connected. A page whose grant the backend still maps (a
     * hostile backend) leaves the pool.
     */
    void dropPersistentGrants()
    {
        if (!persistent || freeIdCount != inFlight.length)
        {
            return;
        }
        persistent = false;
        int kept = 0;
        for (int i = 0; i < freePageCount; i++)
        {
            final int page = freePages[i];
            if (grants.endForeignAccessRef(pageRef[page]))
            {
                grants.releaseRef(pageRef[page]);
                pageRef[page] = -1;
                freePages[kept++] = page;
            }
            else
            {
                badResponses++;
            }
        }
        freePageCount = kept;
    }

    /** Ends access to the ring and every pool page (teardown after the backend disconnected). */
    void close()
    {
        broken = true;
        for (int id = 0; id < inFlight.length; id++)
        {
            if (inFlight[id])
            {
                releasePages(id);
                inFlight[id] = false;
                shadowDst[id] = null;
                freeIds[freeIdCount++] = id;
            }
        }
        for (final int ref : ringRefs)
        {
            if (grants.endForeignAccessRef(ref))
            {
                grants.releaseRef(ref);
            }
        }
        if (persistent)
        {
            for (final int ref : pageRef)
            {
                if (grants.endForeignAccessRef(ref))
                {
                    grants.releaseRef(ref);
                }
            }
        }
    }
}
