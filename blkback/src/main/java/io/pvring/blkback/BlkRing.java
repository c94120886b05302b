package io.pvring.blkback;

import io.pvring.blkback.store.BlockStore;
import io.pvring.blkif.BlkifAbi;
import io.pvring.event.EventPort;
import io.pvring.event.EventWaiter;
import io.pvring.grant.GrantMapper;
import io.pvring.ring.BackRing;
import io.pvring.ring.RingGeometry;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;

/**
 * One blkif ring (queue) of a device, served as an Agrona {@link Agent}: copy each request out of the shared ring
 * once, let the {@link BlkRequestParser} validate the private copy into a {@link BlkRequest} (or refuse it with a
 * status), hand valid requests to the {@link BlkExecutor}, which maps their grants and submits them to the
 * {@link BlockStore}, and write each response, field by field, when its request completes: in completion order,
 * which blkif allows (the frontend matches responses by {@code id}). Responses are pushed once per duty cycle,
 * notifying the frontend only when its {@code rsp_event} asks for it.
 *
 * <p>Every guest mistake is answered, never thrown: an unknown operation gets {@code BLKIF_RSP_EOPNOTSUPP}; bad
 * segments, ranges, alignment, grants, or a write-like operation on a read-only disk get {@code BLKIF_RSP_ERROR}
 * with no data touched, and the ring keeps serving. Only a producer index beyond the ring stops it, and the
 * {@link Listener} disconnects the device.
 *
 * <p>Requests in flight are bounded by what the ring can have outstanding (one table entry each). A
 * {@code BLKIF_OP_FLUSH_DISKCACHE} is submitted at once: the store answers it only when every write completed
 * before it is durable. A {@code BLKIF_OP_WRITE_BARRIER} first drains what is in flight on this ring, then runs
 * alone: no later request starts before it is answered. It orders the requests of its own ring only, not those of
 * the device's other queues. That is Linux xen-blkback's behaviour: {@code dispatch_rw_block_io} calls
 * {@code xen_blk_drain_io(pending_req->ring)} for a barrier, and {@code xen_blk_drain_io} waits until
 * {@code atomic_read(&ring->inflight) == 0}, the in-flight count of that one {@code xen_blkif_ring}
 * (drivers/block/xen-blkback/blkback.c); a frontend that needs ordering across queues must wait for the
 * responses itself, as Linux blkfront does (it never offers barriers with several queues in flight).
 *
 * <p>Persistent grants are purged from this loop, not from another thread: at most every 100 ms (Linux
 * {@code LRU_INTERVAL}) the ring unmaps mappings unused for {@link BlkBackConfig#persistentGrantUnusedSeconds()}
 * and, after the cache overflowed, the 5 % least recently used, timed by {@link BlkBackConfig#nanoClock()};
 * mappings pinned by requests in flight are never unmapped.
 *
 * <p>Teardown ({@link #onClose()}) waits for the requests in flight, bounded by
 * {@link BlkBackConfig#inFlightDrainTimeoutMs()}, before it unmaps anything.
 *
 * <p>Single-threaded: one thread runs {@link #doWork()}; stores may complete from any thread. Nothing on the
 * request path allocates or locks.
 */
public final class BlkRing implements Agent
{
    /** Told when a ring stops because the frontend broke the protocol. */
    public interface Listener
    {
        void onRingBroken(BlkRing ring, String reason);
    }

    /**
     * How a ring was connected: the mapped shared ring ({@code PAGE_SIZE << pageOrder} bytes), its ABI, its event
     * channel (null for a ring that is only polled and never notifies) and whether both ends wrote
     * {@code feature-persistent=1}.
     */
    public record Transport(AtomicBuffer ring, int pageOrder, BlkifAbi abi, EventPort port, boolean persistentGrants)
    {
    }

    /** What every ring of a device shares: the frontend's grants, the disk and the settings. */
    public record Device(GrantMapper mapper, BlockStore store, BlkBackConfig config)
    {
    }

    private final String roleName;
    private final AtomicBuffer ring;
    private final BackRing back;
    private final BlkifAbi abi;
    private final GrantMapper mapper;
    private final EventPort port;
    private final BlkRingCounters counters;
    private final Listener listener;
    private final PersistentGrantCache persistent;
    private final NanoClock nanoClock;
    private final BlkRequestParser parser;
    private final BlkExecutor executor;
    private final boolean polling;
    private final int batchLimit;
    private final long drainTimeoutNs;
    private final UnsafeBuffer request;

    /** A barrier taken from the ring, waiting for the requests before it to drain. */
    private InFlightIo waitingBarrier;
    /** A barrier in flight: nothing else starts until it is answered. */
    private BlkRequest exclusive;
    private long pendingRequests;
    private long pendingResponses;
    private long pendingErrors;
    private volatile boolean stopped;
    private volatile boolean terminating;
    private boolean closed;

    public BlkRing(
        final String roleName,
        final Transport transport,
        final Device device,
        final BlkRingCounters counters,
        final Listener listener)
    {
        final BlkBackConfig config = device.config();
        this.roleName = roleName;
        this.ring = transport.ring();
        this.abi = transport.abi();
        this.back = new BackRing(ring, RingGeometry.of(abi.slotBytes(), transport.pageOrder())).init();
        this.mapper = device.mapper();
        this.port = transport.port();
        this.counters = counters;
        this.listener = listener;
        this.nanoClock = config.nanoClock();
        this.persistent = transport.persistentGrants() ? new PersistentGrantCache(config.maxPersistentGrants(),
            config.persistentGrantUnusedSeconds() * 1_000_000_000L, nanoClock.nanoTime()) : null;
        this.polling = config.polling();
        this.batchLimit = config.batchLimit();
        this.drainTimeoutNs = config.inFlightDrainTimeoutMs() * 1_000_000L;
        this.request = new UnsafeBuffer(new byte[abi.slotBytes()]);
        this.parser = new BlkRequestParser(abi, mapper, device.store(), config);
        final int maxSegments = Math.max(config.maxIndirectSegments(), BLKIF_MAX_SEGMENTS_PER_REQUEST);
        this.executor = new BlkExecutor(roleName, back.geometry().entries(), maxSegments, mapper, device.store(),
            persistent, this::respond);
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

    /** Requests taken from the ring and not answered yet. Read it on the ring's thread (or once it stopped). */
    public int inFlight()
    {
        return executor.inFlight();
    }

    /** Requests the parser refused for {@code reason}. Read it on the ring's thread (or once it stopped). */
    public long rejections(final BlkRejectReason reason)
    {
        return parser.rejections(reason);
    }

    /** Completions a store delivered twice, or after teardown gave up on their request (ignored). */
    public long strayCompletions()
    {
        return executor.strayCompletions();
    }

    /**
     * The waiter of the thread that runs this ring when it sleeps between events (null when it polls): a
     * completion from another thread wakes it, so a sleeping ring never misses one.
     */
    public void completionWaiter(final EventWaiter waiter)
    {
        executor.waiter(waiter);
    }

    /** Stops serving (the device disconnects); safe from another thread, takes effect at the next doWork. */
    void stop()
    {
        stopped = true;
    }

    /** Stops serving and makes the runner's loop end once nothing is in flight. */
    void terminate()
    {
        terminating = true;
        stopped = true;
    }

    public int doWork()
    {
        int work = executor.drainCompletions();
        if (stopped)
        {
            if (terminating && executor.inFlight() == (waitingBarrier == null ? 0 : 1))
            {
                // Ends the runner's loop without an interrupt, which would close a FileChannel mid-I/O.
                throw new AgentTerminationException(roleName + " disconnected");
            }
            return work;
        }
        // Only mappings no request in flight pins can be purged.
        work += persistent == null ? 0 : persistent.purge(nanoClock.nanoTime(), mapper);
        if (!polling && port != null)
        {
            port.consumePending();
        }
        work += consume();
        executor.flushSubmissions();
        if (pendingRequests != 0 || pendingResponses != 0)
        {
            publish();
        }
        return work;
    }

    /** Takes requests from the ring (as many as the batch limit, free tags and a pending barrier allow). */
    private int consume()
    {
        if (waitingBarrier != null)
        {
            if (executor.inFlight() > 1)
            {
                return 0;
            }
            final InFlightIo barrier = waitingBarrier;
            waitingBarrier = null;
            exclusive = barrier.request;
            executor.start(barrier);
        }
        if (exclusive != null)
        {
            return 0;
        }
        int available = back.unconsumedRequests();
        if (available == 0 && !polling && !back.finalCheckForRequests())
        {
            return 0;
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
        final int batch = Math.min(Math.min(available, batchLimit), executor.freeTags());
        for (int i = 0; i < batch; i++)
        {
            final InFlightIo io = executor.allocate();
            back.copyRequest(request, 0);
            pendingRequests++;
            final int status = parser.parse(request, io.request);
            if (status != BLKIF_RSP_OKAY)
            {
                respond(io.request, status);
                executor.release(io);
            }
            else if (io.request.kind() != BlkRequest.Kind.BARRIER)
            {
                executor.start(io);
            }
            else if (executor.inFlight() > 1)
            {
                waitingBarrier = io; // drain first: nothing more is taken from the ring until it has run
                return i + 1;
            }
            else
            {
                exclusive = io.request;
                executor.start(io);
                if (exclusive != null)
                {
                    return i + 1;
                }
            }
        }
        return batch;
    }

    /** Writes the response of a finished request into the shared ring (on this ring's thread). */
    private void respond(final BlkRequest finished, final int status)
    {
        if (finished == exclusive)
        {
            exclusive = null;
        }
        if (status != BLKIF_RSP_OKAY)
        {
            pendingErrors++;
        }
        if (stopped)
        {
            return; // the ring is being torn down: the request's resources are released, nobody reads the answer
        }
        // Field by field into the shared slot (XSA-216): no private bytes travel, the guest's padding stays.
        abi.putResponse(ring, back.responseOffset(), finished.id(), finished.responseOp(), status);
        back.nextResponse();
        pendingResponses++;
    }

    private void publish()
    {
        counters.requests.getAndAddRelease(pendingRequests);
        if (pendingErrors != 0)
        {
            counters.errors.getAndAddRelease(pendingErrors);
        }
        final long maps = executor.takeGrantMaps();
        if (maps != 0)
        {
            counters.grantMaps.getAndAddRelease(maps);
        }
        final long copies = parser.takeGrantCopies();
        if (copies != 0)
        {
            counters.grantCopies.getAndAddRelease(copies);
        }
        final long hits = executor.takePersistentHits();
        if (hits != 0)
        {
            counters.persistentHits.getAndAddRelease(hits);
        }
        pendingRequests = 0;
        pendingErrors = 0;
        if (pendingResponses == 0)
        {
            return;
        }
        counters.responses.getAndAddRelease(pendingResponses);
        counters.batches.incrementRelease();
        pendingResponses = 0;
        if (back.pushResponsesAndCheckNotify() && port != null && port.notifyRemote())
        {
            counters.notificationsSent.incrementRelease();
        }
        else
        {
            counters.notificationsSuppressed.incrementRelease();
        }
    }

    /**
     * Stops serving, waits (bounded) for the requests in flight to complete, then releases the persistent
     * mappings. Idempotent; runs on the agent's thread, or on the control thread once the agent's thread ended.
     */
    public void onClose()
    {
        if (!closed)
        {
            closed = true;
            stopped = true;
            final boolean drained = executor.quiesce(drainTimeoutNs, SystemNanoClock.INSTANCE, waitingBarrier);
            waitingBarrier = null;
            executor.closeQueue();
            if (!drained)
            {
                counters.errors.incrementRelease();
            }
            if (persistent != null)
            {
                persistent.unmapAll(mapper);
            }
        }
    }

    public String toString()
    {
        return roleName + ' ' + back.describe() + " inFlight=" + executor.inFlight();
    }
}
