package io.pvring.stats;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import io.pvring.runner.Runner;
import io.pvring.runner.RunnerPool;
import org.agrona.concurrent.status.CountersManager;

import static io.pvring.stats.DeviceSlotDescriptor.GENERATION_OFFSET;
import static io.pvring.stats.DeviceSlotDescriptor.MAX_MESSAGE;
import static io.pvring.stats.DeviceSlotDescriptor.MAX_PATH;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_CLIENT_PID_OFFSET;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_DROPPED_OFFSET;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_FAILED;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_MESSAGE_OFFSET;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_OFF;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_ON;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_PATH_LENGTH_OFFSET;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_PATH_OFFSET;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_RECORDS_OFFSET;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_REQUEST_OFFSET;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_START;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_STATE_OFFSET;

/**
 * A process's I/O statistics: one counters file ({@link CountersFile}) where every device registers its queues'
 * counters at connect and releases them at disconnect (records and device slots are reused), plus a publisher
 * agent, off the ring threads, that publishes latency histograms at a low rate, refreshes the heartbeat and runs
 * the traces other processes ask for through the device slots ({@link DeviceSlotDescriptor}).
 * <p>
 * A device, at connect: {@code DeviceStats d = stats.register(new DeviceId(VBD, domid, devid), rings)}; each ring's
 * thread then counts through {@code d.queue(q)} ({@link QueueStats}: counters, latency, trace); at disconnect, after
 * its threads stopped: {@code stats.release(d)}. Registration and release take a lock; counting never does.
 */
public final class IoStats implements AutoCloseable
{
    /** Counters for guest names: one per domain. */
    public static final int DOMAIN_COUNTERS = 256;
    /** Runners whose figures a file has room for ({@link #publishRunners}); a larger pool publishes its first ones. */
    public static final int MAX_RUNNERS = 64;
    public static final long DEFAULT_HISTOGRAM_INTERVAL_MS = 1000;
    /** The publisher's period while a trace runs (or is being refused): draining and answering the client. */
    static final int POLL_MS = 10;
    /** The publisher's period otherwise: how soon a new trace request is seen (histograms go at their interval). */
    static final int IDLE_POLL_MS = 250;

    private final CountersFile file;
    private final AtomicBuffer slots;
    private final boolean[] slotUsed;
    private final long histogramIntervalMs;
    private final List<DeviceStats> devices = new ArrayList<>();
    private final List<Runner> runners = new ArrayList<>();
    private final List<CounterBlock> runnerCounters = new ArrayList<>();
    private final Map<Integer, Integer> domainCounters = new HashMap<>();
    private final ByteBuffer scratch = HistogramSlot.newScratch();
    private final UnsafeBuffer keyBuffer = new UnsafeBuffer(new byte[CounterKeyDescriptor.LENGTH]);
    private long lastHistogramMs;
    /** How long the publisher sleeps after its current cycle: {@link #POLL_MS} while tracing, else longer. */
    private volatile long sleepMs = IDLE_POLL_MS;
    private volatile Thread publisherThread;
    private volatile boolean stopping;
    private AgentRunner runner;
    private Throwable lastError;
    private long errors;
    private boolean closed;

    private IoStats(final CountersFile file, final long histogramIntervalMs)
    {
        this.file = file;
        this.slots = file.slots();
        this.slotUsed = new boolean[file.slotCount()];
        this.histogramIntervalMs = histogramIntervalMs;
    }

    /**
     * Creates the counters file at {@code path} with room for {@code maxDevices} devices of up to
     * {@code maxQueues} queues each (and {@link #DOMAIN_COUNTERS} guests). Call {@link #start()} to run the
     * publisher on its own thread, or step {@link #doWork(long)}.
     */
    public static IoStats create(final Path path, final int maxDevices, final int maxQueues)
    {
        return create(path, maxDevices, maxQueues, DEFAULT_HISTOGRAM_INTERVAL_MS);
    }

    public static IoStats create(
        final Path path, final int maxDevices, final int maxQueues, final long histogramIntervalMs)
    {
        if (maxDevices < 1 || maxQueues < 1 || histogramIntervalMs < 1)
        {
            throw new IllegalArgumentException("maxDevices=" + maxDevices + " maxQueues=" + maxQueues +
                " histogramIntervalMs=" + histogramIntervalMs);
        }
        final int perQueue = Math.max(BlkCounters.SET.size(), NetCounters.SET.size());
        final long counters = DOMAIN_COUNTERS + MAX_RUNNERS * RunnerCounters.SET.size() +
            (long)maxDevices * maxQueues * perQueue;
        if (counters > CountersFileDescriptor.MAX_COUNTERS)
        {
            throw new IllegalArgumentException("too many counters: maxDevices=" + maxDevices + " maxQueues=" +
                maxQueues);
        }
        return new IoStats(CountersFile.create(path, (int)counters, maxDevices), histogramIntervalMs);
    }

    public CountersFile file()
    {
        return file;
    }

    /** For devices that allocate their own {@link CounterBlock}s (thread-safe allocation). */
    public CountersManager manager()
    {
        return file.manager();
    }

    /** Names guest {@code domid} for readers (one counter keyed with the name, its value the domid). */
    public synchronized void nameDomain(final int domid, final String name)
    {
        if (closed)
        {
            return;
        }
        forgetDomain(domid);
        keyBuffer.setMemory(0, keyBuffer.capacity(), (byte)0);
        new CounterKey(DeviceKind.DOMAIN, domid, 0, CounterKeyDescriptor.QUEUE_NONE, CounterKeyDescriptor.SLOT_NONE,
            0, System.currentTimeMillis() * 1000, name).write(keyBuffer);
        final byte[] label = ("domain " + domid + " " + name).getBytes(StandardCharsets.US_ASCII);
        final int id = file.manager().allocate(CounterKeyDescriptor.DOMAIN_TYPE_ID, keyBuffer, 0,
            keyBuffer.capacity(), new UnsafeBuffer(label), 0, Math.min(label.length, 300));
        file.manager().setCounterValue(id, domid);
        domainCounters.put(domid, id);
    }

    public synchronized void forgetDomain(final int domid)
    {
        if (closed)
        {
            return;
        }
        final Integer id = domainCounters.remove(domid);
        if (id != null)
        {
            file.manager().free(id);
        }
    }

    /**
     * Registers a device's {@code queues} queues (at connect, any thread). Without a free device slot it publishes
     * counters only; when the file has no room for its counters it still gets counters, private ones no other
     * process sees ({@link DeviceStats#published()} false).
     */
    public synchronized DeviceStats register(final DeviceId id, final int queues)
    {
        if (closed)
        {
            throw new IllegalStateException("io stats closed");
        }
        if (queues < 1)
        {
            throw new IllegalArgumentException("queues=" + queues);
        }
        final CounterSet set = CounterSet.of(id.kind());
        int slot = CounterKeyDescriptor.SLOT_NONE;
        for (int s = 0; s < slotUsed.length; s++)
        {
            if (!slotUsed[s])
            {
                slot = s;
                break;
            }
        }
        final long now = System.currentTimeMillis() * 1000;
        CountersManager manager = file.manager();
        int generation = 0;
        if (slot != CounterKeyDescriptor.SLOT_NONE)
        {
            final int offset = CountersFile.slotOffset(slot);
            generation = slots.getInt(offset + GENERATION_OFFSET) + 1;
            HistogramSlot.clear(slots, offset);
            slots.putInt(offset + TRACE_STATE_OFFSET, TRACE_OFF);
            slots.putLong(offset + TRACE_RECORDS_OFFSET, 0);
            slots.putLong(offset + TRACE_DROPPED_OFFSET, 0);
            slots.putIntVolatile(offset + TRACE_REQUEST_OFFSET, 0);
            slots.putIntRelease(offset + GENERATION_OFFSET, generation); // a waiting client sees the slot changed
        }
        final QueueStats[] stats = new QueueStats[queues];
        boolean published = true;
        try
        {
            for (int q = 0; q < queues; q++)
            {
                final CounterKey key = new CounterKey(id.kind(), id.domid(), id.devid(), q, slot, generation, now, "");
                stats[q] = new QueueStats(allocate(manager, set, key, id + " q" + q), q);
            }
        }
        catch (final IllegalStateException full)
        {
            for (final QueueStats s : stats)
            {
                if (s != null)
                {
                    s.counters().close();
                }
            }
            slot = CounterKeyDescriptor.SLOT_NONE;
            published = false;
            manager = privateManager(queues * set.size());
            for (int q = 0; q < queues; q++)
            {
                final CounterKey key = new CounterKey(id.kind(), id.domid(), id.devid(), q, slot, 0, now, "");
                stats[q] = new QueueStats(allocate(manager, set, key, id + " q" + q), q);
            }
        }
        final DeviceStats device = new DeviceStats(id, slot, generation, stats, published);
        if (slot != CounterKeyDescriptor.SLOT_NONE)
        {
            slotUsed[slot] = true;
            devices.add(device);
        }
        return device;
    }

    /**
     * Publishes the figures of {@code pool}'s runners (load, passes, parks, wake-ups, errors), copied by the
     * publisher at each cycle. Once per pool; a pool closed later keeps its last figures.
     *
     * @throws IllegalStateException when the file has no room for them.
     */
    public synchronized void publishRunners(final RunnerPool pool)
    {
        if (closed)
        {
            return;
        }
        final long now = System.currentTimeMillis() * 1000;
        for (int i = 0; i < Math.min(pool.runners(), MAX_RUNNERS - runners.size()); i++)
        {
            final CounterKey key = new CounterKey(DeviceKind.RUNNER, 0, i, 0, CounterKeyDescriptor.SLOT_NONE, 0, now,
                "");
            runnerCounters.add(allocate(file.manager(), RunnerCounters.SET, key, pool.runner(i).name()));
            runners.add(pool.runner(i));
        }
        copyRunners();
    }

    private void copyRunners()
    {
        for (int i = 0; i < runners.size(); i++)
        {
            final Runner r = runners.get(i);
            final CounterBlock c = runnerCounters.get(i);
            c.set(RunnerCounters.LOAD, r.load());
            c.set(RunnerCounters.LOOPS, r.loops());
            c.set(RunnerCounters.PARKS, r.parks());
            c.set(RunnerCounters.UNPARKS, r.unparks());
            c.set(RunnerCounters.ERRORS, r.errors());
        }
    }

    /**
     * A device's stats that no file publishes (a device built without an {@link IoStats}: tests, benchmarks, an
     * embedding without counters): its queues count into a private buffer, so a device's code counts the same way
     * whether or not anyone watches. Nothing to release.
     */
    public static DeviceStats unpublished(final DeviceId id, final int queues)
    {
        if (queues < 1)
        {
            throw new IllegalArgumentException("queues=" + queues);
        }
        final CounterSet set = CounterSet.of(id.kind());
        final CountersManager manager = privateManager(queues * set.size());
        final QueueStats[] stats = new QueueStats[queues];
        for (int q = 0; q < queues; q++)
        {
            final CounterKey key = new CounterKey(id.kind(), id.domid(), id.devid(), q, CounterKeyDescriptor.SLOT_NONE,
                0, 0, "");
            stats[q] = new QueueStats(allocate(manager, set, key, id + " q" + q), q);
        }
        return new DeviceStats(id, CounterKeyDescriptor.SLOT_NONE, 0, stats, false);
    }

    private static CounterBlock allocate(
        final CountersManager manager, final CounterSet set, final CounterKey key, final String label)
    {
        return CounterBlock.allocate(manager, set, key, label);
    }

    private static CountersManager privateManager(final int counters)
    {
        return new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(CountersFileDescriptor.metadataLength(counters))),
            new UnsafeBuffer(ByteBuffer.allocateDirect(CountersFileDescriptor.valuesLength(counters))));
    }

    /** Releases a device (at disconnect, after its queues' threads stopped): stops its trace, frees its slot. */
    public synchronized void release(final DeviceStats device)
    {
        if (closed)
        {
            return; // close() released it, and the file is unmapped
        }
        if (!devices.remove(device))
        {
            for (int q = 0; q < device.queues(); q++)
            {
                device.queue(q).counters().close();
            }
            return;
        }
        final int offset = CountersFile.slotOffset(device.slot());
        final TraceSession session = device.traceSession();
        if (session != null)
        {
            device.traceSession(null);
            stopTrace(offset, session);
        }
        slots.putIntRelease(offset + TRACE_STATE_OFFSET, TRACE_OFF);
        HistogramSlot.clear(slots, offset);
        slotUsed[device.slot()] = false;
        for (int q = 0; q < device.queues(); q++)
        {
            device.queue(q).counters().close();
        }
    }

    /**
     * Runs the publisher on a thread of its own ("pvring-stats"): every {@value #POLL_MS} ms while a trace runs,
     * else every {@value #IDLE_POLL_MS} ms (a host of idle devices costs a few wake-ups a second, issue 11), with
     * histograms at their interval, and only for devices that recorded latencies since.
     */
    public synchronized void start()
    {
        if (runner != null)
        {
            throw new IllegalStateException("already started");
        }
        final IdleStrategy pacing = new IdleStrategy()
        {
            @Override
            public void idle(final int workCount)
            {
                idle();
            }

            @Override
            public void idle()
            {
                if (!stopping)
                {
                    LockSupport.parkNanos(sleepMs * 1_000_000L); // close() unparks it
                }
            }

            @Override
            public void reset()
            {
            }
        };
        runner = new AgentRunner(pacing, this::onError, null, new Agent()
        {
            @Override
            public int doWork()
            {
                return IoStats.this.doWork(System.currentTimeMillis());
            }

            @Override
            public String roleName()
            {
                return "pvring-stats";
            }
        });
        AgentRunner.startOnThread(runner, task ->
        {
            final Thread thread = new Thread(task);
            thread.setDaemon(true); // never keeps a process alive that forgot to close it
            publisherThread = thread;
            return thread;
        });
    }

    private synchronized void onError(final Throwable error)
    {
        errors++;
        lastError = error;
    }

    /** Publisher errors so far (a trace file that could not be written, ...), and the last one. */
    public synchronized long errors()
    {
        return errors;
    }

    public synchronized Throwable lastError()
    {
        return lastError;
    }

    /**
     * One publisher cycle: trace requests and draining every call; histograms and the heartbeat once per interval.
     *
     * @return work done (records drained, histograms published).
     */
    public synchronized int doWork(final long nowMillis)
    {
        if (closed)
        {
            return 0;
        }
        int work = 0;
        boolean tracing = false;
        for (final DeviceStats device : devices)
        {
            work += traceControl(device);
            tracing |= device.traceSession() != null ||
                slots.getIntVolatile(CountersFile.slotOffset(device.slot()) + TRACE_STATE_OFFSET) != TRACE_OFF;
        }
        copyRunners();
        if (nowMillis - lastHistogramMs >= histogramIntervalMs)
        {
            lastHistogramMs = nowMillis;
            work += publishHistograms();
            file.heartbeat(nowMillis);
        }
        final long untilHistograms = Math.max(1, histogramIntervalMs - (nowMillis - lastHistogramMs));
        sleepMs = Math.min(tracing ? POLL_MS : IDLE_POLL_MS, untilHistograms);
        return work;
    }

    /**
     * Publishes the latency histogram of every device that recorded latencies since its last publication, and the
     * runners' figures (tests; a reader that cannot wait for the interval).
     *
     * @return histograms published.
     */
    public synchronized int publishHistograms()
    {
        copyRunners();
        int published = 0;
        for (final DeviceStats device : devices)
        {
            if (device.collect())
            {
                HistogramSlot.publish(slots, CountersFile.slotOffset(device.slot()), device.cumulative(), scratch);
                published++;
            }
        }
        return published;
    }

    private int traceControl(final DeviceStats device)
    {
        final int offset = CountersFile.slotOffset(device.slot());
        final int request = slots.getIntVolatile(offset + TRACE_REQUEST_OFFSET);
        final int state = slots.getIntVolatile(offset + TRACE_STATE_OFFSET);
        final TraceSession session = device.traceSession();
        if (session != null)
        {
            if (request != TRACE_START || !alive(session.clientPid()))
            {
                device.traceSession(null);
                stopTrace(offset, session);
                slots.compareAndSetInt(offset + TRACE_REQUEST_OFFSET, TRACE_START, 0); // a dead client's request
                slots.putIntRelease(offset + TRACE_STATE_OFFSET, TRACE_OFF); // the file is complete: counts first
                return 1;
            }
            final int drained = session.drain();
            slots.putLongRelease(offset + TRACE_RECORDS_OFFSET, session.records());
            slots.putLongRelease(offset + TRACE_DROPPED_OFFSET, session.dropped());
            return drained;
        }
        if (request == TRACE_START && state == TRACE_OFF)
        {
            return startTrace(device, offset);
        }
        if (state == TRACE_FAILED && (request != TRACE_START ||
            !alive(slots.getLongVolatile(offset + TRACE_CLIENT_PID_OFFSET))))
        {
            slots.compareAndSetInt(offset + TRACE_REQUEST_OFFSET, TRACE_START, 0);
            slots.putIntRelease(offset + TRACE_STATE_OFFSET, TRACE_OFF);
            return 1;
        }
        return 0;
    }

    private int startTrace(final DeviceStats device, final int offset)
    {
        final int length = slots.getInt(offset + TRACE_PATH_LENGTH_OFFSET);
        final long pid = slots.getLong(offset + TRACE_CLIENT_PID_OFFSET);
        String reason = null;
        if (length <= 0 || length > MAX_PATH)
        {
            reason = "bad trace path length " + length;
        }
        else
        {
            final String path = slots.getStringWithoutLengthUtf8(offset + TRACE_PATH_OFFSET, length);
            if (!Path.of(path).isAbsolute())
            {
                reason = "trace path must be absolute: " + path;
            }
            else
            {
                try
                {
                    slots.putLong(offset + TRACE_RECORDS_OFFSET, 0);
                    slots.putLong(offset + TRACE_DROPPED_OFFSET, 0);
                    device.traceSession(new TraceSession(device, Path.of(path), pid));
                    slots.putIntRelease(offset + TRACE_STATE_OFFSET, TRACE_ON);
                    return 1;
                }
                catch (final RuntimeException ex)
                {
                    reason = ex.getMessage();
                }
            }
        }
        final byte[] message = String.valueOf(reason).getBytes(StandardCharsets.UTF_8);
        final int n = Math.min(message.length, MAX_MESSAGE);
        slots.putInt(offset + TRACE_MESSAGE_OFFSET, n);
        slots.putBytes(offset + TRACE_MESSAGE_OFFSET + 4, message, 0, n);
        slots.putIntRelease(offset + TRACE_STATE_OFFSET, TRACE_FAILED); // the message before the state
        return 1;
    }

    private void stopTrace(final int offset, final TraceSession session)
    {
        try
        {
            session.stop();
        }
        finally
        {
            slots.putLongRelease(offset + TRACE_RECORDS_OFFSET, session.records());
            slots.putLongRelease(offset + TRACE_DROPPED_OFFSET, session.dropped());
        }
    }

    private static boolean alive(final long pid)
    {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Stops the publisher and any trace (files complete); the counters file stays on disk. Devices first. */
    @Override
    public void close()
    {
        final AgentRunner r;
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            r = runner;
        }
        if (r != null)
        {
            stopping = true;
            final Thread t = publisherThread;
            if (t != null)
            {
                LockSupport.unpark(t); // a sleeping publisher ends now, not at its next cycle
            }
            r.close(); // outside the lock: its last cycle may be waiting for it
        }
        synchronized (this)
        {
            for (final DeviceStats device : new ArrayList<>(devices))
            {
                release(device);
            }
            closed = true;
            file.close();
        }
    }
}
