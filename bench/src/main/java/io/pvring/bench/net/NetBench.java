package io.pvring.bench.net;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SystemNanoClock;

import io.pvring.bench.run.BenchRecord;
import io.pvring.bench.run.Environment;
import io.pvring.bench.run.LatencySummary;
import io.pvring.bench.run.Measurement;
import io.pvring.bench.run.Pacer;
import io.pvring.bench.run.PaddedCounters;
import io.pvring.bench.run.Progress;
import io.pvring.bench.run.RunControl;
import io.pvring.event.BlockingIdleStrategy;
import io.pvring.event.EventPort;
import io.pvring.grant.BackendGrantMapper;
import io.pvring.host.Domain;
import io.pvring.host.Hypervisor;
import io.pvring.memory.GuestMemory;
import io.pvring.netback.FrontendFeatures;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.NetBackVif;
import io.pvring.netback.QueueCounters;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.netfront.FrameHandler;
import io.pvring.netfront.NetFront;
import io.pvring.netif.Netif;

/**
 * {@code pvring bench net}: two guest domains on the emulated hypervisor, each with pvring's netfront connected to
 * a pvring netback vif on one virtual switch. Guest A sends frames to guest B; B's receive count is the packet
 * rate, and each frame carries its send stamp for latency. One guest thread drives both netfronts (A's TX, B's RX),
 * one backend thread runs both vifs: two busy threads for two cores.
 */
public final class NetBench
{
    private static final long FIRST_GFN = 0x100;
    private static final long MAC_A = 0x02_16_3E_00_00_01L;
    private static final long MAC_B = 0x02_16_3E_00_00_02L;
    private static final int IP_A = 0x0A00_0001;
    private static final int IP_B = 0x0A00_0002;
    private static final int BURST = 32;
    private static final long JOIN_MILLIS = 10_000;
    private static final long MAX_LATENCY_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final int OPS = 0;

    private NetBench()
    {
    }

    /** A guest: its domain, one netfront per queue, the backend's vif and the grant mapper behind it. */
    private static final class Guest
    {
        Domain domain;
        NetFront[] fronts;
        NetBackVif vif;
        BackendGrantMapper mapper;
        final List<String> fatal = new ArrayList<>();
    }

    public static BenchRecord run(final NetBenchConfig config, final long durationNanos, final Progress progress)
    {
        final FrontendFeatures features = new FrontendFeatures(config.sg(), config.gso(), config.gso(),
            config.csum(), config.csum(), true, false);
        final NetBackConfig backConfig = NetBackConfig.builder()
            .maxQueues(Math.max(NetBackConfig.DEFAULT_MAX_QUEUES, config.queues()))
            .featureSg(config.sg())
            .featureGsoTcpv4(config.gso())
            .featureGsoTcpv6(config.gso())
            .featureIpv6CsumOffload(config.csum())
            .build();
        try (Hypervisor hypervisor = new Hypervisor())
        {
            final VirtualSwitch vswitch = new VirtualSwitch();
            final Guest a = guest(hypervisor, vswitch, "bench-a", config, features, backConfig);
            final Guest b = guest(hypervisor, vswitch, "bench-b", config, features, backConfig);
            try
            {
                return run(config, hypervisor, a, b, durationNanos, progress);
            }
            finally
            {
                close(a);
                close(b);
            }
        }
    }

    private static Guest guest(
        final Hypervisor hypervisor,
        final VirtualSwitch vswitch,
        final String name,
        final NetBenchConfig config,
        final FrontendFeatures features,
        final NetBackConfig backConfig)
    {
        final Guest g = new Guest();
        final long frames = FIRST_GFN + (long)config.queues() * NetFront.PAGES + 16;
        g.domain = hypervisor.createDomain(name, frames * GuestMemory.PAGE_SIZE);
        g.fronts = new NetFront[config.queues()];
        final NetBackVif.QueueKeys[] keys = new NetBackVif.QueueKeys[config.queues()];
        for (int q = 0; q < config.queues(); q++)
        {
            final NetFront front = new NetFront(g.domain.domid(), g.domain.memory(), g.domain.grantTable(),
                hypervisor.eventChannels(), Hypervisor.DOM0, FIRST_GFN + (long)q * NetFront.PAGES, features, false);
            g.fronts[q] = front;
            keys[q] = new NetBackVif.QueueKeys(front.txRingRef(), front.rxRingRef(), front.txEventPort().port(),
                front.rxEventPort().port());
        }
        g.mapper = hypervisor.grantMapper(Hypervisor.DOM0, g.domain.domid(),
            BackendGrantMapper.DEFAULT_MAX_MAPPINGS);
        final String[] error = new String[1];
        g.vif = NetBackVif.connect("vif" + g.domain.domid() + ".0", backConfig, vswitch, g.mapper,
            hypervisor.eventChannels(), Hypervisor.DOM0, g.domain.domid(), keys, features,
            new SystemNanoClock(), g.fatal::add, error);
        if (g.vif == null)
        {
            throw new IllegalStateException("netback refused " + name + ": " + error[0]);
        }
        return g;
    }

    private static void close(final Guest g)
    {
        if (g.vif != null)
        {
            g.vif.close();
        }
        for (final NetFront front : g.fronts)
        {
            front.close();
        }
        g.mapper.close();
    }

    private static BenchRecord run(
        final NetBenchConfig config,
        final Hypervisor hypervisor,
        final Guest a,
        final Guest b,
        final long durationNanos,
        final Progress progress)
    {
        final RunControl control = new RunControl();
        final IdleStrategy backIdle = config.poll() ? new BusySpinIdleStrategy() : new BlockingIdleStrategy();
        final IdleStrategy guestIdle = config.poll() || config.rate() > 0 ? new BusySpinIdleStrategy()
            : new BlockingIdleStrategy();
        if (!config.poll())
        {
            for (final Guest g : new Guest[] {a, b})
            {
                for (final NetFront front : g.fronts)
                {
                    front.txEventPort().waiter(guestWaiter(guestIdle));
                    final EventPort backPort = hypervisor.eventChannels().port(Hypervisor.DOM0,
                        front.txEventPort().remotePort());
                    backPort.waiter((BlockingIdleStrategy)backIdle);
                }
            }
        }
        final GuestLoop guest = new GuestLoop(config, a, b, control, guestIdle);
        guest.learn(a, b);
        final Thread backThread = new Thread(() ->
        {
            try
            {
                while (control.phase() != RunControl.STOP)
                {
                    backIdle.idle(a.vif.doWork() + b.vif.doWork());
                }
            }
            catch (final Throwable error)
            {
                control.fail(error);
            }
        }, "netback-vifs");
        final Thread guestThread = new Thread(() ->
        {
            try
            {
                guest.run();
            }
            catch (final Throwable error)
            {
                control.fail(error);
            }
        }, "netfront-guests");
        backThread.start();
        guestThread.start();
        final Measurement measurement = new Measurement(label(config), Measurement.warmupFor(durationNanos),
            durationNanos, progress);
        measurement.run(control, () -> guest.counters.get(OPS));
        control.phase(RunControl.STOP);
        for (final IdleStrategy idle : new IdleStrategy[] {backIdle, guestIdle})
        {
            if (idle instanceof BlockingIdleStrategy blocking)
            {
                blocking.wake();
            }
        }
        join(backThread);
        join(guestThread);
        if (control.failure() != null)
        {
            throw new IllegalStateException("net run failed: " + control.failure(), control.failure());
        }
        if (backThread.isAlive() || guestThread.isAlive())
        {
            throw new IllegalStateException("net run did not stop within " + JOIN_MILLIS + " ms");
        }
        for (final Guest g : new Guest[] {a, b})
        {
            if (!g.fatal.isEmpty() || g.vif.isDisabled())
            {
                throw new IllegalStateException("netback disabled " + g.vif.name() + ": " + g.fatal);
            }
        }
        final double seconds = measurement.measuredNanos() / 1e9;
        final long ops = guest.counters.get(OPS);
        final double pps = seconds > 0 ? ops / seconds : 0;
        long sent = 0;
        long suppressed = 0;
        for (final Guest g : new Guest[] {a, b})
        {
            for (int q = 0; q < g.vif.queueCount(); q++)
            {
                final QueueCounters c = g.vif.queue(q).counters();
                sent += c.txNotifySent() + c.rxNotifySent();
                suppressed += c.txNotifySuppressed() + c.rxNotifySuppressed();
            }
            for (final NetFront front : g.fronts)
            {
                sent += front.notifications();
            }
        }
        sent -= guest.sentBase;
        suppressed -= guest.suppressedBase;
        return new BenchRecord("net", params(config), pps, pps * config.frameBytes(), ops, seconds,
            LatencySummary.ofNanos(guest.latency), sent, suppressed, measurement.partial(), Environment.current());
    }

    private static io.pvring.event.EventWaiter guestWaiter(final IdleStrategy idle)
    {
        return idle instanceof BlockingIdleStrategy blocking ? blocking : null;
    }

    private static void join(final Thread thread)
    {
        try
        {
            thread.join(JOIN_MILLIS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    static String label(final NetBenchConfig config)
    {
        return "net frame " + config.frameBytes() + (config.queues() > 1 ? " x" + config.queues() : "")
            + (config.gso() ? " gso" : "") + (config.poll() ? " poll" : " notify");
    }

    static Map<String, Object> params(final NetBenchConfig config)
    {
        final Map<String, Object> params = new LinkedHashMap<>();
        params.put("impl", "pvring");
        params.put("frame", config.frameBytes());
        params.put("queues", config.queues());
        params.put("sg", config.sg() ? "on" : "off");
        params.put("gso", config.gso() ? "on" : "off");
        params.put("csum", config.csum() ? "on" : "off");
        params.put("wait", config.poll() ? "poll" : "notify");
        params.put("rate", config.rate());
        return params;
    }

    /** The guest thread: A's netfronts send, B's netfronts receive. */
    private static final class GuestLoop
    {
        final Histogram latency = new Histogram(MAX_LATENCY_NANOS, 3);
        final PaddedCounters counters = new PaddedCounters(1);
        long sentBase;
        long suppressedBase;

        private final NetBenchConfig config;
        private final Guest a;
        private final Guest b;
        private final RunControl control;
        private final IdleStrategy idle;
        private final Pacer pacer;
        private final FrameBuilder[] builders;
        private final int window;
        private final int flags;
        private final int gsoType;
        private final int stampOffset;
        private final FrameHandler onFrame = this::onFrame;
        private long nowNanos;
        private long sent;
        private long received;

        GuestLoop(final NetBenchConfig config, final Guest a, final Guest b, final RunControl control,
            final IdleStrategy idle)
        {
            this.config = config;
            this.a = a;
            this.b = b;
            this.control = control;
            this.idle = idle;
            this.pacer = new Pacer(config.rate());
            this.builders = new FrameBuilder[config.queues()];
            for (int q = 0; q < builders.length; q++)
            {
                // One flow per sending queue (source address), so multi-queue vifs spread the load.
                builders[q] = new FrameBuilder(MAC_A, MAC_B, IP_A + (q << 8), IP_B, config.frameBytes(),
                    config.gso(), config.csum());
            }
            this.stampOffset = builders[0].stampOffset();
            final int slotsPerFrame = (config.frameBytes() + NetBenchConfig.PAGE - 1) / NetBenchConfig.PAGE
                + (config.gso() ? 1 : 0);
            // Keep what is in flight within half of B's RX rings, so the run measures transfer, not drops.
            this.window = Math.max(1, NetFront.RING_SIZE / 2 / slotsPerFrame * config.queues());
            this.flags = config.csum() ? Netif.NETTXF_CSUM_BLANK | Netif.NETTXF_DATA_VALIDATED : 0;
            this.gsoType = config.gso() ? Netif.XEN_NETIF_GSO_TYPE_TCPV4 : Netif.XEN_NETIF_GSO_TYPE_NONE;
        }

        /** B sends one frame so the switch learns its MAC; A drains it. Single-threaded, before the run. */
        void learn(final Guest from, final Guest to)
        {
            final FrameBuilder hello = new FrameBuilder(MAC_B, MAC_A, IP_B, IP_A, NetBenchConfig.MIN_FRAME, false,
                config.csum());
            if (!to.fronts[0].send(hello.stamp(0), 0, hello.length(), flags, Netif.XEN_NETIF_GSO_TYPE_NONE, 0))
            {
                throw new IllegalStateException("netfront refused the learning frame");
            }
            to.fronts[0].flush();
            for (int i = 0; i < 100; i++)
            {
                from.vif.doWork();
                to.vif.doWork();
                for (final NetFront front : from.fronts)
                {
                    front.receive((buffer, offset, length, rxFlags, type, size) -> { }, 64);
                    front.flush();
                }
                to.fronts[0].reclaimTx();
            }
        }

        void run()
        {
            final NetFront[] senders = a.fronts;
            final NetFront[] receivers = b.fronts;
            final int length = config.frameBytes();
            final int gsoSize = config.gso() ? NetBenchConfig.MSS : 0;
            int seen = RunControl.WARMUP;
            long measured = 0;
            if (pacer.paced())
            {
                pacer.start(System.nanoTime());
            }
            while (true)
            {
                final int phase = control.phase();
                if (phase != seen)
                {
                    if (phase == RunControl.STOP)
                    {
                        break;
                    }
                    seen = phase;
                    latency.reset();
                    measured = received;
                    counters.set(OPS, 0);
                    snapshotNotifications();
                    if (pacer.paced())
                    {
                        pacer.start(System.nanoTime());
                    }
                }
                int work = 0;
                final long now = System.nanoTime();
                for (int q = 0; q < senders.length; q++)
                {
                    long room = Math.min(BURST, window - (sent - received));
                    if (room > 0 && pacer.paced())
                    {
                        room = Math.min(room, pacer.due(now));
                    }
                    int queued = 0;
                    while (queued < room)
                    {
                        final long stamp = pacer.paced() ? pacer.nextIntended() : now;
                        if (!senders[q].send(builders[q].stamp(stamp), 0, length, flags, gsoType, gsoSize))
                        {
                            break;
                        }
                        queued++;
                        sent++;
                    }
                    if (queued > 0)
                    {
                        senders[q].flush();
                        work += queued;
                    }
                    work += senders[q].reclaimTx();
                }
                nowNanos = System.nanoTime();
                for (final NetFront receiver : receivers)
                {
                    final int frames = receiver.receive(onFrame, 64);
                    if (frames > 0)
                    {
                        receiver.flush();
                        work += frames;
                    }
                    if (receiver.brokenReason() != null)
                    {
                        throw new IllegalStateException("netfront broken: " + receiver.brokenReason());
                    }
                }
                counters.set(OPS, received - measured);
                if (work == 0 && idle instanceof BlockingIdleStrategy && armAll(senders, receivers))
                {
                    work = 1;
                }
                idle.idle(work);
            }
        }

        /** Before sleeping: arm every ring's event; true when something arrived meanwhile. */
        private static boolean armAll(final NetFront[] senders, final NetFront[] receivers)
        {
            boolean pending = false;
            for (final NetFront front : senders)
            {
                front.txEventPort().consumePending();
                pending |= front.finalCheckForTx();
            }
            for (final NetFront front : receivers)
            {
                front.rxEventPort().consumePending();
                pending |= front.finalCheckForRx();
            }
            return pending;
        }

        private void onFrame(final DirectBuffer buffer, final int offset, final int length, final int rxFlags,
            final int type, final int size)
        {
            if (length != config.frameBytes())
            {
                throw new IllegalStateException("received a frame of " + length + " bytes, sent "
                    + config.frameBytes());
            }
            final long stamp = buffer.getLong(offset + stampOffset, ByteOrder.LITTLE_ENDIAN);
            latency.recordValue(Math.max(0, Math.min(nowNanos - stamp, MAX_LATENCY_NANOS)));
            received++;
        }

        private void snapshotNotifications()
        {
            long notifySent = 0;
            long notifySuppressed = 0;
            for (final Guest g : new Guest[] {a, b})
            {
                for (int q = 0; q < g.vif.queueCount(); q++)
                {
                    final QueueCounters c = g.vif.queue(q).counters();
                    notifySent += c.txNotifySent() + c.rxNotifySent();
                    notifySuppressed += c.txNotifySuppressed() + c.rxNotifySuppressed();
                }
                for (final NetFront front : g.fronts)
                {
                    notifySent += front.notifications();
                }
            }
            sentBase = notifySent;
            suppressedBase = notifySuppressed;
        }
    }
}
