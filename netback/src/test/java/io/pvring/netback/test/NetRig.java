package io.pvring.netback.test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import io.pvring.event.WaitMode;
import io.pvring.grant.BackendGrantMapper;
import io.pvring.host.Domain;
import io.pvring.host.Hypervisor;
import io.pvring.netif.FrontendFeatures;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.NetBackVif;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.netfront.NetFront;
import io.pvring.runner.RunnerPool;
import io.pvring.runner.RunnerPoolConfig;

/**
 * A hypervisor with guests, each with a NetFront wired directly (no xenstore) to a NetBackVif on one switch.
 * Tests step the agents by hand with {@link #pump()} (as a notify runner would: a queue that found nothing arms its
 * rings and looks once more), or run them on a real {@link RunnerPool} ({@link #runOn}).
 */
public final class NetRig implements AutoCloseable
{
    public static final long FIRST_GFN = 0x100;

    public final Hypervisor hypervisor = new Hypervisor();
    public final VirtualSwitch vswitch = new VirtualSwitch();
    public final List<Guest> guests = new ArrayList<>();
    /** The backends' clock: tests move it by hand, unless {@link #realTime} is set. */
    public volatile long nanos = 1_000_000_000L;
    /** The backends' clock is {@link System#nanoTime()} (for vifs on a real runner). */
    public volatile boolean realTime;
    /** Agent errors reported by the pool of {@link #runOn}, as "role: exception". */
    public final List<String> agentErrors = Collections.synchronizedList(new ArrayList<>());
    private RunnerPool pool;

    /** One guest: its domain, its frontend, the backend's vif and the fatal reasons reported. */
    public static final class Guest
    {
        public Domain domain;
        public NetFront front;
        public NetBackVif vif;
        public BackendGrantMapper mapper;
        public final List<String> fatal = new ArrayList<>();
    }

    public Guest addGuest(final String name, final NetBackConfig config, final FrontendFeatures features)
    {
        final Guest g = new Guest();
        g.domain = hypervisor.createDomain(name, 64L << 20);
        g.front = new NetFront(g.domain.domid(), g.domain.memory(), g.domain.grantTable(),
            hypervisor.eventChannels(), Hypervisor.DOM0, FIRST_GFN, features, false);
        g.mapper = hypervisor.grantMapper(Hypervisor.DOM0, g.domain.domid(), BackendGrantMapper.DEFAULT_MAX_MAPPINGS);
        final NetBackVif.QueueKeys keys = new NetBackVif.QueueKeys(g.front.txRingRef(), g.front.rxRingRef(),
            g.front.txEventPort().port(), g.front.rxEventPort().port());
        g.vif = NetBackVif.builder("vif" + g.domain.domid() + ".0")
            .config(config)
            .vswitch(vswitch)
            .mapper(g.mapper)
            .eventChannels(hypervisor.eventChannels(), Hypervisor.DOM0, g.domain.domid())
            .queues(keys)
            .features(features)
            .clock(() -> realTime ? System.nanoTime() : nanos)
            .fatalHandler(g.fatal::add)
            .connect()
            .orElseThrow();
        guests.add(g);
        return g;
    }

    /**
     * Runs every guest's vif on a new pool of {@code runners} runner threads waiting as {@code mode} says, on the
     * real clock; {@link #close()} stops them. Add the guests first; do not {@link #pump()} afterwards.
     */
    public RunnerPool runOn(final int runners, final WaitMode mode)
    {
        realTime = true;
        pool = new RunnerPool(new RunnerPoolConfig().runners(runners).threadNamePrefix("netrig-runner-"));
        for (final Guest g : guests)
        {
            g.vif.start(pool, mode, (agent, error) -> agentErrors.add(agent.roleName() + ": " + error), -1);
        }
        return pool;
    }

    /** One duty cycle of {@code vif}, as a notify runner runs it: when it found nothing, arm and look again. */
    public static int step(final NetBackVif vif)
    {
        final int work = vif.doWork();
        return work == 0 && vif.armAndCheck() ? vif.doWork() : work;
    }

    /** Runs every backend agent and frontend TX reclaim {@code rounds} times (for queues that never settle). */
    public void pump(final int rounds)
    {
        for (int round = 0; round < rounds; round++)
        {
            for (final Guest g : guests)
            {
                step(g.vif);
                g.front.reclaimTx();
            }
        }
    }

    /** Runs every backend agent and frontend TX reclaim until nothing moves (bounded). */
    public int pump()
    {
        int total = 0;
        for (int round = 0; round < 1000; round++)
        {
            final int work = step();
            total += work;
            if (work == 0)
            {
                return total;
            }
        }
        throw new IllegalStateException("pump did not settle");
    }

    /**
     * One round of every backend agent and frontend TX reclaim. For loops fed from another thread (a live uplink),
     * where "nothing moves" may not happen for a while: the kernel trickles neighbour discovery in for milliseconds.
     */
    public int step()
    {
        int work = 0;
        for (final Guest g : guests)
        {
            work += step(g.vif);
            work += g.front.reclaimTx();
        }
        return work;
    }

    @Override
    public void close()
    {
        for (final Guest g : guests)
        {
            g.vif.close(); // takes its queues off the runners first
        }
        if (pool != null)
        {
            pool.close();
        }
        for (final Guest g : guests)
        {
            g.front.close();
            g.mapper.close();
        }
        hypervisor.close();
    }
}
