package io.pvring.bench.guests;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import io.pvring.bench.net.FrameBuilder;
import io.pvring.bench.run.BenchRecord;
import io.pvring.bench.run.Measurement;
import io.pvring.bench.run.Progress;
import io.pvring.bench.run.RunControl;
import io.pvring.grant.BackendGrantMapper;
import io.pvring.host.Domain;
import io.pvring.host.Hypervisor;
import io.pvring.memory.GuestMemory;
import io.pvring.netback.ConnectResult;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.NetBackVif;
import io.pvring.netback.QueueCounters;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.netfront.FrameHandler;
import io.pvring.netfront.NetFront;
import io.pvring.netif.FrontendFeatures;
import io.pvring.netif.Netif;
import io.pvring.runner.RunnerPool;
import io.pvring.runner.RunnerPoolConfig;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.SystemNanoClock;

/**
 * {@code pvring bench net --guests N}: N guest domains in one in-process host, each with its own vif on one
 * virtual switch and its own netfront; guest i sends to guest i+1 (the last to the first), so every guest sends
 * and receives. The backends run where {@link NetBackends} puts them; the frontends run as ring agents on
 * {@code --front-threads} shared threads. A guest's rate is what it received.
 */
public final class NetGuests
{
    public static final String BENCHMARK = "net-guests";
    private static final long FIRST_GFN = 0x100;
    /** Guest frames a netfront needs from its first frame. */
    static final long FRAMES_NEEDED = NetFront.PAGES;
    private static final long MAC_BASE = 0x02_16_3E_00_00_00L;
    private static final int IP_BASE = 0x0A00_0000;
    /** Turns without any work after which the learning frames count as drained (single-threaded). */
    private static final int QUIET_TURNS = 50;
    private static final FrameHandler IGNORE = (buffer, offset, length, rxFlags, type, size) ->
    {
    };

    private NetGuests()
    {
    }

    /** One guest's vif: its netfront, grant mapper, netback vif and the agent driving its frontend (if any). */
    static final class Guest
    {
        NetFront front;
        BackendGrantMapper mapper;
        NetBackVif vif;
        NetGuestAgent agent;
        final List<String> fatal = new CopyOnWriteArrayList<>();
    }

    public static BenchRecord run(final NetGuestsConfig config, final GuestsConfig host, final long durationNanos,
        final Progress progress)
    {
        if (host.guests() < 2)
        {
            throw new IllegalArgumentException("net --guests needs at least 2 guests (each sends to the next), got "
                + host.guests());
        }
        final int n = host.guests();
        final GuestLoad load = new GuestLoad(n);
        final FrontendFeatures features = features(config.csum());
        final NetBackConfig backConfig = NetBackConfig.builder().build();
        final List<Guest> guests = new ArrayList<>();
        final long[] counterBase = new long[3];
        final long[] counterEnd = new long[3];
        try (Hypervisor hypervisor = new Hypervisor();
            RunnerPool pool = new RunnerPool(new RunnerPoolConfig().runners(host.runners())
                .threadNamePrefix("pvring-runner-")))
        {
            final VirtualSwitch vswitch = new VirtualSwitch();
            NetBackends backends = null;
            RunnerPool frontends = null;
            try
            {
                for (int g = 0; g < n; g++)
                {
                    guests.add(connect(hypervisor, vswitch, g, n, features, backConfig, config, load));
                }
                for (int g = 0; g < n; g++)
                {
                    guests.get(g).agent.link(guests.get((g + 1) % n).agent, guests.get((g + n - 1) % n).agent);
                }
                learn(guests, config);
                final List<NetBackVif> vifs = new ArrayList<>();
                for (final Guest guest : guests)
                {
                    vifs.add(guest.vif);
                }
                backends = NetBackends.start(vifs, config.waitMode(), pool, load.control::fail);
                frontends = new RunnerPool(new RunnerPoolConfig().runners(host.frontThreadsFor())
                    .threadNamePrefix("guest-vcpu-"));
                for (final Guest guest : guests)
                {
                    frontends.add(guest.agent, config.waitMode(), (agent, error) -> load.control.fail(error));
                }
                final Measurement measurement = load.measure(label(config, host), durationNanos, progress,
                    () -> backCounters(guests, counterBase), () -> backCounters(guests, counterEnd));
                frontends.close();
                backends.close();
                check(guests, load);
                return record(config, host, measurement, guests, load.cpu.usage(), counterBase, counterEnd);
            }
            finally
            {
                load.control.phase(RunControl.STOP);
                if (frontends != null)
                {
                    frontends.close();
                }
                if (backends != null)
                {
                    backends.close();
                }
                for (final Guest guest : guests)
                {
                    close(guest);
                }
            }
        }
    }

    private static Guest connect(final Hypervisor hypervisor, final VirtualSwitch vswitch, final int index,
        final int count, final FrontendFeatures features, final NetBackConfig backConfig,
        final NetGuestsConfig config, final GuestLoad load)
    {
        final Domain domain = hypervisor.createDomain("guest-" + index,
            (FIRST_GFN + FRAMES_NEEDED + 16) * GuestMemory.PAGE_SIZE);
        final Guest guest = attach(hypervisor, vswitch, domain, FIRST_GFN, features, backConfig);
        final int next = (index + 1) % count;
        guest.agent = new NetGuestAgent(index, guest.front, frameTo(index, next, config), config.csum(), load);
        return guest;
    }

    /**
     * Gives {@code domain} a connected vif on {@code vswitch}: netfront in the guest's frames from {@code firstGfn}
     * (its rings, buffers and event channel), netback's vif mapped and bound. Nothing runs it yet.
     */
    static Guest attach(final Hypervisor hypervisor, final VirtualSwitch vswitch, final Domain domain,
        final long firstGfn, final FrontendFeatures features, final NetBackConfig backConfig)
    {
        final Guest guest = new Guest();
        guest.front = new NetFront(domain.domid(), domain.memory(), domain.grantTable(), hypervisor.eventChannels(),
            Hypervisor.DOM0, firstGfn, features, false);
        guest.mapper = hypervisor.grantMapper(Hypervisor.DOM0, domain.domid(),
            BackendGrantMapper.DEFAULT_MAX_MAPPINGS);
        final ConnectResult<NetBackVif> connected = NetBackVif.builder("vif" + domain.domid() + ".0")
            .config(backConfig)
            .vswitch(vswitch)
            .mapper(guest.mapper)
            .eventChannels(hypervisor.eventChannels(), Hypervisor.DOM0, domain.domid())
            .queues(new NetBackVif.QueueKeys(guest.front.txRingRef(), guest.front.rxRingRef(),
                guest.front.txEventPort().port(), guest.front.rxEventPort().port()))
            .features(features)
            .clock(new SystemNanoClock())
            .fatalHandler(guest.fatal::add)
            .connect();
        if (!connected.isOk())
        {
            guest.front.close();
            guest.mapper.close();
            throw new IllegalStateException("netback refused domain " + domain.domid() + ": " + connected.error());
        }
        guest.vif = connected.value();
        return guest;
    }

    /** The features every bench netfront asks for: scatter-gather, checksum offload as configured, no GSO. */
    static FrontendFeatures features(final boolean csum)
    {
        return new FrontendFeatures(true, false, false, csum, csum, true, false);
    }

    private static FrameBuilder frameTo(final int from, final int to, final NetGuestsConfig config)
    {
        return new FrameBuilder(MAC_BASE + from + 1, MAC_BASE + to + 1, IP_BASE + from + 1, IP_BASE + to + 1,
            config.frameBytes(), false, config.csum());
    }

    /**
     * Every guest sends one frame so the switch learns its MAC (unknown destinations flood, and every guest drains
     * what reached it); stepped on this thread before any runner starts.
     */
    private static void learn(final List<Guest> guests, final NetGuestsConfig config)
    {
        final int txFlags = config.csum() ? Netif.NETTXF_CSUM_BLANK | Netif.NETTXF_DATA_VALIDATED : 0;
        for (int g = 0; g < guests.size(); g++)
        {
            final FrameBuilder hello = frameTo(g, (g + 1) % guests.size(), config);
            if (!guests.get(g).front.send(hello.stamp(0), 0, hello.length(), txFlags, Netif.XEN_NETIF_GSO_TYPE_NONE,
                0))
            {
                throw new IllegalStateException("netfront of guest " + g + " refused its learning frame");
            }
            guests.get(g).front.flush();
            int quiet = 0;
            while (quiet < QUIET_TURNS)
            {
                int work = 0;
                for (final Guest guest : guests)
                {
                    work += guest.vif.doWork();
                    work += guest.front.reclaimTx();
                    final int received = guest.front.receive(IGNORE, 64);
                    if (received > 0)
                    {
                        guest.front.flush();
                    }
                    work += received;
                }
                quiet = work == 0 ? quiet + 1 : 0;
            }
        }
    }

    /** Notifications of every vif: sent (TX and RX), suppressed (TX and RX), RX drops. */
    private static void backCounters(final List<Guest> guests, final long[] into)
    {
        Arrays.fill(into, 0);
        for (final Guest guest : guests)
        {
            final QueueCounters c = guest.vif.queue(0).counters();
            into[0] += c.txNotifySent() + c.rxNotifySent();
            into[1] += c.txNotifySuppressed() + c.rxNotifySuppressed();
            into[2] += c.rxDrops();
        }
    }

    private static void check(final List<Guest> guests, final GuestLoad load)
    {
        if (load.control.failure() != null)
        {
            throw new IllegalStateException("net guests run failed: " + load.control.failure(),
                load.control.failure());
        }
        for (final Guest guest : guests)
        {
            if (!guest.fatal.isEmpty() || guest.vif.isDisabled())
            {
                throw new IllegalStateException("netback disabled " + guest.vif.name() + ": " + guest.fatal);
            }
        }
    }

    static void close(final Guest guest)
    {
        if (guest.vif != null)
        {
            guest.vif.close();
        }
        if (guest.front != null)
        {
            guest.front.close();
        }
        if (guest.mapper != null)
        {
            guest.mapper.close();
        }
    }

    private static BenchRecord record(final NetGuestsConfig config, final GuestsConfig host,
        final Measurement measurement, final List<Guest> guests, final CpuMeter.Usage cpu, final long[] base,
        final long[] end)
    {
        final Histogram all = new Histogram(GuestLoad.MAX_LATENCY_NANOS, 3);
        final long[] ops = new long[guests.size()];
        long frontSent = 0;
        for (int g = 0; g < ops.length; g++)
        {
            final NetGuestAgent agent = guests.get(g).agent;
            all.add(agent.latency);
            ops[g] = agent.ops;
            frontSent += agent.notifications;
        }
        final Map<String, Object> more = new LinkedHashMap<>();
        more.put("rx_drops", end[2] - base[2]);
        more.put("backend_placement", NetBackends.PLACEMENT);
        return GuestLoad.record(BENCHMARK, params(config, host), measurement, ops, all, config.frameBytes(),
            frontSent + end[0] - base[0], end[1] - base[1], cpu, more);
    }

    static String label(final NetGuestsConfig config, final GuestsConfig host)
    {
        return "net " + host.guests() + " guests frame " + config.frameBytes() + " " + config.waitMode().configName();
    }

    static Map<String, Object> params(final NetGuestsConfig config, final GuestsConfig host)
    {
        final Map<String, Object> params = new LinkedHashMap<>();
        params.put("impl", "pvring");
        params.put("guests", host.guests());
        params.put("frame", config.frameBytes());
        params.put("csum", config.csum() ? "on" : "off");
        params.put("wait", config.waitMode().configName());
        params.put("runners", host.runners());
        params.put("front_threads", host.frontThreadsFor());
        return params;
    }
}
