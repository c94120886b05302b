package io.pvring.bench.net;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
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
import io.pvring.netif.FrontendFeatures;
import io.pvring.netback.ConnectResult;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.NetBackVif;
import io.pvring.netback.QueueCounters;
import io.pvring.netback.ctrl.NetCtrl;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.netfront.FrameHandler;
import io.pvring.netfront.NetFront;
import io.pvring.netif.Netif;

/**
 * {@code pvring bench net}: two guest domains on the emulated hypervisor, each with pvring's netfront connected to
 * a pvring netback vif on one virtual switch. Guest A sends frames to guest B; B's receive count is the packet
 * rate, and each frame carries its send stamp for latency. Per queue, as Linux runs one netback kthread pair per
 * queue: one backend thread ({@code netback-q<n>}) runs queue n of both vifs, one guest thread
 * ({@code netfront-q<n>}) drives A's netfront of queue n (TX) and B's (RX), and the frames of that thread travel on
 * a flow netback steers to B's queue n, so the queues share nothing. One queue: two busy threads for two cores.
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
    /** Candidate flows tried per queue when looking for one that lands on each RX queue. */
    private static final int STEER_CANDIDATES = 64;
    /** Turns without any work after which a drain counts as done (everything is stepped on one thread). */
    private static final int DRAIN_QUIET_TURNS = 100;
    private static final FrameHandler IGNORE = (buffer, offset, length, rxFlags, type, size) ->
    {
    };

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
        /** Reasons netback disabled a queue, from any backend thread. */
        final List<String> fatal = Collections.synchronizedList(new ArrayList<>());
    }

    public static BenchRecord run(final NetBenchConfig config, final long durationNanos, final Progress progress)
    {
        return run(config, durationNanos, progress, null);
    }

    /** As {@link #run(NetBenchConfig, long, Progress)}, reporting to {@code probe} (a test's), when not null. */
    static BenchRecord run(
        final NetBenchConfig config, final long durationNanos, final Progress progress, final NetProbe probe)
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
                return run(config, hypervisor, a, b, durationNanos, progress, probe);
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
        final ConnectResult<NetBackVif> connected = NetBackVif.builder("vif" + g.domain.domid() + ".0")
            .config(backConfig)
            .vswitch(vswitch)
            .mapper(g.mapper)
            .eventChannels(hypervisor.eventChannels(), Hypervisor.DOM0, g.domain.domid())
            .queues(keys)
            .features(features)
            .clock(new SystemNanoClock())
            .fatalHandler(g.fatal::add)
            .connect();
        if (!connected.isOk())
        {
            throw new IllegalStateException("netback refused " + name + ": " + connected.error());
        }
        g.vif = connected.value();
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
        final Progress progress,
        final NetProbe probe)
    {
        final int queues = config.queues();
        final RunControl control = new RunControl();
        learn(config, a, b);
        final int[] sources = steer(config, a, b);
        final GuestLoop[] loops = new GuestLoop[queues];
        final BackLoop[] backs = new BackLoop[queues];
        final List<IdleStrategy> idles = new ArrayList<>();
        for (int q = 0; q < queues; q++)
        {
            // each thread its own strategy: a notify strategy parks one thread and is woken by that thread's ports
            final IdleStrategy backIdle = config.poll() ? new BusySpinIdleStrategy() : new BlockingIdleStrategy();
            final IdleStrategy guestIdle = config.poll() || config.rate() > 0 ? new BusySpinIdleStrategy()
                : new BlockingIdleStrategy();
            if (!config.poll())
            {
                for (final Guest g : new Guest[] {a, b})
                {
                    wire(hypervisor, g, q, (BlockingIdleStrategy)backIdle, guestIdle);
                }
            }
            idles.add(backIdle);
            idles.add(guestIdle);
            backs[q] = new BackLoop(a.vif, b.vif, q, control, backIdle);
            loops[q] = new GuestLoop(config, a, b, q, sources[q], control, guestIdle);
        }
        if (probe != null)
        {
            tally(a, b, loops, probe.begin(queues));
        }
        final List<Thread> threads = new ArrayList<>();
        try
        {
            for (int q = 0; q < queues; q++)
            {
                threads.add(start("netback-q" + q, backs[q]::run, control, probe));
            }
            for (int q = 0; q < queues; q++)
            {
                threads.add(start("netfront-q" + q, loops[q]::run, control, probe));
            }
            final Measurement measurement = new Measurement(label(config), Measurement.warmupFor(durationNanos),
                durationNanos, progress);
            measurement.run(control, () -> totalOps(loops));
            stop(control, idles, threads);
            if (control.failure() != null)
            {
                throw new IllegalStateException("net run failed: " + control.failure(), control.failure());
            }
            for (final Thread thread : threads)
            {
                if (thread.isAlive())
                {
                    throw new IllegalStateException("net run did not stop within " + JOIN_MILLIS + " ms: "
                        + thread.getName());
                }
            }
            for (final Guest g : new Guest[] {a, b})
            {
                if (!g.fatal.isEmpty() || g.vif.isDisabled())
                {
                    throw new IllegalStateException("netback disabled " + g.vif.name() + ": " + g.fatal);
                }
            }
            final BenchRecord record = record(config, measurement, a, b, loops);
            if (probe != null)
            {
                tally(a, b, loops, probe.atStop);
                drain(a, b, loops);
                tally(a, b, loops, probe.drained);
            }
            return record;
        }
        finally
        {
            stop(control, idles, threads);
        }
    }

    /**
     * Notify mode: queue {@code q}'s backend thread sleeps on the backend ends of that queue's event channels and is
     * woken by frames other threads queue for it; its guest thread sleeps on the frontend ends.
     */
    private static void wire(
        final Hypervisor hypervisor,
        final Guest g,
        final int q,
        final BlockingIdleStrategy backIdle,
        final IdleStrategy guestIdle)
    {
        final NetFront front = g.fronts[q];
        for (final EventPort port : new EventPort[] {front.txEventPort(), front.rxEventPort()})
        {
            port.waiter(guestIdle instanceof BlockingIdleStrategy blocking ? blocking : null);
            hypervisor.eventChannels().port(Hypervisor.DOM0, port.remotePort()).waiter(backIdle);
        }
        g.vif.queue(q).waiter(backIdle);
    }

    private static Thread start(final String name, final Runnable work, final RunControl control,
        final NetProbe probe)
    {
        final Thread thread = new Thread(() ->
        {
            try
            {
                if (probe != null)
                {
                    probe.started();
                }
                work.run();
            }
            catch (final Throwable error)
            {
                control.fail(error);
            }
        }, name);
        thread.start();
        return thread;
    }

    /** Stops and joins every thread (idempotent): a failed run stops the same way as a finished one. */
    private static void stop(final RunControl control, final List<IdleStrategy> idles, final List<Thread> threads)
    {
        control.phase(RunControl.STOP);
        for (final IdleStrategy idle : idles)
        {
            if (idle instanceof BlockingIdleStrategy blocking)
            {
                blocking.wake();
            }
        }
        for (final Thread thread : threads)
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
    }

    private static long totalOps(final GuestLoop[] loops)
    {
        long ops = 0;
        for (final GuestLoop loop : loops)
        {
            ops += loop.counters.get(OPS);
        }
        return ops;
    }

    private static BenchRecord record(
        final NetBenchConfig config, final Measurement measurement, final Guest a, final Guest b,
        final GuestLoop[] loops)
    {
        final Histogram latency = new Histogram(MAX_LATENCY_NANOS, 3);
        long ops = 0;
        long sent = 0;
        long suppressed = 0;
        for (int q = 0; q < loops.length; q++)
        {
            final GuestLoop loop = loops[q];
            latency.add(loop.latency);
            ops += loop.counters.get(OPS);
            sent += notifySent(a, b, q) - loop.sentBase;
            suppressed += notifySuppressed(a, b, q) - loop.suppressedBase;
        }
        final double seconds = measurement.measuredNanos() / 1e9;
        final double pps = seconds > 0 ? ops / seconds : 0;
        return new BenchRecord("net", params(config), pps, pps * config.frameBytes(), ops, seconds,
            LatencySummary.ofNanos(latency), sent, suppressed, measurement.partial(), Environment.current());
    }

    /** Notifications sent on queue {@code q}: both netbacks, both directions, and both netfronts. */
    private static long notifySent(final Guest a, final Guest b, final int q)
    {
        long sent = a.fronts[q].notifications() + b.fronts[q].notifications();
        for (final Guest g : new Guest[] {a, b})
        {
            final QueueCounters c = g.vif.queue(q).counters();
            sent += c.txNotifySent() + c.rxNotifySent();
        }
        return sent;
    }

    private static long notifySuppressed(final Guest a, final Guest b, final int q)
    {
        long suppressed = 0;
        for (final Guest g : new Guest[] {a, b})
        {
            final QueueCounters c = g.vif.queue(q).counters();
            suppressed += c.txNotifySuppressed() + c.rxNotifySuppressed();
        }
        return suppressed;
    }

    /** One duty cycle of queue {@code q} of both vifs; queue 0's thread also serves each vif's control ring. */
    private static int backendWork(final NetBackVif a, final NetBackVif b, final int q)
    {
        int work = 0;
        if (q == 0)
        {
            // the control ring is per vif, not per queue: one thread (queue 0's) serves it, as vif.doWork() would
            work += ctrlWork(a) + ctrlWork(b);
        }
        return work + a.queue(q).doWork() + b.queue(q).doWork();
    }

    private static int ctrlWork(final NetBackVif vif)
    {
        final NetCtrl ctrl = vif.ctrl();
        return ctrl == null ? 0 : ctrl.doWork();
    }

    /** B sends one frame so the switch learns its MAC; A drains it. Single-threaded, before the run. */
    private static void learn(final NetBenchConfig config, final Guest from, final Guest to)
    {
        final FrameBuilder hello = new FrameBuilder(MAC_B, MAC_A, IP_B, IP_A, NetBenchConfig.MIN_FRAME, false,
            config.csum());
        if (!to.fronts[0].send(hello.stamp(0), 0, hello.length(), txFlags(config), Netif.XEN_NETIF_GSO_TYPE_NONE,
            0))
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
                front.receive(IGNORE, 64);
                front.flush();
            }
            to.fronts[0].reclaimTx();
        }
    }

    /**
     * Per queue, a source address (a flow) that netback steers to B's queue of the same index, so each guest thread
     * receives on its own queue what it sends on its own queue, and the queues share nothing. How netback picks the
     * RX queue is its business (a flow hash): one frame of each candidate flow is sent and seen landing. With one
     * queue the first candidate, A's own address, is the flow. Single-threaded, before the run.
     */
    private static int[] steer(final NetBenchConfig config, final Guest a, final Guest b)
    {
        final int queues = config.queues();
        final int[] sources = new int[queues];
        int found = 0;
        for (int k = 0; k < STEER_CANDIDATES * queues && found < queues; k++)
        {
            final int source = flow(k);
            final FrameBuilder probe = builder(config, source);
            if (!a.fronts[0].send(probe.stamp(0), 0, probe.length(), txFlags(config), gsoType(config),
                gsoSize(config)))
            {
                throw new IllegalStateException("netfront refused a steering frame");
            }
            a.fronts[0].flush();
            final int queue = landing(a, b);
            if (queue < 0)
            {
                throw new IllegalStateException("a frame from " + ipv4(source) + " never reached guest B");
            }
            if (sources[queue] == 0)
            {
                sources[queue] = source;
                found++;
            }
        }
        if (found < queues)
        {
            throw new IllegalStateException("no flow of " + STEER_CANDIDATES * queues + " reaches every one of "
                + queues + " RX queues");
        }
        return sources;
    }

    /** Steps both vifs until the frame A just sent reaches one of B's netfronts: that queue's index, or -1. */
    private static int landing(final Guest a, final Guest b)
    {
        for (int turn = 0; turn < 100; turn++)
        {
            a.vif.doWork();
            b.vif.doWork();
            a.fronts[0].reclaimTx();
            for (int q = 0; q < b.fronts.length; q++)
            {
                if (b.fronts[q].receive(IGNORE, 64) > 0)
                {
                    b.fronts[q].flush();
                    return q;
                }
            }
        }
        return -1;
    }

    /** Candidate flow {@code k}: A's address with the third octet counting up (10.0.k.1). */
    private static int flow(final int k)
    {
        return IP_A + (k << 8);
    }

    private static String ipv4(final int ip)
    {
        return (ip >>> 24) + "." + (ip >>> 16 & 0xFF) + "." + (ip >>> 8 & 0xFF) + "." + (ip & 0xFF);
    }

    private static FrameBuilder builder(final NetBenchConfig config, final int source)
    {
        return new FrameBuilder(MAC_A, MAC_B, source, IP_B, config.frameBytes(), config.gso(), config.csum());
    }

    private static int txFlags(final NetBenchConfig config)
    {
        return config.csum() ? Netif.NETTXF_CSUM_BLANK | Netif.NETTXF_DATA_VALIDATED : 0;
    }

    private static int gsoType(final NetBenchConfig config)
    {
        return config.gso() ? Netif.XEN_NETIF_GSO_TYPE_TCPV4 : Netif.XEN_NETIF_GSO_TYPE_NONE;
    }

    private static int gsoSize(final NetBenchConfig config)
    {
        return config.gso() ? NetBenchConfig.MSS : 0;
    }

    /** For a probe, after the threads stopped: steps everything on this thread until nothing is in flight. */
    private static void drain(final Guest a, final Guest b, final GuestLoop[] loops)
    {
        int quiet = 0;
        while (quiet < DRAIN_QUIET_TURNS)
        {
            int work = 0;
            for (int q = 0; q < loops.length; q++)
            {
                work += backendWork(a.vif, b.vif, q);
                work += loops[q].drainTurn();
            }
            quiet = work == 0 ? quiet + 1 : 0;
        }
    }

    private static void tally(final Guest a, final Guest b, final GuestLoop[] loops, final NetProbe.Tally tally)
    {
        for (int q = 0; q < loops.length; q++)
        {
            tally.txPackets[q] = a.vif.queue(q).counters().txPackets();
            tally.rxPackets[q] = b.vif.queue(q).counters().rxPackets();
            tally.rxDrops[q] = b.vif.queue(q).counters().rxDrops();
            tally.sent[q] = loops[q].sent;
            tally.received[q] = loops[q].received;
        }
    }

    static String label(final NetBenchConfig config)
    {
        return "net frame " + config.frameBytes() + (config.queues() > 1 ? " x" + config.queues() : "")
            + (config.gso() ? " gso" : "") + (config.poll() ? " poll" : " notify");
    }

    public static Map<String, Object> params(final NetBenchConfig config)
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

    /** Backend thread {@code netback-q<q>}: queue {@code q} of both vifs. */
    private static final class BackLoop
    {
        private final NetBackVif a;
        private final NetBackVif b;
        private final int queue;
        private final RunControl control;
        private final IdleStrategy idle;

        BackLoop(final NetBackVif a, final NetBackVif b, final int queue, final RunControl control,
            final IdleStrategy idle)
        {
            this.a = a;
            this.b = b;
            this.queue = queue;
            this.control = control;
            this.idle = idle;
        }

        void run()
        {
            while (control.phase() != RunControl.STOP)
            {
                idle.idle(backendWork(a, b, queue));
            }
        }
    }

    /** Guest thread {@code netfront-q<q>}: A's netfront of queue {@code q} sends, B's netfront of queue q receives. */
    private static final class GuestLoop
    {
        final Histogram latency = new Histogram(MAX_LATENCY_NANOS, 3);
        final PaddedCounters counters = new PaddedCounters(1);
        long sentBase;
        long suppressedBase;
        long sent;
        long received;

        private final NetBenchConfig config;
        private final Guest a;
        private final Guest b;
        private final int queue;
        private final NetFront sender;
        private final NetFront receiver;
        private final int source;
        private final RunControl control;
        private final IdleStrategy idle;
        private final Pacer pacer;
        private final FrameBuilder builder;
        private final int window;
        private final int flags;
        private final int gsoType;
        private final int stampOffset;
        private final FrameHandler onFrame = this::onFrame;
        private long nowNanos;

        GuestLoop(final NetBenchConfig config, final Guest a, final Guest b, final int queue, final int source,
            final RunControl control, final IdleStrategy idle)
        {
            this.config = config;
            this.a = a;
            this.b = b;
            this.queue = queue;
            this.sender = a.fronts[queue];
            this.receiver = b.fronts[queue];
            this.source = source;
            this.control = control;
            this.idle = idle;
            // the offered rate is shared out over the queues' threads
            this.pacer = new Pacer((double)config.rate() / config.queues());
            this.builder = builder(config, source);
            this.stampOffset = builder.stampOffset();
            final int slotsPerFrame = (config.frameBytes() + NetBenchConfig.PAGE - 1) / NetBenchConfig.PAGE
                + (config.gso() ? 1 : 0);
            // Keep what is in flight within half of B's RX ring, so the run measures transfer, not drops.
            this.window = Math.max(1, NetFront.RING_SIZE / 2 / slotsPerFrame);
            this.flags = txFlags(config);
            this.gsoType = NetBench.gsoType(config);
        }

        void run()
        {
            final int length = config.frameBytes();
            final int gsoSize = NetBench.gsoSize(config);
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
                    sentBase = notifySent(a, b, queue);
                    suppressedBase = notifySuppressed(a, b, queue);
                    if (pacer.paced())
                    {
                        pacer.start(System.nanoTime());
                    }
                }
                int work = 0;
                final long now = System.nanoTime();
                long room = Math.min(BURST, window - (sent - received));
                if (room > 0 && pacer.paced())
                {
                    room = Math.min(room, pacer.due(now));
                }
                int queued = 0;
                while (queued < room)
                {
                    final long stamp = pacer.paced() ? pacer.nextIntended() : now;
                    if (!sender.send(builder.stamp(stamp), 0, length, flags, gsoType, gsoSize))
                    {
                        break;
                    }
                    queued++;
                    sent++;
                }
                if (queued > 0)
                {
                    sender.flush();
                    work += queued;
                }
                work += sender.reclaimTx();
                work += receive();
                counters.set(OPS, received - measured);
                if (work == 0 && idle instanceof BlockingIdleStrategy && arm())
                {
                    work = 1;
                }
                idle.idle(work);
            }
        }

        private int receive()
        {
            nowNanos = System.nanoTime();
            final int frames = receiver.receive(onFrame, 64);
            if (frames > 0)
            {
                receiver.flush();
            }
            if (receiver.brokenReason() != null)
            {
                throw new IllegalStateException("netfront broken: " + receiver.brokenReason());
            }
            return frames;
        }

        /** After the run, on the draining thread: completions and frames still in flight. */
        int drainTurn()
        {
            return sender.reclaimTx() + receive();
        }

        /** Before sleeping: arm both rings' events; true when something arrived meanwhile. */
        private boolean arm()
        {
            sender.txEventPort().consumePending();
            boolean pending = sender.finalCheckForTx();
            receiver.rxEventPort().consumePending();
            pending |= receiver.finalCheckForRx();
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
            final int from = buffer.getInt(offset + FrameBuilder.IP_OFFSET + 12, ByteOrder.BIG_ENDIAN);
            if (from != source)
            {
                throw new IllegalStateException("queue " + queue + " received a frame from " + ipv4(from)
                    + ", its flow is " + ipv4(source) + ": netback steered a flow to another queue");
            }
            final long stamp = buffer.getLong(offset + stampOffset, ByteOrder.LITTLE_ENDIAN);
            latency.recordValue(Math.max(0, Math.min(nowNanos - stamp, MAX_LATENCY_NANOS)));
            received++;
        }
    }
}
