package io.pvring.netback;

import java.util.function.LongConsumer;

import io.pvring.event.EventChannels;
import io.pvring.event.EventPort;
import io.pvring.event.EventWaiter;
import io.pvring.grant.GrantMapper;
import io.pvring.grant.GrantStatus;
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
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

/**
 * One connected vif: its queues (each with its rings mapped and event channels bound) and its port on the
 * {@link VirtualSwitch}. Frames for the vif are spread over the queues by a flow hash of the addresses (Linux
 * {@code xenvif_select_queue} without a control-ring hash: {@code skb_get_hash % num_queues}). Built by
 * {@link #connect}, which is what the xenbus driver calls with the frontend's keys, and what a benchmark may call
 * directly.
 */
public final class NetBackVif implements AutoCloseable
{
    /** The frontend's transport keys for one queue. */
    public record QueueKeys(int txRingRef, int rxRingRef, int eventChannelTx, int eventChannelRx)
    {
    }

    private final String name;
    private final GrantMapper mapper;
    private final NetBackQueue[] queues;
    private final EventPort[] ports;
    private final int[][] ringHandles;
    private final SwitchPort port;
    private final Agent agent;
    private volatile LongConsumer parkBound;
    private VifCounters[] published;
    private final VifSink sink;
    private volatile NetCtrl ctrl;
    private EventPort ctrlPort;
    private int[] ctrlHandle;
    private boolean closed;

    private NetBackVif(
        final String name, final GrantMapper mapper, final NetBackQueue[] queues, final EventPort[] ports,
        final int[][] ringHandles, final SwitchPort port, final VifSink sink)
    {
        this.sink = sink;
        this.name = name;
        this.mapper = mapper;
        this.queues = queues;
        this.ports = ports;
        this.ringHandles = ringHandles;
        this.port = port;
        this.agent = new Agent()
        {
            @Override
            public int doWork()
            {
                final int work = NetBackVif.this.doWork();
                final LongConsumer bound = parkBound;
                if (work == 0 && bound != null)
                {
                    final long nanos = nanosUntilWork();
                    if (nanos != Long.MAX_VALUE)
                    {
                        bound.accept(nanos); // a sleeping runner wakes when the shaper tops up
                    }
                }
                return work;
            }

            @Override
            public String roleName()
            {
                return name;
            }
        };
    }

    /**
     * Maps each queue's rings, binds its event channels and attaches the vif to {@code vswitch}.
     *
     * @return the vif, or null when the frontend's keys are unusable (bad grant, unbound port): everything already
     *     mapped or bound is released and {@code error[0]} says why.
     */
    public static NetBackVif connect(
        final String name, final NetBackConfig config, final VirtualSwitch vswitch, final GrantMapper mapper,
        final EventChannels channels, final int backendDomid, final int frontendDomid, final QueueKeys[] keys,
        final FrontendFeatures requested, final NanoClock clock, final FatalHandler fatalHandler,
        final String[] error)
    {
        if (keys.length < 1 || keys.length > config.maxQueues())
        {
            error[0] = "multi-queue-num-queues=" + keys.length + " not in 1.." + config.maxQueues();
            return null;
        }
        final FrontendFeatures features = config.negotiate(requested);
        final NetBackQueue[] queues = new NetBackQueue[keys.length];
        final EventPort[] ports = new EventPort[keys.length * 2];
        final int[][] handles = new int[keys.length * 2][];
        final VifSink sink = new VifSink(queues);
        final SwitchPort port = vswitch.attach(name, sink, Offload.capabilities(features));
        final int[] ref = new int[1];
        boolean ok = false;
        try
        {
            for (int q = 0; q < keys.length; q++)
            {
                final QueueKeys k = keys[q];
                final UnsafeBuffer tx = new UnsafeBuffer(0, 0);
                final UnsafeBuffer rx = new UnsafeBuffer(0, 0);
                handles[2 * q] = new int[]{-1};
                handles[2 * q + 1] = new int[]{-1};
                ref[0] = k.txRingRef();
                int status = mapper.mapRing(ref, 1, tx, handles[2 * q]);
                if (status != GrantStatus.GNTST_OKAY)
                {
                    handles[2 * q] = null;
                    error[0] = "queue " + q + " tx-ring-ref=" + k.txRingRef() + ": " + GrantStatus.describe(status);
                    return null;
                }
                ref[0] = k.rxRingRef();
                status = mapper.mapRing(ref, 1, rx, handles[2 * q + 1]);
                if (status != GrantStatus.GNTST_OKAY)
                {
                    handles[2 * q + 1] = null;
                    error[0] = "queue " + q + " rx-ring-ref=" + k.rxRingRef() + ": " + GrantStatus.describe(status);
                    return null;
                }
                final EventPort txPort = channels.bindInterdomain(backendDomid, frontendDomid, k.eventChannelTx());
                ports[2 * q] = txPort;
                EventPort rxPort = txPort;
                if (k.eventChannelRx() != k.eventChannelTx())
                {
                    rxPort = channels.bindInterdomain(backendDomid, frontendDomid, k.eventChannelRx());
                    ports[2 * q + 1] = rxPort;
                }
                if (txPort == null || rxPort == null)
                {
                    error[0] = "queue " + q + " event channel " + k.eventChannelTx() + "/" + k.eventChannelRx()
                        + " cannot be bound";
                    return null;
                }
                queues[q] = new NetBackQueue(name + "-q" + q, config, mapper, tx, rx, txPort, rxPort,
                    port.newIngress(), features, clock, fatalHandler);
            }
            ok = true;
            return new NetBackVif(name, mapper, queues, ports, handles, port, sink);
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
            if (h != null && h[0] >= 0)
            {
                mapper.unmap(h[0]);
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

    /** Every queue as one agent, for a runner (one thread may serve many vifs). */
    public Agent agent()
    {
        return agent;
    }

    /**
     * Maps the control ring ({@code ctrl-ring-ref}) and binds {@code event-channel-ctrl}; from then on the
     * frontend's Toeplitz configuration steers frames to queues.
     *
     * @return false (nothing kept) when the ref or port is unusable; {@code error[0]} says why.
     */
    public boolean connectCtrl(
        final EventChannels channels, final int backendDomid, final int frontendDomid, final int ctrlRingRef,
        final int eventChannelCtrl, final FatalHandler fatalHandler, final String[] error)
    {
        final UnsafeBuffer page = new UnsafeBuffer(0, 0);
        final int[] handle = new int[1];
        final int status = mapper.mapRing(new int[]{ctrlRingRef}, 1, page, handle);
        if (status != GrantStatus.GNTST_OKAY)
        {
            error[0] = "ctrl-ring-ref=" + ctrlRingRef + ": " + GrantStatus.describe(status);
            return false;
        }
        final EventPort port = channels.bindInterdomain(backendDomid, frontendDomid, eventChannelCtrl);
        if (port == null)
        {
            mapper.unmap(handle[0]);
            error[0] = "event-channel-ctrl=" + eventChannelCtrl + " cannot be bound";
            return false;
        }
        ctrlHandle = handle;
        ctrlPort = port;
        final NetCtrl c = new NetCtrl(page, mapper, port, queues.length,
            () -> fatalHandler.onFatal(name + ": control ring req_prod overflow"));
        sink.ctrl = c;
        ctrl = c;
        return true;
    }

    /**
     * Registers the runner's waiter (a notify idle strategy) on every event channel of the vif and on its queues'
     * RX backlogs, so guest kicks and frames from other vifs wake a parked runner.
     */
    public void waiter(final EventWaiter waiter)
    {
        for (final EventPort p : ports)
        {
            if (p != null)
            {
                p.waiter(waiter);
            }
        }
        if (ctrlPort != null)
        {
            ctrlPort.waiter(waiter);
        }
        for (final NetBackQueue q : queues)
        {
            q.waiter(waiter);
        }
    }

    /**
     * Registers the runner's park bound (a notify idle strategy's {@code boundNextPark}): when {@link #agent()} finds
     * no work but a queue waits for TX credit, it bounds the runner's next sleep to the shaper's next top-up.
     * Set before the agent runs.
     */
    public void parkBound(final LongConsumer parkBound)
    {
        this.parkBound = parkBound;
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

    /** One duty cycle of every queue (and the control ring), on the calling thread (what {@link #agent()} does). */
    public int doWork()
    {
        int work = 0;
        final NetCtrl c = ctrl;
        if (c != null)
        {
            work += c.doWork();
        }
        for (final NetBackQueue q : queues)
        {
            work += q.doWork();
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
     * Disconnect: detaches the switch port, stops the queues, closes the event channels, unmaps the rings. Call
     * after the agent runner stopped running {@link #agent()} (so no ring thread touches the pages). Idempotent.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
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
        release(mapper, ports, ringHandles);
        if (ctrlPort != null)
        {
            ctrlPort.close();
            mapper.unmap(ctrlHandle[0]);
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
