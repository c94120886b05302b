package io.pvring.bench.guests;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.pvring.bench.blk.BlkBenchConfig;
import io.pvring.bench.run.BenchRecord;
import io.pvring.bench.run.Measurement;
import io.pvring.bench.run.Progress;
import io.pvring.bench.run.RunControl;
import io.pvring.blkback.BlkBack;
import io.pvring.blkback.BlkBackConfig;
import io.pvring.blkback.BlkRingCounters;
import io.pvring.blkback.store.BlockStore;
import io.pvring.blkback.store.MemoryBlockStore;
import io.pvring.blkback.store.NullBlockStore;
import io.pvring.blkfront.BlkFront;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkif.BlkifDescriptor;
import io.pvring.event.EventPort;
import io.pvring.host.Domain;
import io.pvring.host.Hypervisor;
import io.pvring.memory.GuestMemory;
import io.pvring.runner.RunnerPool;
import io.pvring.runner.RunnerPoolConfig;
import org.HdrHistogram.Histogram;

/**
 * {@code pvring bench blk --guests N}: N guest domains in one in-process host, each with its own vbd (its own null
 * or memory store), blkback ring and blkfront. Every blkback ring runs on the host's one {@link RunnerPool}
 * ({@code --runners}); the N frontends run as ring agents on a second pool of {@code --front-threads} threads (the
 * guests' vCPUs, shared), so 64 guests need no 64 spinning threads. Both sides wait as {@code --wait} says.
 */
public final class BlkGuests
{
    private static final long FIRST_GFN = 16;
    public static final String BENCHMARK = "blk-guests";

    private BlkGuests()
    {
    }

    /** One guest's vbd: its store, frontend and backend, and the agent that drives its frontend (if any). */
    static final class Guest
    {
        BlockStore store;
        EventPort frontPort;
        BlkFront front;
        BlkBack back;
        BlkRingCounters backCounters;
        BlkGuestAgent agent;
        long backSentBase;
        long backSuppressedBase;
        long backSent;
        long backSuppressed;
    }

    /**
     * Runs {@code config} (one queue, closed loop, a null or memory store of {@code sizeBytes} per guest) on every
     * guest of {@code host}.
     */
    public static BenchRecord run(final BlkBenchConfig config, final GuestsConfig host, final long durationNanos,
        final Progress progress)
    {
        check(config);
        final int n = host.guests();
        final GuestLoad load = new GuestLoad(n);
        final List<Guest> guests = new ArrayList<>();
        try (Hypervisor hypervisor = new Hypervisor();
            RunnerPool backends = new RunnerPool(new RunnerPoolConfig().runners(host.runners())
                .threadNamePrefix("blkback-runner-")))
        {
            RunnerPool frontends = null;
            try
            {
                for (int g = 0; g < n; g++)
                {
                    guests.add(connect(hypervisor, config, g, backends, load));
                }
                frontends = new RunnerPool(new RunnerPoolConfig().runners(host.frontThreadsFor())
                    .threadNamePrefix("guest-vcpu-"));
                for (final Guest guest : guests)
                {
                    frontends.add(guest.agent, config.waitMode(), (agent, error) -> load.control.fail(error));
                }
                final Measurement measurement = load.measure(label(config, host), durationNanos, progress,
                    () -> backCounters(guests, true), () -> backCounters(guests, false));
                frontends.close();
                failIfBroken(guests, load);
                return record(config, host, measurement, guests, load.cpu.usage());
            }
            finally
            {
                load.control.phase(RunControl.STOP);
                if (frontends != null)
                {
                    frontends.close();
                }
                close(guests);
            }
        }
    }

    /** @throws IllegalArgumentException naming the option a many-guests run cannot take. */
    public static void check(final BlkBenchConfig config)
    {
        if (config.disk() != null)
        {
            throw new IllegalArgumentException("--guests takes --store null or memory (a store per guest), got "
                + config.store());
        }
        if (config.queues() != 1 || config.rate() != 0)
        {
            throw new IllegalArgumentException("--guests runs one queue per guest in a closed loop: no --queues or "
                + "--rate");
        }
    }

    private static Guest connect(final Hypervisor hypervisor, final BlkBenchConfig config, final int index,
        final RunnerPool backends, final GuestLoad load)
    {
        final BlkFrontConfig frontConfig = frontConfig(config);
        final long frames = FIRST_GFN + BlkFront.framesNeeded(frontConfig) + 16;
        final Domain domain = hypervisor.createDomain("guest-" + index, frames * GuestMemory.PAGE_SIZE);
        final Guest guest = attach(hypervisor, domain, FIRST_GFN, config, backends);
        guest.agent = new BlkGuestAgent(index, guest.front.queue(0), guest.frontPort, load, config);
        return guest;
    }

    /** Guest frames a vbd's frontend needs (from its first frame). */
    static long framesNeeded(final BlkBenchConfig config)
    {
        return BlkFront.framesNeeded(frontConfig(config));
    }

    private static BlkFrontConfig frontConfig(final BlkBenchConfig config)
    {
        final int perRequestMax = Math.max(BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST, config.indirectSegments())
            + BlkifDescriptor.indirectPages(config.indirectSegments());
        final int pagesPerRequest = (config.blockSize() + BlkBenchConfig.PAGE - 1) / BlkBenchConfig.PAGE;
        return BlkFrontConfig.builder()
            .ringPageOrder(config.ringOrder())
            .persistentGrants(config.persistent())
            .maxIndirectSegments(config.indirectSegments())
            .poolPages(Math.max(perRequestMax, config.queueDepth() * (pagesPerRequest + 1)))
            .build();
    }

    /**
     * Gives {@code domain} a connected vbd: its own store, blkfront in the guest's frames from {@code firstGfn},
     * blkback's ring running on {@code backends} (the least loaded runner), an event channel unless both sides poll.
     * No load generator: the caller adds one, or leaves the device idle.
     */
    static Guest attach(final Hypervisor hypervisor, final Domain domain, final long firstGfn,
        final BlkBenchConfig config, final RunnerPool backends)
    {
        final Guest guest = new Guest();
        final BlkFrontConfig frontConfig = frontConfig(config);
        final EventPort backPort;
        if (config.poll())
        {
            backPort = null; // both sides spin: no event channel at all, as bench blk --wait poll
        }
        else
        {
            backPort = hypervisor.eventChannels().allocUnbound(Hypervisor.DOM0, domain.domid());
            guest.frontPort = hypervisor.eventChannels().bindInterdomain(domain.domid(), Hypervisor.DOM0,
                backPort.port());
        }
        guest.store = config.store().equals("memory") ?
            new MemoryBlockStore(config.sizeBytes(), BlkBenchConfig.SECTOR) :
            new NullBlockStore(config.sizeBytes(), BlkBenchConfig.SECTOR);
        guest.front = new BlkFront(domain.guestMemory(), domain.grantTable(), Hypervisor.DOM0, frontConfig, firstGfn,
            new EventPort[] {guest.frontPort});
        final BlkBackConfig backConfig = BlkBackConfig.builder()
            .waitMode(config.waitMode())
            .persistentGrants(config.persistent())
            .maxIndirectSegments(Math.max(BlkBackConfig.DEFAULT_MAX_INDIRECT_SEGMENTS, config.indirectSegments()))
            .maxPersistentGrants(Math.max(BlkBackConfig.DEFAULT_MAX_PERSISTENT_GRANTS, frontConfig.poolPages()))
            .build();
        guest.back = new BlkBack("blkback-" + domain.domid() + "-51712", guest.store, backConfig,
            hypervisor.grantMapper(Hypervisor.DOM0, domain.domid()), null);
        if (guest.back.connectRing(0, guest.front.queue(0).ringRefs(), config.ringOrder(), frontConfig.protocol(),
            backPort, config.persistent()) == null)
        {
            throw new IllegalStateException("blkback refused the ring of domain " + domain.domid());
        }
        guest.back.start(backends); // the least loaded runner: guests spread over the host's runners
        guest.backCounters = guest.back.rings().get(0).counters();
        return guest;
    }

    private static void backCounters(final List<Guest> guests, final boolean start)
    {
        for (final Guest guest : guests)
        {
            final long sent = guest.backCounters.notificationsSent.get();
            final long suppressed = guest.backCounters.notificationsSuppressed.get();
            if (start)
            {
                guest.backSentBase = sent;
                guest.backSuppressedBase = suppressed;
            }
            else
            {
                guest.backSent = sent - guest.backSentBase;
                guest.backSuppressed = suppressed - guest.backSuppressedBase;
            }
        }
    }

    private static void failIfBroken(final List<Guest> guests, final GuestLoad load)
    {
        if (load.control.failure() != null)
        {
            throw new IllegalStateException("a guest's load generator failed: " + load.control.failure(),
                load.control.failure());
        }
        for (final Guest guest : guests)
        {
            if (guest.back.isBroken())
            {
                throw new IllegalStateException("blkback broke: " + guest.back.brokenReason());
            }
        }
    }

    static void close(final List<Guest> guests)
    {
        for (final Guest guest : guests)
        {
            if (guest.back != null)
            {
                guest.back.close();
            }
        }
        for (final Guest guest : guests)
        {
            if (guest.front != null)
            {
                guest.front.close();
            }
            if (guest.store != null)
            {
                guest.store.close();
            }
        }
    }

    private static BenchRecord record(final BlkBenchConfig config, final GuestsConfig host,
        final Measurement measurement, final List<Guest> guests, final CpuMeter.Usage cpu)
    {
        final Histogram all = new Histogram(GuestLoad.MAX_LATENCY_NANOS, 3);
        final long[] ops = new long[guests.size()];
        long sent = 0;
        long suppressed = 0;
        long reaps = 0;
        long drained = 0;
        for (int g = 0; g < ops.length; g++)
        {
            final Guest guest = guests.get(g);
            final BlkGuestAgent agent = guest.agent;
            all.add(agent.latency);
            ops[g] = agent.ops;
            sent += agent.sent + guest.backSent;
            suppressed += agent.pushes - agent.sent + guest.backSuppressed;
            reaps += agent.reaps;
            drained += agent.drained;
        }
        final Map<String, Object> more = new LinkedHashMap<>();
        // How often a frontend came back to find its whole queue answered: near 0 means the backends, not the
        // frontends, set the pace (meaningful at a queue depth above 1).
        more.put("ring_drained_fraction", reaps > 0 ? (double)drained / reaps : 0.0);
        return GuestLoad.record(BENCHMARK, params(config, host), measurement, ops, all, config.blockSize(), sent,
            suppressed, cpu, more);
    }

    static String label(final BlkBenchConfig config, final GuestsConfig host)
    {
        return "blk " + host.guests() + " guests qd " + config.queueDepth() + " " + config.waitMode().configName();
    }

    static Map<String, Object> params(final BlkBenchConfig config, final GuestsConfig host)
    {
        final Map<String, Object> params = new LinkedHashMap<>();
        params.put("impl", "pvring");
        params.put("guests", host.guests());
        params.put("store", config.storeKind());
        params.put("rw", config.pattern().label());
        params.put("bs", config.blockSize());
        params.put("qd", config.queueDepth());
        params.put("ring_order", config.ringOrder());
        params.put("indirect", config.indirectSegments());
        params.put("persistent", config.persistent() ? "on" : "off");
        params.put("wait", config.waitMode().configName());
        params.put("runners", host.runners());
        params.put("front_threads", host.frontThreadsFor());
        return params;
    }
}
