package io.pvring.blkback.store;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import io.pvring.nbd.NbdClient;
import io.pvring.nbd.NbdClientConfig;
import io.pvring.nbd.NbdCompletionSink;
import io.pvring.nbd.NbdErrno;
import io.pvring.nbd.NbdException;
import io.pvring.nbd.NbdExport;
import io.pvring.nbd.NbdUri;
import io.pvring.nbd.QemuNbdServer;
import org.agrona.concurrent.ManyToManyConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A disk served by an NBD server, over {@link NbdClient}: any NBD export ({@code nbd://}, {@code nbd+unix://}), or
 * an image qemu reads through a private {@link QemuNbdServer} this store owns and stops when it closes.
 *
 * <p>A read or write becomes one NBD request per run of segments that are contiguous in memory (the segments are
 * always contiguous on the disk); the io completes once, when every part did, with the first error of any part.
 * FLUSH is NBD_CMD_FLUSH, which the client holds behind every write submitted before it (so it covers at least
 * what {@link BlockStore}'s contract asks); without NBD_FLAG_SEND_FLUSH the server has no volatile cache and a
 * flush completes at once. Writethrough ({@code fuaWrites}) sends every write with FUA, or where the server lacks
 * FUA, writes then flushes. DISCARD is NBD_CMD_TRIM, offered ({@code feature-discard}) only when the export
 * advertises it. A read-only export is a read-only disk.
 *
 * <p>Per io state lives in a preallocated table of {@link #maxIos} entries; NBD requests in flight are bounded by
 * the client's table ({@link NbdClientConfig#maxInFlight()}), whose free slots this store counts as credits: an
 * io that finds none waits, parked, for the next completion to send the rest of its parts. Nothing is allocated
 * per request once warm. Completions go straight to {@link BlockIo#complete}, which hands them to the ring: on the
 * client's io_uring path they arrive on the ring thread that drives the connection (which then also signals the
 * io's ring, as a completion reaped while its runner slept must), on the event-loop path on the client's loop.
 *
 * <p>A server that dies or breaks the protocol fails the connection: every io in flight completes with
 * {@link #EIO} ({@code BLKIF_RSP_ERROR}), every later one at once, and the error, naming the server, is logged
 * once, given by {@link #failure()} and told to the {@link #failureListener} (blkback writes it to the device's
 * {@code error} node). Other devices have their own clients and are untouched.
 *
 * <p>Batching: each ring submits through its own {@link #openQueue queue}, which sends what the ring submitted in
 * one turn at the end of the turn ({@link BlockQueue#flush()}: one {@link NbdClient#flushBatch}, so one socket
 * write per turn rather than per request). On the io_uring path the queue's ring thread is the connection's driver
 * when it sent first; the other queues' batches are sent by the driver, which their flush wakes; a driver's queue
 * that closes lets go and the other queues take over. {@link #submit} alone (no queue) flushes each io at once.
 */
public final class NbdBlockStore implements BlockStore
{
    /** Ios in flight at once across the device's rings: 4 queues of the largest ring (16 pages, 512 entries). */
    public static final int DEFAULT_MAX_IOS = 2048;

    /** How long a closing queue waits for its ios on the io_uring path (the client's request timeout ends them). */
    private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private static final System.Logger LOG = System.getLogger(NbdBlockStore.class.getName());

    private final NbdClient client;
    private final NbdExport export;
    private final QemuNbdServer server;
    private final int sectorSize;
    private final boolean readOnly;
    private final boolean fuaWrites;
    private final String description;
    private final Entry[] entries;
    private final ManyToManyConcurrentArrayQueue<Entry> free;
    private final ManyToManyConcurrentArrayQueue<Entry> parked;
    private final AtomicInteger credits;
    private final AtomicBoolean logged = new AtomicBoolean();
    private final AtomicBoolean failureTold = new AtomicBoolean();
    private volatile Consumer<String> failureListener;
    private final int maxIos;
    /** Open rings' queues: when one that drove the connection closes, the others are told to take over. */
    private final List<TurnQueue> queues = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private NbdBlockStore(final Sink sink, final NbdClient client, final QemuNbdServer server, final int sectorSize,
        final boolean readOnly, final boolean fuaWrites, final int maxIos, final String description)
    {
        this.client = client;
        this.export = client.export();
        this.server = server;
        this.sectorSize = sectorSize;
        this.readOnly = readOnly || export.readOnly();
        this.fuaWrites = fuaWrites;
        this.description = description;
        this.maxIos = maxIos;
        this.entries = new Entry[maxIos];
        this.free = new ManyToManyConcurrentArrayQueue<>(maxIos);
        this.parked = new ManyToManyConcurrentArrayQueue<>(maxIos);
        for (int i = 0; i < maxIos; i++)
        {
            entries[i] = new Entry(i);
            free.offer(entries[i]);
        }
        this.credits = new AtomicInteger(sink.maxInFlight);
        sink.store = this;
    }

    /**
     * Connects to {@code uri} and serves its export as a disk with {@code sectorSize}-byte logical sectors.
     *
     * @param server    the qemu-nbd serving it, stopped when the store closes (or here if opening fails);
     *                  null for a server the store does not own.
     * @param fuaWrites writethrough: every write is durable before it completes.
     * @throws IllegalArgumentException when the export cannot be a disk of that sector size.
     * @throws NbdException naming the server: unreachable, not NBD, export refused.
     */
    public static NbdBlockStore open(final NbdUri uri, final NbdClientConfig config, final QemuNbdServer server,
        final int sectorSize, final boolean readOnly, final boolean fuaWrites, final int maxIos) throws NbdException
    {
        StoreChecks.checkGeometry(0, sectorSize);
        if (maxIos < 1)
        {
            throw new IllegalArgumentException("maxIos=" + maxIos + " must be positive");
        }
        final Sink sink = new Sink(config.maxInFlight());
        NbdClient client = null;
        boolean opened = false;
        try
        {
            client = NbdClient.connect(uri, config, sink);
            final NbdExport export = client.export();
            if (export.minimumBlockSize() > sectorSize)
            {
                throw new IllegalArgumentException("NBD server " + uri + " (export '" + export.name() + "') needs " +
                    export.minimumBlockSize() + "-byte blocks: use sector-size " + export.minimumBlockSize() +
                    ", not " + sectorSize);
            }
            if (export.size() < sectorSize)
            {
                throw new IllegalArgumentException("NBD server " + uri + " (export '" + export.name() + "') is " +
                    export.size() + " bytes, smaller than one " + sectorSize + "-byte sector");
            }
            final String description = server != null ?
                server.format() + ":" + server.image() + " (qemu-nbd at " + uri + ")" : uri.toString();
            final NbdBlockStore store = new NbdBlockStore(sink, client, server, sectorSize, readOnly, fuaWrites,
                maxIos, description);
            opened = true;
            return store;
        }
        finally
        {
            if (!opened)
            {
                try
                {
                    if (client != null)
                    {
                        client.close();
                    }
                }
                finally
                {
                    if (server != null)
                    {
                        server.close();
                    }
                }
            }
        }
    }

    public NbdExport export()
    {
        return export;
    }

    /** Why the connection to the server ended, naming it; null while it serves. */
    public String failure()
    {
        // The client's reason is set before it fails the requests in flight, so it is there once they are answered.
        return client.isConnected() ? null : client.failure();
    }

    public long sizeBytes()
    {
        return export.size() - export.size() % sectorSize;
    }

    public int logicalSectorSize()
    {
        return sectorSize;
    }

    public int physicalSectorSize()
    {
        final int preferred = export.preferredBlockSize();
        return Math.max(sectorSize, Math.min(preferred, 4096));
    }

    public boolean isReadOnly()
    {
        return readOnly;
    }

    public boolean canFlush()
    {
        return export.canFlush();
    }

    public boolean canDiscard()
    {
        return export.canTrim() && !readOnly;
    }

    public boolean canSecureDiscard()
    {
        return false;
    }

    public int discardGranularity()
    {
        return Math.max(sectorSize, export.minimumBlockSize());
    }

    public boolean resize(final long newSizeBytes)
    {
        return false;
    }

    public String describe()
    {
        return description;
    }

    /** Ios this store can hold in flight; more complete with {@link #EIO} (and an error logged once). */
    public int maxIos()
    {
        return maxIos;
    }

    /**
     * Starts {@code io} from any thread. On the io_uring path the calling thread may become the connection's driver
     * and must then {@link NbdClient#poll} for completions: blkback submits through {@link #openQueue} instead.
     */
    public void submit(final BlockIo io)
    {
        start(io, null);
        client.flushBatch();
    }

    /** A ring's queue: what it submits in a turn is sent together, at the turn's end. */
    @Override
    public BlockQueue openQueue(final int maxInFlight, final int maxSegments, final Runnable completionSignal)
    {
        final TurnQueue queue = new TurnQueue(completionSignal);
        queues.add(queue);
        return queue;
    }

    /** True when the data path runs on the rings' own threads (io_uring), false on Netty's event loop. */
    public boolean onRing()
    {
        return client.onRing();
    }

    @Override
    public void failureListener(final Consumer<String> listener)
    {
        failureListener = listener;
        final String failed = failure();
        if (failed != null && !closed)
        {
            tellFailure(failed);
        }
    }

    /** Hands {@code io}'s requests to the client; they go out at the next {@link NbdClient#flushBatch()}. */
    private void start(final BlockIo io, final TurnQueue queue)
    {
        final Entry entry = free.poll();
        if (entry == null)
        {
            logOnce(description + ": more than " + maxIos + " requests in flight; the excess fail with EIO");
            io.complete(EIO);
            return;
        }
        entry.io = io;
        entry.queue = queue;
        if (queue != null)
        {
            queue.inFlight.incrementAndGet();
        }
        entry.status = OK;
        entry.flushAfter = io.op() == BlockIo.WRITE && fuaWrites && !export.canFua() && export.canFlush();
        entry.stage = io.op();
        startStage(entry);
    }

    private void startStage(final Entry entry)
    {
        entry.nextSegment = 0;
        entry.nextOffset = entry.io.offset();
        entry.pending.set(1); // held while parts are being sent, so an early answer cannot finish the stage
        if (sendParts(entry))
        {
            partDone(entry);
        }
        else
        {
            parked.offer(entry); // never full: it holds at most every entry once
            resumeParked();
        }
    }

    /** Sends the rest of the stage's parts; false when credits ran out first (the entry must be parked). */
    private boolean sendParts(final Entry entry)
    {
        final BlockIo io = entry.io;
        switch (entry.stage)
        {
            case BlockIo.READ:
            case BlockIo.WRITE:
                return sendData(entry, io, entry.stage == BlockIo.WRITE);
            case BlockIo.FLUSH:
                if (!export.canFlush())
                {
                    return true; // no volatile cache: every completed write is durable
                }
                if (!takeCredit())
                {
                    return false;
                }
                entry.pending.incrementAndGet();
                submitted(entry, client.submitFlush(entry.index));
                return true;
            case BlockIo.DISCARD:
                if (!export.canTrim() || io.secure())
                {
                    fail(entry, EOPNOTSUPP);
                    return true;
                }
                if (!takeCredit())
                {
                    return false;
                }
                entry.pending.incrementAndGet();
                submitted(entry, client.submitTrim(entry.index, io.offset(), io.length()));
                return true;
            default:
                fail(entry, EOPNOTSUPP);
                return true;
        }
    }

    private boolean sendData(final Entry entry, final BlockIo io, final boolean write)
    {
        final int segments = io.segments();
        while (entry.nextSegment < segments && entry.status == OK)
        {
            int segment = entry.nextSegment;
            final long address = address(io, segment);
            if (address == 0)
            {
                fail(entry, EIO);
                return true;
            }
            long length = io.segmentLength(segment);
            segment++;
            while (segment < segments)
            {
                final long next = address(io, segment);
                if (next != address + length)
                {
                    break;
                }
                length += io.segmentLength(segment);
                segment++;
            }
            if (!takeCredit())
            {
                return false;
            }
            entry.pending.incrementAndGet();
            final int rc = write ?
                client.submitWrite(entry.index, entry.nextOffset, (int)length, address, fuaWrites && export.canFua()) :
                client.submitRead(entry.index, entry.nextOffset, (int)length, address);
            submitted(entry, rc);
            entry.nextSegment = segment;
            entry.nextOffset += length;
        }
        return true;
    }

    /** Where segment {@code index}'s data starts in memory, or 0 if its page is gone. */
    private static long address(final BlockIo io, final int index)
    {
        final UnsafeBuffer page = io.page(index);
        return page == null ? 0 : page.addressOffset() + io.segmentPageOffset(index);
    }

    private boolean takeCredit()
    {
        int c;
        do
        {
            c = credits.get();
            if (c == 0)
            {
                return false;
            }
        }
        while (!credits.compareAndSet(c, c - 1));
        return true;
    }

    /**
     * After a part was handed to the client, already counted in {@code pending} (its answer may come before the
     * client call even returns); a refused part gives its count and credit back.
     */
    private void submitted(final Entry entry, final int rc)
    {
        if (rc != 0)
        {
            entry.pending.decrementAndGet(); // never the last: the sender still holds its own count
            credits.incrementAndGet();
            fail(entry, rc == NbdErrno.EOPNOTSUPP ? EOPNOTSUPP : EIO);
        }
    }

    private static void fail(final Entry entry, final int status)
    {
        if (entry.status == OK)
        {
            entry.status = status;
        }
    }

    /** Sends the parts of parked entries while credits last (any thread; an entry polled is ours alone). */
    private void resumeParked()
    {
        boolean sent = false;
        while (credits.get() > 0)
        {
            final Entry entry = parked.poll();
            if (entry == null)
            {
                break;
            }
            sent = true;
            if (sendParts(entry))
            {
                partDone(entry);
            }
            else
            {
                // Credits ran out again: the loop's check sees any credit returned since, so none is missed.
                parked.offer(entry);
            }
        }
        if (sent)
        {
            client.flushBatch();
        }
    }

    /** One part of the entry's stage is over (or its sender let go); the last one ends the stage. */
    private void partDone(final Entry entry)
    {
        if (entry.pending.decrementAndGet() != 0)
        {
            return;
        }
        if (entry.flushAfter && entry.status == OK)
        {
            entry.flushAfter = false;
            entry.stage = BlockIo.FLUSH; // FUA emulated: the write is answered, now make it durable
            startStage(entry);
            client.flushBatch();
            return;
        }
        final BlockIo io = entry.io;
        final int status = entry.status;
        final TurnQueue queue = entry.queue;
        entry.io = null;
        entry.queue = null;
        free.offer(entry); // before the completion: the ring may submit again at once
        if (queue != null)
        {
            queue.inFlight.decrementAndGet();
        }
        io.complete(status);
        if (queue != null && client.onRing())
        {
            // Reaped on a ring's thread, perhaps while its runner slept in the io_uring: the ring's agent must be
            // told (a completion on its own thread does not wake it by itself). An atomic flag on that thread.
            queue.signal.run();
        }
    }

    private void onCompletion(final long tag, final int result)
    {
        credits.incrementAndGet();
        final Entry entry = entries[(int)tag];
        if (result < 0)
        {
            fail(entry, result == NbdErrno.EOPNOTSUPP ? EOPNOTSUPP : EIO);
        }
        partDone(entry);
        if (!parked.isEmpty())
        {
            resumeParked();
        }
    }

    private void onDisconnected(final String reason)
    {
        if (!closed)
        {
            logOnce(description + ": " + reason + "; every request on this disk now fails (BLKIF_RSP_ERROR)");
            tellFailure(reason);
        }
    }

    private void tellFailure(final String reason)
    {
        final Consumer<String> listener = failureListener;
        if (listener != null && failureTold.compareAndSet(false, true))
        {
            listener.accept("disk " + description + " failed: " + reason +
                "; every request on it now fails (BLKIF_RSP_ERROR)");
        }
    }

    private void logOnce(final String message)
    {
        if (logged.compareAndSet(false, true))
        {
            LOG.log(System.Logger.Level.ERROR, message);
        }
    }

    /** Disconnects (requests in flight are answered first, bounded by the client) and stops an owned qemu-nbd. */
    public void close()
    {
        closed = true;
        try
        {
            client.close();
        }
        finally
        {
            if (server != null)
            {
                server.close();
            }
        }
    }

    @Override
    public String toString()
    {
        final String why = failure();
        return "NbdBlockStore[" + description + (why != null ? " failed: " + why : "") + "]";
    }

    /**
     * One ring's path into the store: {@link #submit} starts the io's requests in the client, {@link #flush} sends
     * the turn's batch with one {@link NbdClient#flushBatch}. On the event-loop path completions go straight to the
     * ios from the loop, so {@link #poll} has nothing to do. On the io_uring path the ring whose thread drives the
     * connection sends and reaps in its own {@link #poll} and {@link #flush}; another ring's batch is sent by the
     * driver, woken through its completion signal. A queue that closes waits (bounded) for its own ios; a driver
     * then lets go and the other queues are signalled, so one of them takes over.
     */
    private final class TurnQueue implements BlockQueue
    {
        final AtomicInteger inFlight = new AtomicInteger();
        final Runnable signal;
        private int submitted;

        TurnQueue(final Runnable signal)
        {
            this.signal = signal;
        }

        public void submit(final BlockIo io)
        {
            start(io, this);
            submitted++;
        }

        public int poll()
        {
            return client.poll(signal);
        }

        public int flush()
        {
            final int batch = submitted;
            if (batch != 0)
            {
                submitted = 0;
                client.flushBatch(signal);
            }
            return batch;
        }

        public int inFlight()
        {
            return inFlight.get();
        }

        @Override
        public boolean needsPolling()
        {
            return client.needsPolling();
        }

        public void close()
        {
            queues.remove(this);
            if (!client.onRing())
            {
                return;
            }
            final long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
            while (inFlight.get() > 0 && System.nanoTime() - deadline < 0)
            {
                client.poll(signal);
                if (inFlight.get() > 0)
                {
                    if (client.driver() == Thread.currentThread())
                    {
                        client.awaitCompletion(Math.min(POLL_WITHIN_NANOS, deadline - System.nanoTime()));
                    }
                    else
                    {
                        LockSupport.parkNanos(POLL_WITHIN_NANOS); // another ring's driver completes them
                    }
                }
            }
            client.release(deadline);
            for (final TurnQueue other : queues)
            {
                other.signal.run();
            }
        }
    }

    /** Per-io state: the io, where its parts stand, and the first error. Owned by one thread at a time. */
    private static final class Entry
    {
        final int index;
        final AtomicInteger pending = new AtomicInteger();
        BlockIo io;
        TurnQueue queue;
        int stage;
        int nextSegment;
        long nextOffset;
        boolean flushAfter;
        volatile int status;

        Entry(final int index)
        {
            this.index = index;
        }
    }

    /** The client's completions, bound to the store once it exists (nothing completes before it submits). */
    private static final class Sink implements NbdCompletionSink
    {
        final int maxInFlight;
        volatile NbdBlockStore store;

        Sink(final int maxInFlight)
        {
            this.maxInFlight = maxInFlight;
        }

        public void onCompletion(final long tag, final int result)
        {
            store.onCompletion(tag, result);
        }

        public void onDisconnected(final String reason)
        {
            final NbdBlockStore s = store;
            if (s != null)
            {
                s.onDisconnected(reason);
            }
        }
    }
}
