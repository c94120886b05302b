package io.pvring.blkback;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.pvring.blkback.qos.BlkThrottle;
import io.pvring.blkback.qos.ThrottleLimits;
import io.pvring.blkback.store.BlockStore;
import io.pvring.blkif.BlkifAbi;
import io.pvring.event.EventPort;
import io.pvring.grant.GrantMapper;
import io.pvring.grant.RingMapping;
import io.pvring.ring.SharedRingDescriptor;
import io.pvring.runner.AgentHandle;
import io.pvring.runner.RingAgent;
import io.pvring.runner.RunnerPool;
import io.pvring.stats.DeviceId;
import io.pvring.stats.DeviceKind;
import io.pvring.stats.DeviceStats;
import io.pvring.stats.IoStats;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

/**
 * One virtual block device served to one frontend: the rings (queues) it connected, the store behind them, and
 * their lifecycle. The transport parameters come from xenbus negotiation (or a caller that negotiated them itself):
 * {@link #connectRing} maps a ring's grants and builds its {@link BlkRing} agent; {@link #start} adds the agents to
 * the host's {@link RunnerPool} with the device's {@link BlkBackConfig#waitMode()}; {@link #disconnect()} takes them
 * off again (after their I/O in flight drained, bounded), releases every mapping and can be followed by a new
 * connection (frontend reconnect). A ring whose frontend breaks the protocol, or whose agent fails, marks the whole
 * device {@link #isBroken() broken}: every ring stops, other devices (on the same runners too) are untouched.
 *
 * <p>Thread-safety: connect/start/disconnect are called by one control thread (the xenbus watcher), never by a
 * runner thread; the rings run on their runners.
 */
public final class BlkBack implements AutoCloseable
{
    private final String name;
    private final BlockStore store;
    private final BlkBackConfig config;
    private final GrantMapper mapper;
    private final CountersManager countersManager;
    private final DeviceStats stats;
    private final List<BlkRing> rings = new ArrayList<>();
    private final List<int[]> ringHandles = new ArrayList<>();
    private final List<BlkRingCounters> ringCounters = new ArrayList<>();
    private final List<AgentHandle> handles = new ArrayList<>();
    private final BlkThrottle throttle;
    private volatile String brokenReason;
    private volatile BrokenListener brokenListener;

    /**
     * @param name device name for role names and counters, e.g. {@code blkback-1-51712}.
     * @param countersManager where ring counters live; null for a private counters buffer.
     */
    public BlkBack(
        final String name,
        final BlockStore store,
        final BlkBackConfig config,
        final GrantMapper mapper,
        final CountersManager countersManager)
    {
        this(name, store, config, mapper, countersManager, null);
    }

    /**
     * @param stats where each ring publishes its figures ({@code stats.queue(q)} for ring {@code q}): the device's
     *     registration in the process's {@link IoStats}; null (or a ring beyond its queues) counts privately.
     */
    public BlkBack(
        final String name,
        final BlockStore store,
        final BlkBackConfig config,
        final GrantMapper mapper,
        final CountersManager countersManager,
        final DeviceStats stats)
    {
        this.stats = stats;
        this.name = name;
        this.store = store;
        this.config = config;
        this.mapper = mapper;
        this.throttle = new BlkThrottle(config.throttle());
        this.countersManager = countersManager != null ?
            countersManager : BlkRingCounters.newCountersManager(16 * config.maxQueues());
    }

    public String name()
    {
        return name;
    }

    public BlockStore store()
    {
        return store;
    }

    public BlkBackConfig config()
    {
        return config;
    }

    public CountersManager countersManager()
    {
        return countersManager;
    }

    /** The device's I/O limits now. */
    public ThrottleLimits throttleLimits()
    {
        return throttle.limits();
    }

    /**
     * Changes the device's I/O limits, connected or not (the control thread): the rings take them at their next
     * request, and a ring holding a request for the old limits is woken to ask the new ones.
     */
    public void throttleLimits(final ThrottleLimits limits)
    {
        throttle.limits(limits);
        for (final AgentHandle handle : handles)
        {
            handle.wake();
        }
    }

    /** Rings connected now, in queue order. */
    public List<BlkRing> rings()
    {
        return rings;
    }

    public boolean isConnected()
    {
        return !rings.isEmpty();
    }

    /** The rings' places on their runners, in queue order, while started (empty otherwise). */
    public List<AgentHandle> handles()
    {
        return handles;
    }

    /** True once a frontend broke a ring; {@link #brokenReason()} says how. Cleared by {@link #disconnect()}. */
    public boolean isBroken()
    {
        return brokenReason != null;
    }

    public String brokenReason()
    {
        return brokenReason;
    }

    /** Told why a device stopped serving, with the errno its xenbus {@code error} node should carry. */
    public interface BrokenListener
    {
        /**
         * @param errno  {@code EINVAL} (22) when the frontend broke the protocol, {@code EIO} (5) when the backend
         *               failed (an agent threw), as Linux's {@code xenbus_dev_fatal} callers choose.
         * @param reason what happened, naming the ring.
         */
        void onBroken(int errno, String reason);
    }

    /** The errno of a device stopped by its frontend's protocol breach. */
    public static final int EINVAL = 22;
    /** The errno of a device stopped by a backend failure. */
    public static final int EIO = 5;

    /**
     * Told (on the ring's thread) when the device stops serving; typically asks xenbus to close the device
     * ({@code XenbusDevice.requestClose(errno, reason)}), since teardown must not run on a ring thread.
     */
    public void brokenListener(final BrokenListener listener)
    {
        this.brokenListener = listener;
    }

    /**
     * Maps a ring the frontend granted and builds its agent (not yet running).
     *
     * @param protocol the frontend's {@code protocol} key (null = native).
     * @return the ring, or null when the parameters are unacceptable or the grants cannot be mapped (a connection
     *     failure the caller reports through xenbus; nothing stays mapped).
     */
    public BlkRing connectRing(
        final int queue,
        final int[] ringRefs,
        final int pageOrder,
        final String protocol,
        final EventPort port,
        final boolean persistentGrants)
    {
        final BlkifAbi abi = BlkifAbi.forProtocol(protocol);
        if (abi == null || pageOrder < 0 || pageOrder > config.maxRingPageOrder() || queue != rings.size() ||
            queue >= config.maxQueues() || ringRefs.length < (1 << pageOrder) || !handles.isEmpty())
        {
            return null;
        }
        final int pages = 1 << pageOrder;
        final RingMapping mapping = mapper.mapRing(ringRefs, pages);
        if (!mapping.isOk())
        {
            return null;
        }
        final UnsafeBuffer ring = mapping.ring();
        final int[] handles = mapping.handles();
        if (ring.capacity() < SharedRingDescriptor.ringBytes(pageOrder))
        {
            for (final int handle : handles)
            {
                mapper.unmap(handle);
            }
            return null;
        }
        final String role = name + "-q" + queue;
        final BlkRingCounters counters = new BlkRingCounters(countersManager, role);
        final BlkRingStats ringStats = new BlkRingStats(stats != null && queue < stats.queues() ? stats.queue(queue) :
            IoStats.unpublished(new DeviceId(DeviceKind.VBD, 0, 0), 1).queue(0));
        final BlkRing blkRing = new BlkRing(role,
            new BlkRing.Transport(ring, pageOrder, abi, port, persistentGrants && config.persistentGrants()),
            new BlkRing.Device(mapper, store, config, throttle), counters, ringStats, this::onRingBroken);
        rings.add(blkRing);
        ringHandles.add(handles);
        ringCounters.add(counters);
        return blkRing;
    }

    /**
     * Runs the connected rings on {@code pool}, each ring on the least loaded runner (a device's queues spread like
     * Linux's per-queue kthreads), waiting as {@link BlkBackConfig#waitMode()} says.
     */
    public void start(final RunnerPool pool)
    {
        start(pool, -1);
    }

    /**
     * Runs the connected rings on {@code pool}: all on runner {@code runner}, or each on the least loaded runner
     * when it is negative.
     *
     * @throws IllegalStateException when no ring is connected or the rings already run.
     */
    public void start(final RunnerPool pool, final int runner)
    {
        if (rings.isEmpty() || !handles.isEmpty())
        {
            throw new IllegalStateException("rings=" + rings.size() + " running=" + handles.size());
        }
        for (final BlkRing ring : rings)
        {
            handles.add(runner < 0 ? pool.add(ring, config.waitMode(), this::onAgentError) :
                pool.add(ring, config.waitMode(), this::onAgentError, runner));
        }
    }

    /**
     * Takes the rings off their runners once their requests in flight are answered (bounded by
     * {@link BlkBackConfig#inFlightDrainTimeoutMs()}: past it, what is left is abandoned with its mappings), then
     * unmaps the ring pages and frees the counters. Idempotent; the device can connect again afterwards. Never on
     * a runner thread.
     */
    public void disconnect()
    {
        for (int i = 0; i < handles.size(); i++)
        {
            rings.get(i).terminate();
            handles.get(i).wake(); // a sleeping ring must see the termination
        }
        final long deadline = System.nanoTime() + config.inFlightDrainTimeoutMs() * 1_000_000L;
        boolean interrupted = false;
        for (int i = 0; i < handles.size(); i++)
        {
            try
            {
                rings.get(i).closed().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            catch (final TimeoutException ex)
            {
                // Still draining: the removal below closes it at once and abandons what is in flight.
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
            catch (final ExecutionException ex)
            {
                throw new IllegalStateException("closed() never fails", ex);
            }
        }
        for (final AgentHandle handle : handles)
        {
            // Returns once the runner called onClose and waker(null): it never touches the ring again.
            while (true)
            {
                try
                {
                    handle.remove().get();
                    break;
                }
                catch (final InterruptedException ex)
                {
                    interrupted = true;
                }
                catch (final ExecutionException ex)
                {
                    throw new IllegalStateException("remove() never fails", ex);
                }
            }
        }
        handles.clear();
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
        for (int i = 0; i < rings.size(); i++)
        {
            final BlkRing ring = rings.get(i);
            ring.terminate();
            ring.onClose(); // a ring that never ran: drains here; one that ran is closed already
            for (final int handle : ringHandles.get(i))
            {
                mapper.unmap(handle);
            }
            ringCounters.get(i).close();
        }
        rings.clear();
        ringHandles.clear();
        ringCounters.clear();
        brokenReason = null;
    }

    /** {@link #disconnect()}; the store stays open (its owner closes it). */
    public void close()
    {
        disconnect();
    }

    private void onRingBroken(final BlkRing ring, final String reason)
    {
        broken(EINVAL, ring.roleName() + ": " + reason);
    }

    /**
     * A ring's agent threw (a bug, never guest input: guest mistakes are answered): its runner already took it off
     * and closed it; the device stops and asks xenbus to close it, and the other devices keep running.
     */
    private void onAgentError(final RingAgent agent, final Throwable error)
    {
        broken(EIO, agent.roleName() + ": internal error: " + error);
    }

    private void broken(final int errno, final String reason)
    {
        brokenReason = reason;
        for (final BlkRing other : rings)
        {
            other.stop();
        }
        final BrokenListener listener = brokenListener;
        if (listener != null)
        {
            listener.onBroken(errno, brokenReason);
        }
    }

    public String toString()
    {
        return "BlkBack{" + name + ", store=" + store.describe() + ", rings=" + rings.size() + '}';
    }
}
