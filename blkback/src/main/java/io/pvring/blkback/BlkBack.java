package io.pvring.blkback;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

import io.pvring.blkback.store.BlockStore;
import io.pvring.blkif.BlkifAbi;
import io.pvring.event.EventPort;
import io.pvring.event.EventWaiter;
import io.pvring.event.IdleStrategies;
import io.pvring.grant.GrantMapper;
import io.pvring.grant.GrantStatus;
import io.pvring.ring.SharedRingDescriptor;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

/**
 * One virtual block device served to one frontend: the rings (queues) it connected, the store behind them, and
 * their lifecycle. The transport parameters come from xenbus negotiation (or a caller that negotiated them itself):
 * {@link #connectRing} maps a ring's grants and builds its {@link BlkRing} agent; {@link #start} runs the agents on
 * one thread or one per ring; {@link #disconnect()} stops the threads, releases every mapping and can be followed by
 * a new connection (frontend reconnect). A ring whose frontend breaks the protocol marks the whole device
 * {@link #isBroken() broken}: every ring stops, other devices are untouched.
 *
 * <p>Thread-safety: connect/start/disconnect are called by one control thread (the xenbus watcher); the rings run on
 * their runner threads.
 */
public final class BlkBack implements AutoCloseable
{
    private final String name;
    private final BlockStore store;
    private final BlkBackConfig config;
    private final GrantMapper mapper;
    private final CountersManager countersManager;
    private final List<BlkRing> rings = new ArrayList<>();
    private final List<int[]> ringHandles = new ArrayList<>();
    private final List<BlkRingCounters> ringCounters = new ArrayList<>();
    private final List<AgentRunner> runners = new ArrayList<>();
    private final List<Thread> ringThreads = new ArrayList<>();
    private final List<IdleStrategy> idleStrategies = new ArrayList<>();
    private volatile String brokenReason;
    private volatile Consumer<String> brokenListener;

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
        this.name = name;
        this.store = store;
        this.config = config.validate();
        this.mapper = mapper;
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

    /** Rings connected now, in queue order. */
    public List<BlkRing> rings()
    {
        return rings;
    }

    public boolean isConnected()
    {
        return !rings.isEmpty();
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

    /**
     * Told (on the ring's thread) when a frontend breaks the protocol; typically asks xenbus to close the device
     * ({@code XenbusDevice.requestClose}), since teardown must not run on a ring thread.
     */
    public void brokenListener(final Consumer<String> listener)
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
            queue >= config.maxQueues() || ringRefs.length < (1 << pageOrder) || !runners.isEmpty())
        {
            return null;
        }
        final int pages = 1 << pageOrder;
        final int[] handles = new int[pages];
        final UnsafeBuffer ring = new UnsafeBuffer(new byte[0]);
        if (mapper.mapRing(ringRefs, pages, ring, handles) != GrantStatus.GNTST_OKAY ||
            ring.capacity() < SharedRingDescriptor.ringBytes(pageOrder))
        {
            return null;
        }
        final String role = name + "-q" + queue;
        final BlkRingCounters counters = new BlkRingCounters(countersManager, role);
        final BlkRing blkRing = new BlkRing(role, ring, pageOrder, abi, mapper, store, config, port,
            persistentGrants && config.persistentGrants(), counters, this::onRingBroken);
        rings.add(blkRing);
        ringHandles.add(handles);
        ringCounters.add(counters);
        return blkRing;
    }

    /**
     * Runs the connected rings: all on one thread ({@code threads = 1}) or one thread per ring.
     *
     * @param idleStrategies supplies one idle strategy per thread.
     */
    public void start(final int threads, final Supplier<IdleStrategy> idleStrategies)
    {
        if (rings.isEmpty() || !runners.isEmpty())
        {
            throw new IllegalStateException("rings=" + rings.size() + " runners=" + runners.size());
        }
        if (threads == 1)
        {
            final IdleStrategy idle = idleStrategies.get();
            this.idleStrategies.add(idle);
            for (final BlkRing ring : rings)
            {
                wakeOn(ring, idle);
            }
            runners.add(new AgentRunner(idle, this::onError, null,
                rings.size() == 1 ? rings.get(0) : new CompositeAgent(rings)));
        }
        else
        {
            for (final BlkRing ring : rings)
            {
                final IdleStrategy idle = idleStrategies.get();
                this.idleStrategies.add(idle);
                wakeOn(ring, idle);
                runners.add(new AgentRunner(idle, this::onError, null, ring));
            }
        }
        for (final AgentRunner runner : runners)
        {
            ringThreads.add(AgentRunner.startOnThread(runner));
        }
    }

    /**
     * Stops the runner threads (joining them), closes every ring, unmaps its persistent grants and ring pages, and
     * frees its counters. Idempotent; the device can connect again afterwards.
     */
    public void disconnect()
    {
        for (final BlkRing ring : rings)
        {
            ring.terminate();
        }
        for (final IdleStrategy idle : idleStrategies)
        {
            final EventWaiter waiter = IdleStrategies.waiter(idle);
            if (waiter != null)
            {
                waiter.wake(); // a parked runner must see the termination
            }
        }
        idleStrategies.clear();
        for (final AgentRunner runner : runners)
        {
            runner.close(); // the agent's onClose runs on its thread
        }
        runners.clear();
        boolean interrupted = false;
        for (final Thread thread : ringThreads)
        {
            // A runner closed before its thread ran returns at once: join so no thread outlives the device.
            while (thread.isAlive())
            {
                try
                {
                    thread.join();
                }
                catch (final InterruptedException ex)
                {
                    interrupted = true;
                }
            }
        }
        ringThreads.clear();
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
        for (int i = 0; i < rings.size(); i++)
        {
            if (rings.get(i).port() != null)
            {
                rings.get(i).port().waiter(null);
            }
            rings.get(i).onClose();
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

    private static void wakeOn(final BlkRing ring, final IdleStrategy idle)
    {
        // A sleeping runner is woken by its rings' notifications; polling strategies need no waiter.
        if (ring.port() != null && !ring.isPolling())
        {
            ring.port().waiter(IdleStrategies.waiter(idle));
        }
    }

    private void onRingBroken(final BlkRing ring, final String reason)
    {
        brokenReason = ring.roleName() + ": " + reason;
        for (final BlkRing other : rings)
        {
            other.stop();
        }
        final Consumer<String> listener = brokenListener;
        if (listener != null)
        {
            listener.accept(brokenReason);
        }
    }

    private void onError(final Throwable error)
    {
        // Nothing guest-driven throws; an exception here is a bug: stop the device rather than serve on.
        brokenReason = "internal error: " + error;
        for (final BlkRing ring : rings)
        {
            ring.stop();
        }
    }

    public String toString()
    {
        return "BlkBack{" + name + ", store=" + store.describe() + ", rings=" + rings.size() + '}';
    }
}
