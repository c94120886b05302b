package io.pvring.blkback;

import java.util.concurrent.CompletableFuture;

import io.pvring.blkback.qos.BlkThrottle;
import io.pvring.blkback.store.BlockQueue;
import io.pvring.blkback.store.BlockStore;
import io.pvring.blkif.BlkifAbi;
import io.pvring.blkif.BlkifDescriptor;
import io.pvring.event.EventPort;
import io.pvring.grant.GrantMapper;
import io.pvring.ring.BackRing;
import io.pvring.ring.RingGeometry;
import io.pvring.runner.AgentHandle;
import io.pvring.runner.AgentWaker;
import io.pvring.runner.RingAgent;
import io.pvring.stats.DeviceId;
import io.pvring.stats.DeviceKind;
import io.pvring.stats.IoStats;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;

/**
 * One blkif ring (queue) of a device, served as a {@link RingAgent} on a {@link io.pvring.runner.RunnerPool}
 * runner: copy each request out of the shared ring
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
 * mappings pinned by requests in flight are never unmapped. A sleeping ring that holds mappings asks its runner to
 * wake it when the next purge is due ({@link AgentWaker#wakeWithin}).
 *
 * <p>QoS: a device with limits ({@link BlkThrottle}, shared by its rings) has each read and write admitted before
 * it starts (flushes and discards are not throttled, as in QEMU's {@code -drive} throttling). A request the limits
 * refuse is held, parsed but not started, and nothing more is taken from the ring until it starts: the ring asks
 * its runner to wake it when the budget returns ({@link AgentWaker#wakeWithin}) instead of sleeping a thread, so
 * the other rings on the runner run on. The time requests spent held is counted ({@link #throttledNanos()}).
 *
 * <p>Waiting is the runner's business: {@link #doWork()} never arms {@code req_event}; the runner calls
 * {@link #armAndCheck()} ({@code RING_FINAL_CHECK_FOR_REQUESTS}, plus "a completion is queued") only before it lets
 * the ring sleep, so a polling ring costs its frontend no notifications. A store completing on another thread
 * queues the result and wakes the ring through its waker; the ring's runner alone writes responses.
 *
 * <p>Teardown: {@link #terminate()} stops taking requests and lets the ring leave its runner once the requests in
 * flight are answered, without blocking the runner; {@link #onClose()} then finds nothing in flight. A ring closed
 * any other way (its agent failed, the pool closed, or the drain outlived
 * {@link BlkBackConfig#inFlightDrainTimeoutMs()}) does not wait on the runner thread, which serves other devices: it
 * abandons what is still in flight, leaving those grant mappings mapped under the store.
 *
 * <p>Single-threaded: one runner thread runs {@link #doWork()}; stores may complete from any thread. Nothing on the
 * request path allocates or locks.
 */
public final class BlkRing implements RingAgent
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
    public record Device(GrantMapper mapper, BlockStore store, BlkBackConfig config, BlkThrottle throttle)
    {
        /** A device without limits, ever. */
        public Device(final GrantMapper mapper, final BlockStore store, final BlkBackConfig config)
        {
            this(mapper, store, config, null);
        }
    }

    private final String roleName;
    private final AtomicBuffer ring;
    private final BackRing back;
    private final BlkifAbi abi;
    private final GrantMapper mapper;
    private final EventPort port;
    private final BlkRingCounters counters;
    private final BlkRingStats stats;
    private final Listener listener;
    private final PersistentGrantCache persistent;
    private final NanoClock nanoClock;
    private final BlkRequestParser parser;
    private final BlkExecutor executor;
    private final int batchLimit;
    private final long drainTimeoutNs;
    private final UnsafeBuffer request;
    /** The device's limits, or null for a device that never has any. */
    private final BlkThrottle throttle;

    /** A barrier taken from the ring, waiting for the requests before it to drain. */
    private InFlightIo waitingBarrier;
    /** A request the device's limits hold back: nothing more is taken from the ring until it starts. */
    private InFlightIo throttled;
    /** When {@link #throttled} was first refused, and when the limits let it start (nanoClock time). */
    private long throttledSinceNs;
    private long throttledUntilNs;
    /** When the limits were last asked. */
    private long throttleCheckedNs;
    private volatile long throttledNanos;
    private volatile long throttledRequests;
    /** A barrier in flight: nothing else starts until it is answered. */
    private BlkRequest exclusive;
    private long pendingRequests;
    private long pendingResponses;
    private long pendingErrors;
    private volatile boolean stopped;
    private volatile boolean terminating;
    /** When {@link #terminate()} was asked: the drain bound counts from here. */
    private volatile long terminateNs;
    private final CompletableFuture<Void> closedFuture = new CompletableFuture<>();
    private boolean closed;
    private AgentWaker waker;
    /** The runner's view of this ring (polling window, time polled, sleeps, wake-ups), copied into the counters. */
    private AgentHandle handle;
    private long publishedPollNanos;
    private long publishedSleeps;

    /** A ring whose figures nobody publishes (counted privately). */
    public BlkRing(
        final String roleName,
        final Transport transport,
        final Device device,
        final BlkRingCounters counters,
        final Listener listener)
    {
        this(roleName, transport, device, counters,
            new BlkRingStats(IoStats.unpublished(new DeviceId(DeviceKind.VBD, 0, 0), 1).queue(0)), listener);
    }

    /** @param stats what {@code pvring stat} and {@code pvring trace} see of this ring. */
    public BlkRing(
        final String roleName,
        final Transport transport,
        final Device device,
        final BlkRingCounters counters,
        final BlkRingStats stats,
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
        this.stats = stats;
        this.listener = listener;
        this.nanoClock = config.nanoClock();
        this.persistent = transport.persistentGrants() ? new PersistentGrantCache(config.maxPersistentGrants(),
            config.persistentGrantUnusedSeconds() * 1_000_000_000L, nanoClock.nanoTime()) : null;
        this.batchLimit = config.batchLimit();
        this.drainTimeoutNs = config.inFlightDrainTimeoutMs() * 1_000_000L;
        this.request = new UnsafeBuffer(new byte[abi.slotBytes()]);
        this.throttle = device.throttle();
        this.parser = new BlkRequestParser(abi, mapper, device.store(), config);
        final int maxSegments = Math.max(config.maxIndirectSegments(), BLKIF_MAX_SEGMENTS_PER_REQUEST);
        this.executor = new BlkExecutor(roleName, back.geometry().entries(), maxSegments, mapper, device.store(),
            persistent, this::respond);
    }

    @Override
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

    /** The ring's published figures (counters, latency, trace); a QoS throttle reports its held time here. */
    public BlkRingStats stats()
    {
        return stats;
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

    /** Nanoseconds requests of this ring spent held by the device's limits, counted when each started. */
    public long throttledNanos()
    {
        return throttledNanos;
    }

    /** Requests of this ring the device's limits held before they started. */
    public long throttledRequests()
    {
        return throttledRequests;
    }

    /** True while a request waits for the device's limits. Read it on the ring's thread (or once it stopped). */
    public boolean isThrottled()
    {
        return throttled != null;
    }

    /** Completions a store delivered twice, or after teardown gave up on their request (ignored). */
    public long strayCompletions()
    {
        return executor.strayCompletions();
    }

    /**
     * Registers the runner's waker on the ring's event channel and with the executor, whose completions from other
     * threads wake the ring; null unregisters both (the ring left its runner).
     */
    @Override
    public void waker(final AgentWaker waker)
    {
        this.waker = waker;
        // The pool hands each agent its own handle as the waker: its counters are the ring's runner counters.
        this.handle = waker instanceof AgentHandle ? (AgentHandle)waker : null;
        if (port != null)
        {
            port.waiter(waker);
        }
        executor.waiter(waker);
    }

    /** Completed once {@link #onClose()} ran: the ring is off its runner, or about to be. */
    CompletableFuture<Void> closed()
    {
        return closedFuture;
    }

    /** Stops serving (the device disconnects); safe from another thread, takes effect at the next doWork. */
    void stop()
    {
        stopped = true;
    }

    /**
     * Stops serving and lets the ring leave its runner once nothing is in flight; safe from another thread. The
     * caller wakes the ring so a sleeping one sees it.
     */
    void terminate()
    {
        terminateNs = SystemNanoClock.INSTANCE.nanoTime();
        terminating = true;
        stopped = true;
    }

    @Override
    public int doWork()
    {
        // Before the completion queue and the ring: a notification after this is a new event, never a lost one.
        if (port != null)
        {
            port.consumePending();
        }
        int work = executor.drainCompletions();
        if (stopped)
        {
            if (terminating && drained())
            {
                // Leaves the runner without blocking it: onClose finds nothing in flight.
                throw new AgentTerminationException(roleName + " disconnected");
            }
            return work;
        }
        // Only mappings no request in flight pins can be purged.
        work += persistent == null ? 0 : persistent.purge(nanoClock.nanoTime(), mapper);
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
        int work = 0;
        if (throttled != null)
        {
            if (throttleWait(throttled.request) != 0)
            {
                return 0;
            }
            final InFlightIo io = throttled;
            throttled = null;
            // A fresh reading: limits lifted meanwhile let it start without asking the clock.
            accountThrottled(nanoClock.nanoTime() - throttledSinceNs);
            work = 1;
            if (dispatch(io))
            {
                return work;
            }
        }
        final int available = back.unconsumedRequests();
        if (available != BackRing.BROKEN)
        {
            stats.ringFill(available);
        }
        if (available == 0)
        {
            return work;
        }
        if (available == BackRing.BROKEN)
        {
            stopped = true;
            counters.errors.incrementRelease();
            listener.onRingBroken(this, "frontend provided bogus ring requests: " + back.describe());
            return 1;
        }
        final int batch = Math.min(Math.min(available, batchLimit), executor.freeTags());
        final long now = System.nanoTime(); // one reading per batch: the requests arrived together
        for (int i = 0; i < batch; i++)
        {
            final InFlightIo io = executor.allocate();
            back.copyRequest(request, 0);
            pendingRequests++;
            final int status = parser.parse(request, io.request);
            if (status != BLKIF_RSP_OKAY)
            {
                stats.refused(io.request, status, now);
                answer(io.request, status);
                executor.release(io);
                continue;
            }
            stats.accepted(io, now);
            if (throttleWait(io.request) != 0)
            {
                throttled = io; // parsed, held: the ring is read no further until the limits let it start
                throttledSinceNs = throttleCheckedNs;
                return work + i + 1;
            }
            else if (dispatch(io))
            {
                return work + i + 1;
            }
        }
        return work + batch;
    }

    /**
     * Starts a validated request, or keeps a barrier until what is in flight before it drained.
     *
     * @return true when nothing more may be taken from the ring now (a barrier waits or runs).
     */
    private boolean dispatch(final InFlightIo io)
    {
        if (io.request.kind() != BlkRequest.Kind.BARRIER)
        {
            executor.start(io);
            return false;
        }
        if (executor.inFlight() > 1)
        {
            waitingBarrier = io; // drain first: nothing more is taken from the ring until it has run
            return true;
        }
        exclusive = io.request;
        executor.start(io);
        return exclusive != null;
    }

    /**
     * Asks the device's limits whether {@code r} may start now: 0 when it may (or is not throttled: flushes,
     * discards, a device without limits), otherwise the nanoseconds to wait, with {@link #throttledUntilNs} set to
     * when that is.
     */
    private long throttleWait(final BlkRequest r)
    {
        final BlkThrottle t = throttle;
        if (t == null || !t.limited())
        {
            return 0;
        }
        final BlkRequest.Kind kind = r.kind();
        final boolean write = kind == BlkRequest.Kind.WRITE || kind == BlkRequest.Kind.BARRIER;
        if (kind != BlkRequest.Kind.READ && !(write && r.segments() > 0))
        {
            return 0;
        }
        final long now = nanoClock.nanoTime();
        final long wait = t.admit(write, r.nrSectors() << BlkifDescriptor.SECTOR_SHIFT, now);
        throttleCheckedNs = now;
        throttledUntilNs = now + wait;
        return wait;
    }

    /**
     * Counts one request held by the device's limits for {@code nanos} (from its first refusal to the moment they
     * let it start), the one place the ring's throttled-time statistics are fed from.
     */
    private void accountThrottled(final long nanos)
    {
        throttledNanos = throttledNanos + nanos; // single writer: this ring's runner
        throttledRequests = throttledRequests + 1;
        stats.throttled(nanos);
    }

    /**
     * {@code RING_FINAL_CHECK_FOR_REQUESTS}, plus "a completion is queued": true when the next {@link #doWork()} has
     * something to do. A ring that cannot take requests now (a barrier draining or running, every tag in flight, or
     * stopped) does not arm: only a completion can unblock it, and a completion wakes it.
     */
    @Override
    public boolean memoryIntact()
    {
        return mapper.memoryIntact();
    }

    @Override
    public boolean armAndCheck()
    {
        publishRunnerCounters();
        if (executor.hasCompletions())
        {
            return true;
        }
        if (stopped)
        {
            return terminating && drained(); // a stopped ring purges nothing: no timer
        }
        if (persistent != null && persistent.size() > 0 && waker != null)
        {
            waker.wakeWithin(Math.max(0, persistent.nanosUntilPurge(nanoClock.nanoTime())));
        }
        if (executor.storeNeedsPolling() && waker != null)
        {
            waker.wakeWithin(BlockQueue.POLL_WITHIN_NANOS); // its completions signal nobody: poll again soon
        }
        if (throttled != null)
        {
            // Woken when the limits let it start; a frontend notification meanwhile changes nothing.
            if (waker != null)
            {
                waker.wakeWithin(Math.max(0, throttledUntilNs - nanoClock.nanoTime()));
            }
            return false;
        }
        if (waitingBarrier != null || exclusive != null || executor.freeTags() == 0)
        {
            return false;
        }
        return back.finalCheckForRequests();
    }

    /** True when nothing but a barrier or a throttled request that has not started is in flight. */
    private boolean drained()
    {
        return executor.inFlight() == (waitingBarrier == null ? 0 : 1) + (throttled == null ? 0 : 1);
    }

    /**
     * Copies the runner's per-ring figures into the ring's counters (single writer: this ring's runner), only when
     * an idle spell ended or a sleep began since the last copy: a polling ring's batches write no counter lines.
     */
    private void publishRunnerCounters()
    {
        final AgentHandle h = handle;
        if (h != null)
        {
            final long polled = h.pollNanos();
            final long slept = h.sleeps();
            if (polled != publishedPollNanos || slept != publishedSleeps)
            {
                publishedPollNanos = polled;
                publishedSleeps = slept;
                counters.pollWindowNanos.setRelease(h.pollWindowNanos());
                counters.pollNanos.setRelease(polled);
                counters.sleeps.setRelease(slept);
                counters.wakeups.setRelease(h.wakeups());
                stats.runner(h);
            }
        }
    }

    /** An accepted request finished (the executor, on this ring's thread): counted, then answered. */
    private void respond(final InFlightIo io, final int status)
    {
        stats.completed(io, status, System.nanoTime());
        answer(io.request, status);
    }

    /** Writes the response of a finished or refused request into the shared ring (on this ring's thread). */
    private void answer(final BlkRequest finished, final int status)
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
        stats.grants(maps, copies, hits);
        if (persistent != null)
        {
            stats.persistentEvictions(persistent.evictions());
        }
        pendingRequests = 0;
        pendingErrors = 0;
        if (pendingResponses == 0)
        {
            return;
        }
        counters.responses.getAndAddRelease(pendingResponses);
        publishRunnerCounters();
        counters.batches.incrementRelease();
        pendingResponses = 0;
        final boolean notified = back.pushResponsesAndCheckNotify() && port != null && port.notifyRemote();
        if (notified)
        {
            counters.notificationsSent.incrementRelease();
        }
        else
        {
            counters.notificationsSuppressed.incrementRelease();
        }
        stats.batch(notified);
    }

    /**
     * Stops serving, takes back the completions of requests in flight for what is left of the drain bound counted
     * from {@link #terminate()} (nothing when the ring was not terminated: a runner thread does not wait on I/O),
     * then releases the persistent mappings. Idempotent; runs on the runner thread, or on the control thread for a
     * ring that never ran.
     */
    @Override
    public void onClose()
    {
        if (!closed)
        {
            closed = true;
            stopped = true;
            final long left = terminating ?
                Math.max(0, drainTimeoutNs - (SystemNanoClock.INSTANCE.nanoTime() - terminateNs)) : 0;
            if (throttled != null)
            {
                executor.release(throttled); // parsed, never started: nothing mapped, nothing submitted
                throttled = null;
            }
            final boolean drained = executor.quiesce(left, SystemNanoClock.INSTANCE, waitingBarrier);
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
            publishRunnerCounters();
            closedFuture.complete(null);
        }
    }

    public String toString()
    {
        return roleName + ' ' + back.describe() + " inFlight=" + executor.inFlight();
    }
}
