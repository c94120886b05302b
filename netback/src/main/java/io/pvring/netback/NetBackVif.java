package io.pvring.netback;

import io.pvring.event.EventChannels;
import io.pvring.event.EventPort;
import io.pvring.event.WaitMode;
import io.pvring.grant.GrantMapper;
import io.pvring.grant.GrantStatus;
import io.pvring.grant.RingMapping;
import io.pvring.netback.ctrl.HashConfig;
import io.pvring.netback.ctrl.NetCtrl;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.packet.PacketInfo;
import io.pvring.netback.vswitch.Offload;
import io.pvring.netback.vswitch.PortSink;
import io.pvring.netback.vswitch.SwitchPort;
import io.pvring.netback.stats.VifCounters;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.netif.FrontendFeatures;
import io.pvring.runner.AgentErrorListener;
import io.pvring.runner.AgentHandle;
import io.pvring.runner.RunnerPool;
import io.pvring.stats.DeviceId;
import io.pvring.stats.DeviceKind;
import io.pvring.stats.DeviceStats;
import io.pvring.stats.IoStats;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

/**
 * One connected vif: its queues (each with its rings mapped and event channels bound) and its port on the
 * {@link VirtualSwitch}. Frames for the vif are spread over the queues by a flow hash of the addresses (Linux
 * {@code xenvif_select_queue} without a control-ring hash: {@code skb_get_hash % num_queues}). Built by
 * {@link #builder(String)}: the xenbus driver sets the frontend's keys and connects, and so may a benchmark.
 */
public final class NetBackVif implements AutoCloseable
{
    /** The frontend's transport keys for one queue. */
    public record QueueKeys(int txRingRef, int rxRingRef, int eventChannelTx, int eventChannelRx)
    {
    }

    private final String name;
    private final GrantMapper mapper;
    private final EventChannels channels;
    private final int backendDomid;
    private final int frontendDomid;
    private final FatalHandler fatalHandler;
    private final NetBackQueue[] queues;
    private final EventPort[] ports;
    private final int[][] ringHandles;
    private final SwitchPort port;
    private final QueueAgent[] agents;
    /** The queues' handles on their runners while {@link #start started}; empty otherwise. */
    private AgentHandle[] handles = new AgentHandle[0];
    private VifCounters[] published;
    private IoStats statsOwner;
    private DeviceStats stats;
    private final VifSink sink;
    private volatile NetCtrl ctrl;
    private EventPort ctrlPort;
    private int ctrlHandle;
    private boolean closed;

    private NetBackVif(
        final Builder b, final NetBackQueue[] queues, final EventPort[] ports, final int[][] ringHandles,
        final SwitchPort port, final VifSink sink)
    {
        this.sink = sink;
        this.name = b.name;
        this.mapper = b.mapper;
        this.channels = b.channels;
        this.backendDomid = b.backendDomid;
        this.frontendDomid = b.frontendDomid;
        this.fatalHandler = b.fatalHandler;
        this.queues = queues;
        this.ports = ports;
        this.ringHandles = ringHandles;
        this.port = port;
        this.agents = new QueueAgent[queues.length];
        for (int q = 0; q < queues.length; q++)
        {
            agents[q] = new QueueAgent(queues[q]);
        }
    }

    /** A vif to connect: set its wiring and the frontend's keys, then {@link Builder#connect()}. */
    public static Builder builder(final String name)
    {
        return new Builder(name);
    }

    /**
     * What a vif is connected with, each set once; {@link #connect()} checks that nothing required is missing
     * (a programmer error: {@link IllegalStateException}) and then judges the frontend's keys (peer input: a
     * {@link ConnectResult}). Defaults: {@link NetBackConfig} defaults, the system clock.
     */
    public static final class Builder
    {
        private final String name;
        private NetBackConfig config;
        private VirtualSwitch vswitch;
        private GrantMapper mapper;
        private EventChannels channels;
        private int backendDomid = -1;
        private int frontendDomid = -1;
        private QueueKeys[] keys;
        private FrontendFeatures requested;
        private NanoClock clock = SystemNanoClock.INSTANCE;
        private FatalHandler fatalHandler;

        private Builder(final String name)
        {
            this.name = name;
        }

        public Builder config(final NetBackConfig config)
        {
            this.config = config;
            return this;
        }

        /** The switch the vif's port attaches to. */
        public Builder vswitch(final VirtualSwitch vswitch)
        {
            this.vswitch = vswitch;
            return this;
        }

        /** Maps and copies the frontend domain's grants. */
        public Builder mapper(final GrantMapper mapper)
        {
            this.mapper = mapper;
            return this;
        }

        /** Where the frontend's event channels are bound, between which domains. */
        public Builder eventChannels(final EventChannels channels, final int backendDomid, final int frontendDomid)
        {
            this.channels = channels;
            this.backendDomid = backendDomid;
            this.frontendDomid = frontendDomid;
            return this;
        }

        /** The frontend's transport keys, one per queue ({@code multi-queue-num-queues} of them). */
        public Builder queues(final QueueKeys... keys)
        {
            this.keys = keys.clone();
            return this;
        }

        /** What the frontend asked for; the vif runs with what the {@link #config} also offers. */
        public Builder features(final FrontendFeatures requested)
        {
            this.requested = requested;
            return this;
        }

        public Builder clock(final NanoClock clock)
        {
            this.clock = clock;
            return this;
        }

        /** Told (on a queue's thread) when the frontend proved malicious. */
        public Builder fatalHandler(final FatalHandler fatalHandler)
        {
            this.fatalHandler = fatalHandler;
            return this;
        }

        /**
         * Maps each queue's rings, binds its event channels and attaches the vif to the switch.
         *
         * @return the vif, or why the frontend's keys are unusable (bad grant, unbound port, too many queues):
         *     then everything already mapped or bound is released.
         */
        public ConnectResult<NetBackVif> connect()
        {
            if (config == null)
            {
                config = NetBackConfig.builder().build();
            }
            if (vswitch == null || mapper == null || channels == null || keys == null || requested == null
                || clock == null || fatalHandler == null)
            {
                throw new IllegalStateException("vif=" + name + " needs vswitch, mapper, eventChannels, queues, "
                    + "features and fatalHandler: " + this);
            }
            return NetBackVif.connect(this);
        }

        @Override
        public String toString()
        {
            return "NetBackVif.Builder{name=" + name + ", vswitch=" + vswitch + ", mapper=" + mapper + ", channels="
                + channels + ", be=" + backendDomid + ", fe=" + frontendDomid + ", queues="
                + (keys == null ? null : keys.length) + ", features=" + requested + ", fatalHandler=" + fatalHandler
                + '}';
        }
    }

    private static ConnectResult<NetBackVif> connect(final Builder b)
    {
        final NetBackConfig config = b.config;
        final QueueKeys[] keys = b.keys;
        if (keys.length < 1 || keys.length > config.maxQueues())
        {
            return ConnectResult.failed("multi-queue-num-queues=" + keys.length + " not in 1.." + config.maxQueues());
        }
        final GrantMapper mapper = b.mapper;
        final EventChannels channels = b.channels;
        final FrontendFeatures features = config.negotiate(b.requested);
        final VifSettings settings = new VifSettings(config, features, mapper, b.clock, b.fatalHandler);
        final NetBackQueue[] queues = new NetBackQueue[keys.length];
        final EventPort[] ports = new EventPort[keys.length * 2];
        final int[][] handles = new int[keys.length * 2][];
        final VifSink sink = new VifSink(queues);
        final SwitchPort port = b.vswitch.attach(b.name, sink, Offload.capabilities(features));
        boolean ok = false;
        try
        {
            for (int q = 0; q < keys.length; q++)
            {
                final QueueKeys k = keys[q];
                final RingMapping tx = mapper.mapRing(new int[]{k.txRingRef()}, 1);
                if (!tx.isOk())
                {
                    return ConnectResult.failed(
                        "queue " + q + " tx-ring-ref=" + k.txRingRef() + ": " + GrantStatus.describe(tx.status()));
                }
                handles[2 * q] = tx.handles();
                final RingMapping rx = mapper.mapRing(new int[]{k.rxRingRef()}, 1);
                if (!rx.isOk())
                {
                    return ConnectResult.failed(
                        "queue " + q + " rx-ring-ref=" + k.rxRingRef() + ": " + GrantStatus.describe(rx.status()));
                }
                handles[2 * q + 1] = rx.handles();
                final EventPort txPort = channels.bindInterdomain(b.backendDomid, b.frontendDomid,
                    k.eventChannelTx());
                ports[2 * q] = txPort;
                EventPort rxPort = txPort;
                if (k.eventChannelRx() != k.eventChannelTx())
                {
                    rxPort = channels.bindInterdomain(b.backendDomid, b.frontendDomid, k.eventChannelRx());
                    ports[2 * q + 1] = rxPort;
                }
                if (txPort == null || rxPort == null)
                {
                    return ConnectResult.failed("queue " + q + " event channel " + k.eventChannelTx() + "/"
                        + k.eventChannelRx() + " cannot be bound");
                }
                queues[q] = new NetBackQueue(b.name + "-q" + q, settings,
                    new QueueRings(tx.ring(), rx.ring(), txPort, rxPort), port.newIngress());
            }
            ok = true;
            return ConnectResult.ok(new NetBackVif(b, queues, ports, handles, port, sink));
        }
        finally
        {
            if (!ok)
            {
                port.detach();
                release(mapper, ports, handles);
            }
        }
    }

    private static void release(final GrantMapper mapper, final EventPort[] ports, final int[][] handles)
    {
        for (final EventPort p : ports)
        {
            if (p != null)
            {
                p.close();
            }
        }
        for (final int[] h : handles)
        {
            if (h != null)
            {
                for (final int handle : h)
                {
                    mapper.unmap(handle);
                }
            }
        }
    }

    public String name()
    {
        return name;
    }

    public SwitchPort port()
    {
        return port;
    }

    public int queueCount()
    {
        return queues.length;
    }

    public NetBackQueue queue(final int index)
    {
        return queues[index];
    }

    /** Queue {@code index} as a ring agent (queue 0 also serves the control ring). */
    public QueueAgent agent(final int index)
    {
        return agents[index];
    }

    /**
     * Runs the vif's queues on {@code pool}, waiting as {@code mode} says, spread over the runners (see
     * {@link QueueAgent} for why): each on the least loaded runner when {@code firstRunner} is negative, or queue q
     * on runner {@code (firstRunner + q) % runners} when the host places them (a one-queue vif is then pinned to
     * {@code firstRunner}). Connect the control ring first. On the thread that connected the vif (the xenbus
     * thread).
     *
     * @param listener told (on a runner thread, which it must not block) when a queue's agent threw: the runner has
     *     taken that queue off; the caller closes the device.
     * @return the queues' handles (their runner counters), in queue order.
     * @throws IllegalStateException when the queues already run, or the vif was closed.
     */
    public AgentHandle[] start(
        final RunnerPool pool, final WaitMode mode, final AgentErrorListener listener, final int firstRunner)
    {
        if (handles.length != 0 || closed)
        {
            throw new IllegalStateException("vif=" + name + " running=" + handles.length + " closed=" + closed);
        }
        final AgentHandle[] started = new AgentHandle[agents.length];
        for (int q = 0; q < agents.length; q++)
        {
            started[q] = firstRunner < 0 ? pool.add(agents[q], mode, listener) :
                pool.add(agents[q], mode, listener, (firstRunner + q) % pool.runners());
        }
        handles = started;
        return started.clone();
    }

    /**
     * Takes the queues off their runners and waits until each runner let go of its queue (called {@code onClose()}
     * and {@code waker(null)}): only then may the rings be unmapped. The queues stay open: they may be stepped by
     * hand ({@link #doWork()}) or started again until {@link #close()}. Never on a runner thread. Idempotent.
     */
    public void stop()
    {
        final AgentHandle[] running = handles;
        handles = new AgentHandle[0];
        for (int q = 0; q < running.length; q++)
        {
            final AgentHandle h = running[q];
            if (h.runner().isRunnerThread())
            {
                throw new IllegalStateException("vif=" + name + " stopped from its own runner " + h.runner().name());
            }
            agents[q].leaving();
            h.remove().join();
        }
    }

    /**
     * Maps the control ring ({@code ctrl-ring-ref}) and binds {@code event-channel-ctrl} (between the domains the
     * vif was connected with); from then on the frontend's Toeplitz configuration steers frames to queues.
     *
     * @return the control ring, or why the ref or port is unusable (then nothing is kept).
     */
    public ConnectResult<NetCtrl> connectCtrl(final int ctrlRingRef, final int eventChannelCtrl)
    {
        final RingMapping mapping = mapper.mapRing(new int[]{ctrlRingRef}, 1);
        if (!mapping.isOk())
        {
            return ConnectResult.failed(
                "ctrl-ring-ref=" + ctrlRingRef + ": " + GrantStatus.describe(mapping.status()));
        }
        final int handle = mapping.handles()[0];
        final UnsafeBuffer page = mapping.ring();
        final EventPort port = channels.bindInterdomain(backendDomid, frontendDomid, eventChannelCtrl);
        if (port == null)
        {
            mapper.unmap(handle);
            return ConnectResult.failed("event-channel-ctrl=" + eventChannelCtrl + " cannot be bound");
        }
        ctrlHandle = handle;
        ctrlPort = port;
        final NetCtrl c = new NetCtrl(page, mapper, port, queues.length,
            () -> fatalHandler.onFatal(name + ": control ring req_prod overflow"));
        agents[0].ctrl(c, port);
        sink.ctrl = c;
        ctrl = c;
        return ConnectResult.ok(c);
    }

    /** The earliest {@link NetBackQueue#nanosUntilCredit()} of the queues, {@link Long#MAX_VALUE} if none waits. */
    public long nanosUntilWork()
    {
        long nanos = Long.MAX_VALUE;
        for (final NetBackQueue q : queues)
        {
            nanos = Math.min(nanos, q.nanosUntilCredit());
        }
        return nanos;
    }

    /**
     * Publishes every queue's counters to {@code manager} (e.g. a {@link io.pvring.netback.stats.CountersFile}),
     * labelled {@code "<vif> q<n> ..."}, until {@link #close()} frees them. Called once, on the thread that owns
     * {@code manager}'s allocation, before the agent runs.
     */
    public void publishCounters(final CountersManager manager)
    {
        if (published != null)
        {
            throw new IllegalStateException("counters already published: vif=" + name);
        }
        final VifCounters[] counters = new VifCounters[queues.length];
        for (int q = 0; q < queues.length; q++)
        {
            counters[q] = new VifCounters(manager, name, q);
            queues[q].publishTo(counters[q]);
        }
        published = counters;
    }

    /** Queue {@code queue}'s published counters, or null when the vif publishes none ({@link #publishCounters}). */
    public VifCounters counters(final int queue)
    {
        final VifCounters[] p = published;
        return p == null ? null : p[queue];
    }

    /**
     * Publishes the vif as device {@code vif-<domid>-<handle>} of {@code ioStats} (one queue per netback queue:
     * counters and ring-level trace) until {@link #close()} releases it. Called once, before the agent runs.
     */
    public void publishStats(final IoStats ioStats, final int handle)
    {
        if (published != null)
        {
            throw new IllegalStateException("counters already published: vif=" + name);
        }
        final DeviceStats device = ioStats.register(new DeviceId(DeviceKind.VIF, frontendDomid, handle), queues.length);
        final VifCounters[] counters = new VifCounters[queues.length];
        for (int q = 0; q < queues.length; q++)
        {
            counters[q] = new VifCounters(device.queue(q));
            queues[q].publishTo(counters[q]);
        }
        published = counters;
        statsOwner = ioStats;
        stats = device;
    }

    /** Multicast filtering on or off for every queue (the frontend re-negotiated it; any thread). */
    public void multicastControl(final boolean on)
    {
        for (final NetBackQueue q : queues)
        {
            q.multicastControl(on);
        }
    }

    /** The control ring, or null when the frontend has none. */
    public NetCtrl ctrl()
    {
        return ctrl;
    }

    /**
     * One duty cycle of every queue (and the control ring) on the calling thread, for a caller that steps the vif
     * by hand instead of {@link #start starting} it on a pool (tests, a benchmark's setup).
     */
    public int doWork()
    {
        int work = 0;
        for (final QueueAgent a : agents)
        {
            work += a.doWork();
        }
        return work;
    }

    /** Arms every ring of every queue, as a runner does before the queues sleep; true when work is waiting. */
    public boolean armAndCheck()
    {
        boolean work = false;
        for (final QueueAgent a : agents)
        {
            work |= a.armAndCheck();
        }
        return work;
    }

    /** True once any queue found the frontend malicious. */
    public boolean isDisabled()
    {
        for (final NetBackQueue q : queues)
        {
            if (q.isDisabled())
            {
                return true;
            }
        }
        return false;
    }

    /**
     * Disconnect: takes the queues off their runners ({@link #stop()}), then detaches the switch port, stops the
     * queues, closes the event channels and unmaps the rings. Never on a runner thread. Idempotent.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        stop();
        closed = true;
        port.detach();
        for (final NetBackQueue q : queues)
        {
            q.close();
        }
        if (published != null)
        {
            for (int q = 0; q < queues.length; q++)
            {
                queues[q].publishTo(null);
                published[q].close();
            }
            published = null;
        }
        if (stats != null)
        {
            statsOwner.release(stats); // after its counters' close: both free each counter once
            stats = null;
        }
        release(mapper, ports, ringHandles);
        if (ctrlPort != null)
        {
            ctrlPort.close();
            mapper.unmap(ctrlHandle);
        }
    }

    /** Spreads a vif's frames over its queues by flow; set before the port is used. */
    private static final class VifSink implements PortSink
    {
        private final NetBackQueue[] queues;
        private final ThreadLocal<Steering> steering = ThreadLocal.withInitial(Steering::new);
        volatile NetCtrl ctrl;

        VifSink(final NetBackQueue[] queues)
        {
            this.queues = queues;
        }

        @Override
        public boolean deliver(
            final DirectBuffer frame, final int offset, final int length, final int flags, final int gsoType,
            final int gsoSize)
        {
            // with a control-ring hash configured, as Linux: steer by it and hand it to the guest (RX hash extra)
            final NetCtrl c = ctrl;
            long hash = -1;
            if (c != null)
            {
                final HashConfig config = c.hashConfig();
                if (config.algorithm() != HashConfig.NONE.algorithm())
                {
                    final Steering s = steering.get();
                    s.info.parse(frame, offset, length);
                    hash = config.hash(frame, s.info, s.scratch);
                }
                if (hash >= 0 && queues.length > 1)
                {
                    final int queue = config.queueOf(hash, queues.length);
                    if (queue >= 0 && queue < queues.length)
                    {
                        return queues[queue].deliver(frame, offset, length, flags, gsoType, gsoSize, hash);
                    }
                }
            }
            final NetBackQueue q = queues.length == 1 ? queues[0] : queues[select(frame, offset, length)];
            return q != null && q.deliver(frame, offset, length, flags, gsoType, gsoSize, hash);
        }

        private int select(final DirectBuffer frame, final int offset, final int length)
        {
            long h = Ethernet.source(frame, offset) * 31 + Ethernet.destination(frame, offset);
            if (length >= 34)
            {
                h = h * 31 + frame.getInt(offset + 26); // IPv4 source and destination, or IPv6 bytes: a flow key
                h = h * 31 + frame.getInt(offset + 30);
            }
            h ^= h >>> 29;
            h *= 0xBF58_476D_1CE4_E5B9L;
            h ^= h >>> 32;
            return (int)((h & 0x7FFF_FFFFL) % queues.length);
        }
    }

    /** Per forwarding thread: parsed headers and the hash input. */
    private static final class Steering
    {
        final PacketInfo info = new PacketInfo();
        final UnsafeBuffer scratch = new UnsafeBuffer(new byte[64]);
    }
}
