package io.pvring.stats;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
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
    public static final long DEFAULT_HISTOGRAM_INTERVAL_MS = 1000;
    static final int POLL_MS = 10;

    private final CountersFile file;
    private final AtomicBuffer slots;
    private final boolean[] slotUsed;
    private final long histogramIntervalMs;
    private final List<DeviceStats> devices = new ArrayList<>();
    private final Map<Integer, Integer> domainCounters = new HashMap<>();
    private final ByteBuffer scratch = HistogramSlot.newScratch();
    private final UnsafeBuffer keyBuffer = new UnsafeBuffer(new byte[CounterKeyDescriptor.LENGTH]);
    private long lastHistogramMs;
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
        final long counters = DOMAIN_COUNTERS + (long)maxDevices * maxQueues * perQueue;
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

    /** Runs the publisher on a thread of its own ("pvring-stats"), polling every {@value #POLL_MS} ms. */
    public synchronized void start()
    {
        if (runner != null)
        {
            throw new IllegalStateException("already started");
        }
        runner = new AgentRunner(new SleepingMillisIdleStrategy(POLL_MS), this::onError, null, new Agent()
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
        for (final DeviceStats device : devices)
        {
            work += traceControl(device);
        }
        if (nowMillis - lastHistogramMs >= histogramIntervalMs)
        {
            lastHistogramMs = nowMillis;
            work += publishHistograms();
            file.heartbeat(nowMillis);
        }
        return work;
    }

    /** Publishes every device's latency histogram now (tests; a reader that cannot wait for the interval). */
    public synchronized int publishHistograms()
    {
        for (final DeviceStats device : devices)
        {
            HistogramSlot.publish(slots, CountersFile.slotOffset(device.slot()), device.collect(), scratch);
        }
        return devices.size();
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
