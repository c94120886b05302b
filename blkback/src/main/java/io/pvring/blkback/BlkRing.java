package io.pvring.blkback;

import io.pvring.blkback.store.BlockStore;
import io.pvring.blkif.BlkifAbi;
import io.pvring.blkif.BlkifDescriptor;
import io.pvring.event.EventPort;
import io.pvring.grant.GrantMapper;
import io.pvring.ring.BackRing;
import io.pvring.ring.RingGeometry;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_DISCARD_SECURE;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_DISCARD;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_FLUSH_DISKCACHE;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_INDIRECT;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_READ;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_WRITE;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_WRITE_BARRIER;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_EOPNOTSUPP;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_ERROR;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static io.pvring.blkif.BlkifDescriptor.MAX_INDIRECT_SEGMENTS;
import static io.pvring.blkif.BlkifDescriptor.MAX_SECT_IN_PAGE;
import static io.pvring.blkif.BlkifDescriptor.SECTOR_SHIFT;
import static io.pvring.blkif.BlkifDescriptor.SEGMENTS_PER_INDIRECT_FRAME;
import static io.pvring.blkif.BlkifDescriptor.SEGMENT_FIRST_SECT_OFFSET;
import static io.pvring.blkif.BlkifDescriptor.SEGMENT_GREF_OFFSET;
import static io.pvring.blkif.BlkifDescriptor.SEGMENT_LAST_SECT_OFFSET;
import static io.pvring.blkif.BlkifDescriptor.SEGMENT_LENGTH;

/**
 * One blkif ring (queue) of a device, served as an Agrona {@link Agent}: copy each request out of the shared ring
 * once, validate the private copy, execute it against the {@link BlockStore}, write the response field by field,
 * and push responses once per batch, notifying the frontend only when its {@code rsp_event} asks for it.
 *
 * <p>Every guest mistake is answered, never thrown: an unknown operation gets {@code BLKIF_RSP_EOPNOTSUPP}; bad
 * segments, ranges, alignment, grants, or a write-like operation on a read-only disk get {@code BLKIF_RSP_ERROR}
 * with no data touched, and the ring keeps serving. Only a producer index beyond the ring stops it, and the
 * {@link Listener} disconnects the device. Requests execute synchronously in ring order, so nothing is in flight
 * when a barrier or flush starts: the "drain" of a barrier is implicit.
 *
 * <p>A {@code BLKIF_OP_WRITE_BARRIER} orders the requests of its own ring only, not those of the device's other
 * queues. That is Linux xen-blkback's behaviour: {@code dispatch_rw_block_io} calls
 * {@code xen_blk_drain_io(pending_req->ring)} for a barrier, and {@code xen_blk_drain_io} waits until
 * {@code atomic_read(&ring->inflight) == 0}, the in-flight count of that one {@code xen_blkif_ring}
 * (drivers/block/xen-blkback/blkback.c); a frontend that needs ordering across queues must wait for the
 * responses itself, as Linux blkfront does (it never offers barriers with several queues in flight).
 *
 * <p>Persistent grants are purged from this loop, not from another thread: at most every 100 ms (Linux
 * {@code LRU_INTERVAL}) the ring unmaps mappings unused for {@link BlkBackConfig#persistentGrantUnusedSeconds()}
 * and, after the cache overflowed, the 5 % least recently used, timed by {@link BlkBackConfig#nanoClock()}.
 *
 * <p>Single-threaded: one thread runs {@link #doWork()}; nothing on that path allocates or locks.
 */
public final class BlkRing implements Agent
{
    /** Told when a ring stops because the frontend broke the protocol. */
    public interface Listener
    {
        void onRingBroken(BlkRing ring, String reason);
    }

    private static final int PAGE_SIZE = 4096;
    private static final int NO_HANDLE = -1;

    private final String roleName;
    private final AtomicBuffer ring;
    private final BackRing back;
    private final BlkifAbi abi;
    private final GrantMapper mapper;
    private final BlockStore store;
    private final EventPort port;
    private final BlkRingCounters counters;
    private final Listener listener;
    private final PersistentGrantCache persistent;
    private final NanoClock nanoClock;
    private final boolean polling;
    private final boolean readOnly;
    private final boolean flushOffered;
    private final boolean discardOffered;
    private final boolean secureDiscardOffered;
    private final int maxIndirectSegments;
    private final int batchLimit;
    private final int sectorMask;

    private final UnsafeBuffer request;
    private final UnsafeBuffer indirectPages;
    private final UnsafeBuffer page = new UnsafeBuffer(new byte[0]);
    private final int[] segRef = new int[MAX_INDIRECT_SEGMENTS];
    private final int[] segFirst = new int[MAX_INDIRECT_SEGMENTS];
    private final int[] segSectors = new int[MAX_INDIRECT_SEGMENTS];
    private final int[] segHandle = new int[MAX_INDIRECT_SEGMENTS];
    private final boolean[] segKept = new boolean[MAX_INDIRECT_SEGMENTS];

    private long pendingRequests;
    private long pendingErrors;
    private long pendingMaps;
    private long pendingCopies;
    private long pendingHits;
    private volatile boolean stopped;
    private volatile boolean terminating;
    private boolean closed;

    /**
     * @param ring the mapped shared ring ({@code PAGE_SIZE << pageOrder} bytes).
     * @param port the ring's event channel, or null for a ring that is only polled and never notifies.
     * @param persistentGrants true when both ends wrote {@code feature-persistent=1}.
     */
    public BlkRing(
        final String roleName,
        final AtomicBuffer ring,
        final int pageOrder,
        final BlkifAbi abi,
        final GrantMapper mapper,
        final BlockStore store,
        final BlkBackConfig config,
        final EventPort port,
        final boolean persistentGrants,
        final BlkRingCounters counters,
        final Listener listener)
    {
        this.roleName = roleName;
        this.ring = ring;
        this.back = new BackRing(ring, RingGeometry.of(abi.slotBytes(), pageOrder)).init();
        this.abi = abi;
        this.mapper = mapper;
        this.store = store;
        this.port = port;
        this.counters = counters;
        this.listener = listener;
        this.nanoClock = config.nanoClock();
        this.persistent = persistentGrants ? new PersistentGrantCache(config.maxPersistentGrants(),
            config.persistentGrantUnusedSeconds() * 1_000_000_000L, nanoClock.nanoTime()) : null;
        this.polling = config.polling();
        this.readOnly = config.readOnly() || config.cdrom() || store.isReadOnly();
        this.flushOffered = store.canFlush() && !readOnly;
        this.discardOffered = config.discard() && store.canDiscard() && !readOnly;
        this.secureDiscardOffered = discardOffered && store.canSecureDiscard();
        this.maxIndirectSegments = config.maxIndirectSegments();
        this.batchLimit = config.batchLimit();
        this.sectorMask = (store.logicalSectorSize() >> SECTOR_SHIFT) - 1;
        this.request = new UnsafeBuffer(new byte[abi.slotBytes()]);
        this.indirectPages = new UnsafeBuffer(new byte[PAGE_SIZE * BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST]);
    }

    public String roleName()
    {
        return roleName;
    }

    public BackRing backRing()
    {
        return back;
    }

    public BlkRingCounters counters()
    {
        return counters;
    }

    /** The ring's event channel, or null when it is only polled. */
    public EventPort port()
    {
        return port;
    }

    /** Live persistent mappings of this ring. */
    public int persistentGrants()
    {
        return persistent == null ? 0 : persistent.size();
    }

    public boolean isPolling()
    {
        return polling;
    }

    public boolean isStopped()
    {
        return stopped;
    }

    /** Stops serving (the device disconnects); safe from another thread, takes effect at the next doWork. */
    void stop()
    {
        stopped = true;
    }

    /** Stops serving and makes the next doWork end the runner's loop. */
    void terminate()
    {
        terminating = true;
        stopped = true;
    }

    public int doWork()
    {
        if (stopped)
        {
            if (terminating)
            {
                // Ends the runner's loop without an interrupt, which would close a FileChannel mid-I/O.
                throw new AgentTerminationException(roleName + " disconnected");
            }
            return 0;
        }
        // Between requests nothing is mapped for a request in flight: the purge can only drop idle mappings.
        final int purged = persistent == null ? 0 : persistent.purge(nanoClock.nanoTime(), mapper);
        if (!polling && port != null)
        {
            port.consumePending();
        }
        int available = back.unconsumedRequests();
        if (available == 0 && !polling && !back.finalCheckForRequests())
        {
            return purged;
        }
        if (available == 0)
        {
            available = back.unconsumedRequests();
        }
        if (available == BackRing.BROKEN)
        {
            stopped = true;
            counters.errors.incrementRelease();
            listener.onRingBroken(this, "frontend provided bogus ring requests: " + back.describe());
            return 1;
        }
        if (available == 0)
        {
            return purged;
        }
        final int batch = Math.min(available, batchLimit);
        for (int i = 0; i < batch; i++)
        {
            back.copyRequest(request, 0);
            serve();
        }
        publish(batch);
        return batch + purged;
    }

    private void publish(final int batch)
    {
        counters.requests.getAndAddRelease(pendingRequests);
        counters.responses.getAndAddRelease(batch);
        counters.batches.incrementRelease();
        if (pendingErrors != 0)
        {
            counters.errors.getAndAddRelease(pendingErrors);
        }
        if (pendingMaps != 0)
        {
            counters.grantMaps.getAndAddRelease(pendingMaps);
        }
        if (pendingCopies != 0)
        {
            counters.grantCopies.getAndAddRelease(pendingCopies);
        }
        if (pendingHits != 0)
        {
            counters.persistentHits.getAndAddRelease(pendingHits);
        }
        pendingRequests = 0;
        pendingErrors = 0;
        pendingMaps = 0;
        pendingCopies = 0;
        pendingHits = 0;
        if (back.pushResponsesAndCheckNotify() && port != null && port.notifyRemote())
        {
            counters.notificationsSent.incrementRelease();
        }
        else
        {
            counters.notificationsSuppressed.incrementRelease();
        }
    }

    /** Serves the request in the private copy and writes its response. */
    private void serve()
    {
        pendingRequests++;
        final int operation = abi.operation(request, 0);
        final long id = abi.id(request, 0);
        int responseOp = operation;
        final int status;
        switch (operation)
        {
            case BLKIF_OP_READ:
            case BLKIF_OP_WRITE:
            {
                final int nseg = abi.nrSegments(request, 0);
                status = nseg == 0 || nseg > BLKIF_MAX_SEGMENTS_PER_REQUEST ?
                    BLKIF_RSP_ERROR : readWrite(operation == BLKIF_OP_WRITE, abi.sectorNumber(request, 0), nseg);
                break;
            }
            case BLKIF_OP_WRITE_BARRIER:
            case BLKIF_OP_FLUSH_DISKCACHE:
                status = flush(operation == BLKIF_OP_WRITE_BARRIER);
                break;
            case BLKIF_OP_DISCARD:
                status = discard();
                break;
            case BLKIF_OP_INDIRECT:
            {
                final int indirectOp = abi.indirectOp(request, 0);
                if (maxIndirectSegments == 0)
                {
                    status = BLKIF_RSP_EOPNOTSUPP;
                }
                else if (indirectOp != BLKIF_OP_READ && indirectOp != BLKIF_OP_WRITE)
                {
                    status = BLKIF_RSP_ERROR;
                }
                else
                {
                    responseOp = indirectOp;
                    status = indirect(indirectOp == BLKIF_OP_WRITE);
                }
                break;
            }
            default:
                status = BLKIF_RSP_EOPNOTSUPP;
                break;
        }
        if (status != BLKIF_RSP_OKAY)
        {
            pendingErrors++;
        }
        // Field by field into the shared slot (XSA-216): no private bytes travel, the guest's padding stays.
        abi.putResponse(ring, back.responseOffset(), id, responseOp, status);
        back.nextResponse();
    }

    private int flush(final boolean barrier)
    {
        final int nseg = abi.nrSegments(request, 0);
        if (nseg > BLKIF_MAX_SEGMENTS_PER_REQUEST)
        {
            return BLKIF_RSP_ERROR;
        }
        if (nseg > 0 && readOnly)
        {
            return BLKIF_RSP_ERROR;
        }
        if (!flushOffered)
        {
            return BLKIF_RSP_EOPNOTSUPP;
        }
        final long sector = abi.sectorNumber(request, 0);
        if (nseg > 0)
        {
            // Validate before the pre-flush, so a malformed request changes nothing.
            final int checked = parseDirect(nseg, sector);
            if (checked != BLKIF_RSP_OKAY)
            {
                return checked;
            }
        }
        int status = storeStatus(store.flush());
        if (status == BLKIF_RSP_OKAY && nseg > 0)
        {
            status = transfer(true, sector, nseg);
            if (status == BLKIF_RSP_OKAY && barrier)
            {
                // A barrier is a superset of FUA: its own data is durable before the response too.
                status = storeStatus(store.flush());
            }
        }
        return status;
    }

    private int discard()
    {
        if (readOnly)
        {
            return BLKIF_RSP_ERROR; // a write-like operation, whatever the features say
        }
        if (!discardOffered)
        {
            return BLKIF_RSP_EOPNOTSUPP;
        }
        final boolean secure = (abi.discardFlag(request, 0) & BLKIF_DISCARD_SECURE) != 0;
        if (secure && !secureDiscardOffered)
        {
            return BLKIF_RSP_EOPNOTSUPP;
        }
        final long sector = abi.sectorNumber(request, 0);
        final long nrSectors = abi.discardNrSectors(request, 0);
        if (!inDisk(sector, nrSectors) || ((sector | nrSectors) & sectorMask) != 0)
        {
            return BLKIF_RSP_ERROR;
        }
        return storeStatus(store.discard(sector << SECTOR_SHIFT, nrSectors << SECTOR_SHIFT, secure));
    }

    private int indirect(final boolean write)
    {
        final int nseg = abi.indirectNrSegments(request, 0);
        if (nseg == 0 || nseg > maxIndirectSegments)
        {
            return BLKIF_RSP_ERROR;
        }
        if (write && readOnly)
        {
            return BLKIF_RSP_ERROR;
        }
        // Each indirect page is read once, by grant copy into private memory (XSA-155), then parsed from there.
        final int pages = BlkifDescriptor.indirectPages(nseg);
        for (int p = 0; p < pages; p++)
        {
            final int segs = Math.min(SEGMENTS_PER_INDIRECT_FRAME, nseg - p * SEGMENTS_PER_INDIRECT_FRAME);
            pendingCopies++;
            final int rc = mapper.copyFromGuest(
                abi.indirectGref(request, 0, p), 0, indirectPages, p * PAGE_SIZE, segs * SEGMENT_LENGTH);
            if (rc != 0)
            {
                return BLKIF_RSP_ERROR;
            }
        }
        final long sector = abi.indirectSectorNumber(request, 0);
        for (int i = 0; i < nseg; i++)
        {
            final int offset = i * SEGMENT_LENGTH;
            segRef[i] = indirectPages.getInt(offset + SEGMENT_GREF_OFFSET, BlkifDescriptor.BYTE_ORDER);
            segFirst[i] = indirectPages.getByte(offset + SEGMENT_FIRST_SECT_OFFSET) & 0xFF;
            segSectors[i] = indirectPages.getByte(offset + SEGMENT_LAST_SECT_OFFSET) & 0xFF;
        }
        final int checked = checkSegments(nseg, sector);
        return checked != BLKIF_RSP_OKAY ? checked : transfer(write, sector, nseg);
    }

    private int readWrite(final boolean write, final long sector, final int nseg)
    {
        if (write && readOnly)
        {
            return BLKIF_RSP_ERROR;
        }
        final int checked = parseDirect(nseg, sector);
        return checked != BLKIF_RSP_OKAY ? checked : transfer(write, sector, nseg);
    }

    private int parseDirect(final int nseg, final long sector)
    {
        for (int i = 0; i < nseg; i++)
        {
            final int offset = abi.segmentOffset(i);
            segRef[i] = request.getInt(offset + SEGMENT_GREF_OFFSET, BlkifDescriptor.BYTE_ORDER);
            segFirst[i] = request.getByte(offset + SEGMENT_FIRST_SECT_OFFSET) & 0xFF;
            segSectors[i] = request.getByte(offset + SEGMENT_LAST_SECT_OFFSET) & 0xFF;
        }
        return checkSegments(nseg, sector);
    }

    /** On entry segSectors holds last_sect; on success it holds the sector count of each segment. */
    private int checkSegments(final int nseg, final long sector)
    {
        long total = 0;
        for (int i = 0; i < nseg; i++)
        {
            final int first = segFirst[i];
            final int last = segSectors[i];
            if (last > MAX_SECT_IN_PAGE || first > last)
            {
                return BLKIF_RSP_ERROR;
            }
            final int sectors = last - first + 1;
            if (((first | sectors) & sectorMask) != 0)
            {
                return BLKIF_RSP_ERROR;
            }
            segSectors[i] = sectors;
            total += sectors;
        }
        if ((sector & sectorMask) != 0 || !inDisk(sector, total))
        {
            return BLKIF_RSP_ERROR;
        }
        return BLKIF_RSP_OKAY;
    }

    /** {@code sector + count <= disk size}, with {@code sector} unsigned and no 64-bit wrap. */
    private boolean inDisk(final long sector, final long count)
    {
        // Read per request: an online resize changes it under a running ring.
        final long diskSectors = store.sizeBytes() >> SECTOR_SHIFT;
        return Long.compareUnsigned(sector, diskSectors) <= 0 && Long.compareUnsigned(count, diskSectors - sector) <= 0;
    }

    /** Maps the validated segments, moves the data, and releases every mapping that is not kept. */
    private int transfer(final boolean write, final long sector, final int nseg)
    {
        if (persistent != null)
        {
            persistent.beginRequest();
        }
        for (int i = 0; i < nseg; i++)
        {
            final int handle = acquire(i, write);
            if (handle < 0)
            {
                release(i);
                if (persistent != null)
                {
                    persistent.endRequest();
                }
                return BLKIF_RSP_ERROR;
            }
        }
        int status = BLKIF_RSP_OKAY;
        long position = sector << SECTOR_SHIFT;
        for (int i = 0; i < nseg && status == BLKIF_RSP_OKAY; i++)
        {
            final int length = segSectors[i] << SECTOR_SHIFT;
            if (!mapper.wrap(segHandle[i], page))
            {
                status = BLKIF_RSP_ERROR;
                break;
            }
            final int pageOffset = segFirst[i] << SECTOR_SHIFT;
            status = storeStatus(write ?
                store.write(position, page, pageOffset, length) :
                store.read(position, page, pageOffset, length));
            position += length;
        }
        release(nseg);
        if (persistent != null)
        {
            persistent.endRequest();
        }
        return status;
    }

    private int acquire(final int i, final boolean write)
    {
        final int ref = segRef[i];
        int handle;
        if (persistent != null)
        {
            handle = persistent.lookup(ref);
            if (handle >= 0)
            {
                pendingHits++;
                segKept[i] = true;
                segHandle[i] = handle;
                return handle;
            }
            // Persistent grants are granted writable by the frontend and kept for both directions.
            pendingMaps++;
            handle = mapper.map(ref, false);
            segKept[i] = handle >= 0 && persistent.add(ref, handle, mapper);
        }
        else
        {
            // Disk writes only read guest memory: map read-only, so a read-only grant is enough.
            pendingMaps++;
            handle = mapper.map(ref, write);
            segKept[i] = false;
        }
        segHandle[i] = handle < 0 ? NO_HANDLE : handle;
        return handle;
    }

    /** Unmaps exactly the first {@code count} segments' mappings that are not kept persistently. */
    private void release(final int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (!segKept[i] && segHandle[i] != NO_HANDLE)
            {
                mapper.unmap(segHandle[i]);
            }
            segHandle[i] = NO_HANDLE;
        }
    }

    private static int storeStatus(final int rc)
    {
        if (rc == BlockStore.OK)
        {
            return BLKIF_RSP_OKAY;
        }
        return rc == BlockStore.EOPNOTSUPP ? BLKIF_RSP_EOPNOTSUPP : BLKIF_RSP_ERROR;
    }

    /** Stops serving and releases the persistent mappings. Idempotent; runs on the agent's thread. */
    public void onClose()
    {
        if (!closed)
        {
            closed = true;
            stopped = true;
            if (persistent != null)
            {
                persistent.unmapAll(mapper);
            }
        }
    }

    public String toString()
    {
        return roleName + ' ' + back.describe();
    }
}
