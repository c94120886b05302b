package io.pvring.blkback;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import io.pvring.blkback.store.BlockIo;
import io.pvring.blkback.store.BlockQueue;
import io.pvring.blkback.store.BlockStore;
import io.pvring.event.EventWaiter;
import io.pvring.grant.GrantMapper;
import org.agrona.concurrent.NanoClock;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_EOPNOTSUPP;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_ERROR;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;

/**
 * Executes validated requests of one ring: maps their grants (persistent or not), submits them to the
 * {@link BlockStore} stage by stage, takes completions back on the ring's thread and releases every mapping exactly
 * once before the {@link Responder} answers the request.
 *
 * <p>In-flight requests live in a preallocated table indexed by a small tag, one entry per request the ring can
 * have outstanding. A store that completes on the ring's thread while the ring submits (memory, null, a file in the
 * page cache) takes the direct path: the request is answered before {@link #start} returns, with no queue. Any
 * other completion goes through a {@link CompletionQueue} and wakes the ring's runner if it sleeps
 * ({@link #waiter(EventWaiter)}); the ring drains it with {@link #drainCompletions()}.
 *
 * <p>Stages: a read, write or discard is one submission; a flush with data is a pre-flush then the write; a
 * barrier with data adds a post-flush, so its own data is durable before it is answered (a barrier is a superset
 * of FUA). A failed stage ends the request with its status.
 */
final class BlkExecutor
{
    /** Answers a finished request; called on the ring's thread. */
    interface Responder
    {
        void respond(InFlightIo io, int status);
    }

    private static final System.Logger LOG = System.getLogger(BlkExecutor.class.getName());

    private final String name;
    private final GrantMapper mapper;
    private final BlockStore store;
    private final BlockQueue queue;
    private final PersistentGrantCache persistent;
    private final Responder responder;
    private final InFlightIo[] table;
    private final int[] freeTags;
    private final CompletionQueue completions;
    private final AtomicLong strayCompletions = new AtomicLong();
    private int freeCount;
    private int inFlight;
    private volatile EventWaiter waiter;
    private Thread ringThread;
    private InFlightIo submitting;
    private boolean completedInline;
    private long grantMaps;
    private long persistentHits;

    BlkExecutor(
        final String name,
        final int tags,
        final int maxSegments,
        final GrantMapper mapper,
        final BlockStore store,
        final PersistentGrantCache persistent,
        final Responder responder)
    {
        this.name = name;
        this.mapper = mapper;
        this.store = store;
        this.persistent = persistent;
        this.responder = responder;
        this.table = new InFlightIo[tags];
        this.freeTags = new int[tags];
        for (int tag = 0; tag < tags; tag++)
        {
            table[tag] = new InFlightIo(tag, maxSegments, this, mapper);
            freeTags[tag] = tags - 1 - tag;
        }
        this.freeCount = tags;
        this.completions = new CompletionQueue(tags);
        this.queue = store.openQueue(tags, maxSegments, this::wakeRing);
    }

    /** Any thread: completions wait in the store's queue; the ring's next turn reaps them. */
    private void wakeRing()
    {
        final EventWaiter w = waiter;
        if (w != null)
        {
            w.wake();
        }
    }

    /** Ring thread, once per turn after taking requests: starts what this turn submitted to the store. */
    int flushSubmissions()
    {
        return queue.flush();
    }

    /** Ring thread, after {@link #quiesce}: waits (bounded by the store) for the store's queue and releases it. */
    void closeQueue()
    {
        queue.close();
        drainCompletions();
    }

    /** The ring's waker, woken by completions from other threads; null once the ring left its runner. */
    void waiter(final EventWaiter waiter)
    {
        this.waiter = waiter;
    }

    /** Requests taken from the ring and not answered yet (including one waiting to start). */
    int inFlight()
    {
        return inFlight;
    }

    /**
     * Ring thread: a completion is queued for {@link #drainCompletions()}, counting those the store's queue can
     * reap right now on this thread (a kernel ring's completion queue: a read of memory, not a system call).
     */
    boolean hasCompletions()
    {
        if (queue.needsPolling())
        {
            queue.poll();
        }
        return completions.hasPublished();
    }

    /** Ring thread: the store's queue has ios in flight that only this thread's poll will see complete. */
    boolean storeNeedsPolling()
    {
        return queue.needsPolling();
    }

    int freeTags()
    {
        return freeCount;
    }

    /** Completions a store delivered twice or after the ring gave up on the request; they were ignored. */
    long strayCompletions()
    {
        return strayCompletions.get();
    }

    long takeGrantMaps()
    {
        final long maps = grantMaps;
        grantMaps = 0;
        return maps;
    }

    long takePersistentHits()
    {
        final long hits = persistentHits;
        persistentHits = 0;
        return hits;
    }

    /** Ring thread: a free entry for the next request, or null when every tag is in flight. */
    InFlightIo allocate()
    {
        if (ringThread == null)
        {
            ringThread = Thread.currentThread();
        }
        if (freeCount == 0)
        {
            return null;
        }
        inFlight++;
        return table[freeTags[--freeCount]];
    }

    /** Ring thread: gives back an entry whose request was refused by the parser (nothing mapped). */
    void release(final InFlightIo io)
    {
        inFlight--;
        freeTags[freeCount++] = io.tag();
    }

    /** Ring thread: maps the request's grants and submits its first stage; it may be answered before this returns. */
    void start(final InFlightIo io)
    {
        final BlkRequest request = io.request;
        io.stage = 0;
        io.mapped = 0;
        io.grantFailed = false;
        switch (request.kind())
        {
            case READ:
                plan(io, BlockIo.READ, -1, -1);
                break;
            case WRITE:
                plan(io, BlockIo.WRITE, -1, -1);
                break;
            case DISCARD:
                plan(io, BlockIo.DISCARD, -1, -1);
                break;
            case FLUSH:
                plan(io, BlockIo.FLUSH, request.segments() > 0 ? BlockIo.WRITE : -1, -1);
                break;
            case BARRIER:
                if (request.segments() > 0)
                {
                    plan(io, BlockIo.FLUSH, BlockIo.WRITE, BlockIo.FLUSH);
                }
                else
                {
                    plan(io, BlockIo.FLUSH, -1, -1);
                }
                break;
            default:
                throw new IllegalStateException("kind=" + request.kind());
        }
        // Mapped before the first stage, so a bad grant fails the request before the pre-flush changes anything.
        if (!mapSegments(io, request.isWriteLike()))
        {
            io.grantFailed = true;
            finish(io, BlockStore.EIO);
            return;
        }
        drive(io, submit(io));
    }

    /** Ring thread: takes back every published completion, advancing or answering its request. */
    int drainCompletions()
    {
        int count = 0;
        queue.poll();
        int tag;
        while ((tag = completions.poll()) >= 0)
        {
            final InFlightIo io = table[tag];
            count++;
            if (io.state() == InFlightIo.COMPLETED)
            {
                drive(io, io.status());
            }
        }
        queue.flush(); // the next stages of what completed
        return count;
    }

    /**
     * Ring thread, at teardown: waits until every request in flight is answered, taking completions back, for at
     * most {@code timeoutNs}. On time-out the remaining requests are abandoned: their mappings stay (the store may
     * still be using the pages), a late completion is ignored, and the error is logged.
     *
     * @return true when nothing is left in flight.
     */
    boolean quiesce(final long timeoutNs, final NanoClock clock, final InFlightIo waiting)
    {
        if (waiting != null)
        {
            release(waiting); // a barrier not started yet: nothing mapped, nothing submitted
        }
        final long deadline = clock.nanoTime() + timeoutNs;
        while (true)
        {
            drainCompletions();
            if (inFlight == 0)
            {
                return true;
            }
            if (clock.nanoTime() - deadline >= 0)
            {
                break;
            }
            LockSupport.parkNanos(100_000L);
        }
        int abandoned = 0;
        for (final InFlightIo io : table)
        {
            if (io.state() == InFlightIo.SUBMITTED && io.abandon())
            {
                abandoned++;
            }
        }
        drainCompletions();
        LOG.log(System.Logger.Level.ERROR, name + ": " + abandoned + " request(s) still in flight after " +
            timeoutNs / 1_000_000 + " ms at teardown (store " + store.describe() + "); their grant mappings are" +
            " left mapped rather than unmapped under the store");
        return false;
    }

    /** Any thread: the store completed {@code io}'s current stage. */
    void onComplete(final InFlightIo io)
    {
        if (io == submitting && Thread.currentThread() == ringThread)
        {
            completedInline = true; // the direct path: the ring continues with it when submit returns
            return;
        }
        completions.offer(io.tag());
        if (Thread.currentThread() != ringThread)
        {
            wakeRing(); // a completion reaped by the ring's own poll is drained in the same turn
        }
    }

    void onStrayCompletion(final InFlightIo io)
    {
        strayCompletions.incrementAndGet();
    }

    private static void plan(final InFlightIo io, final int first, final int second, final int third)
    {
        io.stageOps[0] = first;
        io.stageOps[1] = second;
        io.stageOps[2] = third;
        io.stages = second < 0 ? 1 : third < 0 ? 2 : 3;
    }

    /** Submits the current stage; returns its status when it completed inline, else {@link Integer#MIN_VALUE}. */
    private int submit(final InFlightIo io)
    {
        submitting = io;
        completedInline = false;
        io.submitted();
        queue.submit(io);
        submitting = null;
        return completedInline ? io.status() : Integer.MIN_VALUE;
    }

    /** Advances {@code io} past a completed stage (inline or not) until a stage is pending or it is answered. */
    private void drive(final InFlightIo io, final int stageStatus)
    {
        int status = stageStatus;
        while (status != Integer.MIN_VALUE)
        {
            if (status != BlockStore.OK || io.stage + 1 == io.stages)
            {
                finish(io, status);
                return;
            }
            io.stage++;
            status = submit(io);
        }
    }

    private void finish(final InFlightIo io, final int storeStatus)
    {
        unmapSegments(io);
        responder.respond(io, blkifStatus(storeStatus));
        io.free();
        release(io);
    }

    private boolean mapSegments(final InFlightIo io, final boolean write)
    {
        final BlkRequest request = io.request;
        for (int i = 0; i < request.segments(); i++)
        {
            final int ref = request.gref(i);
            int handle;
            if (persistent != null)
            {
                handle = persistent.lookup(ref);
                if (handle >= 0)
                {
                    persistentHits++;
                    io.kept[i] = true;
                    io.handles[i] = handle;
                    io.mapped = i + 1;
                    continue;
                }
                // Persistent grants are granted writable by the frontend and kept for both directions.
                grantMaps++;
                handle = mapper.map(ref, false);
                io.kept[i] = handle >= 0 && persistent.add(ref, handle, mapper);
            }
            else
            {
                // Disk writes only read guest memory: map read-only, so a read-only grant is enough.
                grantMaps++;
                handle = mapper.map(ref, write);
                io.kept[i] = false;
            }
            if (handle < 0)
            {
                return false;
            }
            io.handles[i] = handle;
            io.mapped = i + 1;
        }
        return true;
    }

    /** Releases exactly the mappings this request holds: unmaps its own, unpins the persistent ones. */
    private void unmapSegments(final InFlightIo io)
    {
        for (int i = 0; i < io.mapped; i++)
        {
            if (io.kept[i])
            {
                persistent.unpin(io.request.gref(i));
            }
            else
            {
                mapper.unmap(io.handles[i]);
            }
            io.handles[i] = InFlightIo.NO_HANDLE;
        }
        io.mapped = 0;
    }

    private static int blkifStatus(final int rc)
    {
        if (rc == BlockStore.OK)
        {
            return BLKIF_RSP_OKAY;
        }
        return rc == BlockStore.EOPNOTSUPP ? BLKIF_RSP_EOPNOTSUPP : BLKIF_RSP_ERROR;
    }
}
