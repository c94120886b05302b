package io.pvring.netback;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.pvring.agent.AgentErrors;
import io.pvring.agent.GuardedAgent;
import io.pvring.event.WaitMode;
import io.pvring.grant.BackendGrantMapper;
import io.pvring.grant.GrantMapper;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.netif.FrontendFeatures;
import io.pvring.runner.RingAgent;
import io.pvring.runner.RunnerPool;
import io.pvring.stats.IoStats;
import io.pvring.xenbus.XenbusBackendDevice;
import io.pvring.xenbus.XenbusBackendDriver;
import io.pvring.xenbus.XenbusDevice;
import io.pvring.xenbus.XenbusState;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * The xenbus backend driver for {@code vif} devices, negotiating as Linux xen-netback does: every {@code feature-*}
 * key is written in probe, before InitWait; the device connects when the frontend reaches Connected (netfront does
 * not stop at Initialised); the frontend's keys ({@code request-rx-copy}, {@code feature-sg}, GSO, checksum,
 * {@code feature-rx-notify}, {@code multi-queue-num-queues} with {@code queue-N/}, {@code event-channel} or
 * {@code event-channel-tx}/{@code -rx}, {@code request-multicast-control}, read at connect and again when the frontend
 * reconfigures: {@code feature-dynamic-multicast-control}) are hostile input, checked before use; with a
 * toolstack hotplug {@code script} the device waits for {@code hotplug-status = connected} before InitWait;
 * the toolstack's {@code mac} and {@code rate} configure the vif.
 *
 * <p>Every connected vif's queues run on the host's {@link RunnerPool} ({@link #runOn}, which the
 * {@link io.pvring.host.Host} calls), spread over its runners, each waiting as the backend key {@value #WAIT_MODE}
 * says ({@code poll}, {@code notify} or {@code adaptive}, or the older {@code backoff}; a pvring key, as blkback's)
 * or else as the driver's default.
 * A driver given no pool runs no thread: the caller steps every vif with {@link #doWork()} (tests).
 *
 * <p>The error boundary: a vif queue's agent that throws is taken off its runner by the pool, counted in
 * {@link #errors()}, and closes that device through xenbus ({@link XenbusDevice#requestClose(int, String)} with
 * {@code EIO}: backend Closing, the reason in its {@code error} node); the other vifs, on the same runner or not,
 * run on. Stepped vifs run inside a {@link GuardedAgent} with the same effect.
 */
public final class NetBackDriver implements XenbusBackendDriver, AutoCloseable
{
    public static final String TYPE = "vif";
    /** Backend key naming the toolstack's hotplug script; its presence makes the device wait for the script. */
    public static final String SCRIPT = "script";
    /** Backend key the hotplug script writes when done. */
    public static final String HOTPLUG_STATUS = "hotplug-status";
    public static final String HOTPLUG_CONNECTED = "connected";
    /** Backend key choosing how the vif's queues wait: {@code poll}, {@code notify} or {@code adaptive}. */
    public static final String WAIT_MODE = "wait-mode";

    private final NetBackConfig config;
    private final VirtualSwitch vswitch;
    private final NanoClock clock;
    private final CountersManager counters;
    private final WaitMode waitMode;
    private volatile IoStats ioStats;
    private final AgentErrors errors;
    private final Map<XenbusDevice, Attached> vifs = new HashMap<>();
    private volatile RunnerPool runners;
    /** Without a pool: the agents {@link #doWork()} steps (copy-on-write; the stepping thread is the xenbus one). */
    private GuardedAgent[] stepped = new GuardedAgent[0];

    /** A connected vif and, when stepped by hand, its queues inside the error boundary. */
    private record Attached(NetBackVif vif, GuardedAgent[] stepped)
    {
    }

    /**
     * @param waitMode how the vifs' queues wait unless their {@value #WAIT_MODE} key says otherwise; null for
     *     {@link WaitMode#ADAPTIVE}. The threads are the host's ({@link #runOn}).
     */
    public NetBackDriver(
        final NetBackConfig config, final VirtualSwitch vswitch, final NanoClock clock, final WaitMode waitMode)
    {
        this(config, vswitch, clock, waitMode, null);
    }

    /**
     * Publishes every vif connected from now on to {@code stats} (the process's counters file): a device per vif,
     * a queue per netback queue, with a ring-level trace {@code pvring trace} can turn on; released when the vif
     * disconnects. Without it (null), vifs publish their counters to the driver's counters manager, if any.
     *
     * @return this driver.
     */
    public NetBackDriver publishTo(final IoStats stats)
    {
        this.ioStats = stats;
        return this;
    }

    /** A vif's handle as a number, or -1 for a name {@code pvring stat} cannot key. */
    private static int numericHandle(final String devid)
    {
        try
        {
            return Integer.parseInt(devid);
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }

    /**
     * @param waitMode the vifs' default wait mode (null: {@link WaitMode#ADAPTIVE}).
     * @param counters where every vif queue publishes its counters (e.g. a
     *     {@link io.pvring.netback.stats.CountersFile} another process reads); null for none. Allocated and freed
     *     on the xenbus thread.
     */
    public NetBackDriver(
        final NetBackConfig config,
        final VirtualSwitch vswitch,
        final NanoClock clock,
        final WaitMode waitMode,
        final CountersManager counters)
    {
        this.counters = counters;
        this.config = config;
        this.vswitch = vswitch;
        this.clock = clock;
        this.waitMode = waitMode == null ? WaitMode.ADAPTIVE : waitMode;
        this.errors = counters == null ? new AgentErrors("netback") : new AgentErrors("netback", counters);
    }

    /** Where the vifs' queues run: the host's pool (the {@link io.pvring.host.Host} calls this before any probe). */
    @Override
    public void runOn(final RunnerPool runners)
    {
        this.runners = runners;
    }

    /** How vifs without a {@value #WAIT_MODE} key wait. */
    public WaitMode waitMode()
    {
        return waitMode;
    }

    @Override
    public String deviceType()
    {
        return TYPE;
    }

    /**
     * Runs every connected queue once on the calling thread, as a notify runner would: a queue that found nothing
     * arms its rings and looks once more (only without a pool).
     */
    public int doWork()
    {
        if (runners != null)
        {
            throw new IllegalStateException("the host's runners run the queues");
        }
        int work = 0;
        for (final GuardedAgent agent : stepped)
        {
            int done = agent.doWork();
            if (done == 0 && !agent.isFailed() && ((QueueAgent)agent.agent()).armAndCheck())
            {
                done = agent.doWork();
            }
            work += done;
        }
        return work;
    }

    /** The connected vif of {@code device}, or null. */
    public synchronized NetBackVif vif(final XenbusDevice device)
    {
        final Attached attached = vifs.get(device);
        return attached == null ? null : attached.vif();
    }

    /** The vifs connected now (a copy). */
    public synchronized List<NetBackVif> vifs()
    {
        final List<NetBackVif> connected = new ArrayList<>();
        for (final Attached attached : vifs.values())
        {
            connected.add(attached.vif());
        }
        return connected;
    }

    /** The error boundary: its errors counter counts every vif queue agent's unexpected exception. */
    public AgentErrors errors()
    {
        return errors;
    }

    @Override
    public XenbusBackendDevice probe(final XenbusDevice device)
    {
        final String mac = device.read("mac");
        if (mac != null)
        {
            Ethernet.parse(mac); // a toolstack typo refuses the device here, not at connect
        }
        final String rate = device.read("rate");
        final NetBackConfig vifConfig = rate == null ? config : copyWithRate(rate);
        final String waitKey = device.read(WAIT_MODE);
        final WaitMode vifWait = waitKey == null ? waitMode : WaitMode.parse(waitKey); // a typo refuses the device
        device.write("feature-sg", flag(config.featureSg()));
        device.write("feature-gso-tcpv4", flag(config.featureGsoTcpv4()));
        device.write("feature-gso-tcpv6", flag(config.featureGsoTcpv6()));
        device.write("feature-ipv6-csum-offload", flag(config.featureIpv6CsumOffload()));
        device.write("feature-rx-copy", "1");
        device.write("feature-rx-flip", "0");
        device.write("feature-multicast-control", flag(config.featureMulticastControl()));
        device.write("feature-dynamic-multicast-control", flag(config.featureMulticastControl()));
        device.write("feature-split-event-channels", flag(config.featureSplitEventChannels()));
        device.write("multi-queue-max-queues", Integer.toString(config.maxQueues()));
        device.write("feature-ctrl-ring", "1");
        return new Device(vifConfig, vifWait);
    }

    private NetBackConfig copyWithRate(final String rate)
    {
        return config.toBuilder().rate(rate).build();
    }

    private static String flag(final boolean on)
    {
        return on ? "1" : "0";
    }

    /**
     * Disconnects every vif still connected (taking its queues off the runners first) and frees the errors counter.
     * Not on a runner thread. Idempotent.
     */
    @Override
    public void close()
    {
        final Attached[] open;
        synchronized (this)
        {
            open = vifs.values().toArray(new Attached[0]);
            vifs.clear();
            stepped = new GuardedAgent[0];
        }
        for (final Attached attached : open)
        {
            attached.vif().close();
        }
        errors.close();
    }

    private final class Device implements XenbusBackendDevice
    {
        private final NetBackConfig vifConfig;
        private final WaitMode vifWait;
        private GrantMapper mapper;

        Device(final NetBackConfig vifConfig, final WaitMode vifWait)
        {
            this.vifConfig = vifConfig;
            this.vifWait = vifWait;
        }

        /**
         * As Linux xen-netback: when the toolstack runs a hotplug {@code script} for the vif, the device waits for
         * the script's {@code hotplug-status = connected} (the host side of the vif is plumbed) before InitWait;
         * without a script key there is nothing to wait for.
         */
        @Override
        public boolean readyForInitWait(final XenbusDevice device)
        {
            return device.read(SCRIPT) == null || HOTPLUG_CONNECTED.equals(device.read(HOTPLUG_STATUS));
        }

        @Override
        public boolean connect(final XenbusDevice device)
        {
            if (!"1".equals(device.readOtherend("request-rx-copy")))
            {
                device.fatal("frontend does not support rx-copy (request-rx-copy)");
                return false;
            }
            final long queues = device.readOtherendLong("multi-queue-num-queues", 1);
            if (queues < 1 || queues > vifConfig.maxQueues())
            {
                device.fatal("multi-queue-num-queues=" + queues + " not in 1.." + vifConfig.maxQueues());
                return false;
            }
            final NetBackVif.QueueKeys[] keys = new NetBackVif.QueueKeys[(int)queues];
            for (int q = 0; q < queues; q++)
            {
                final String prefix = queues == 1 ? "" : "queue-" + q + "/";
                final long tx = device.readOtherendLong(prefix + "tx-ring-ref", -1);
                final long rx = device.readOtherendLong(prefix + "rx-ring-ref", -1);
                long evtTx = device.readOtherendLong(prefix + "event-channel", -1);
                long evtRx = evtTx;
                if (evtTx < 0 && vifConfig.featureSplitEventChannels())
                {
                    evtTx = device.readOtherendLong(prefix + "event-channel-tx", -1);
                    evtRx = device.readOtherendLong(prefix + "event-channel-rx", -1);
                }
                if (tx < 0 || rx < 0 || evtTx < 0 || evtRx < 0 || tx > Integer.MAX_VALUE || rx > Integer.MAX_VALUE
                    || evtTx > Integer.MAX_VALUE || evtRx > Integer.MAX_VALUE)
                {
                    device.fatal("queue " + q + ": missing or bad tx-ring-ref/rx-ring-ref/event-channel");
                    return false;
                }
                keys[q] = new NetBackVif.QueueKeys((int)tx, (int)rx, (int)evtTx, (int)evtRx);
            }
            final FrontendFeatures requested = new FrontendFeatures(
                otherendFlag(device, "feature-sg", false),
                otherendFlag(device, "feature-gso-tcpv4", false),
                otherendFlag(device, "feature-gso-tcpv6", false),
                !otherendFlag(device, "feature-no-csum-offload", false),
                otherendFlag(device, "feature-ipv6-csum-offload", false),
                otherendFlag(device, "feature-rx-notify", false),
                otherendFlag(device, "request-multicast-control", false));
            mapper = device.hypervisor().grantMapper(device.backendDomid(), device.frontendDomid());
            final String name = "vif" + device.frontendDomid() + "." + device.devid();
            final ConnectResult<NetBackVif> connected = NetBackVif.builder(name)
                .config(vifConfig)
                .vswitch(vswitch)
                .mapper(mapper)
                .eventChannels(device.hypervisor().eventChannels(), device.backendDomid(), device.frontendDomid())
                .queues(keys)
                .features(requested)
                .clock(clock)
                .fatalHandler(device::requestClose)
                .connect();
            if (!connected.isOk())
            {
                device.fatal(connected.error());
                return false;
            }
            final NetBackVif vif = connected.value();
            final long ctrlRef = device.readOtherendLong("ctrl-ring-ref", -1);
            if (ctrlRef >= 0)
            {
                final long ctrlEvent = device.readOtherendLong("event-channel-ctrl", -1);
                final String error = ctrlRef > Integer.MAX_VALUE || ctrlEvent < 0 || ctrlEvent > Integer.MAX_VALUE
                    ? "bad event-channel-ctrl" : vif.connectCtrl((int)ctrlRef, (int)ctrlEvent).error();
                if (error != null)
                {
                    vif.close();
                    device.fatal(error);
                    return false;
                }
            }
            final int handle = numericHandle(device.devid());
            if (ioStats != null && handle >= 0)
            {
                vif.publishStats(ioStats, handle);
            }
            else if (counters != null)
            {
                vif.publishCounters(counters);
            }
            final RunnerPool pool = runners;
            if (pool == null)
            {
                // the boundary when stepped: an unexpected exception in this vif closes this device only
                final GuardedAgent[] guarded = new GuardedAgent[vif.queueCount()];
                for (int q = 0; q < guarded.length; q++)
                {
                    guarded[q] = new GuardedAgent(vif.agent(q), errors,
                        reason -> device.requestClose(XenbusDevice.EIO, reason));
                }
                synchronized (NetBackDriver.this)
                {
                    vifs.put(device, new Attached(vif, guarded));
                    final GuardedAgent[] next = Arrays.copyOf(stepped, stepped.length + guarded.length);
                    System.arraycopy(guarded, 0, next, stepped.length, guarded.length);
                    stepped = next;
                }
                return true;
            }
            synchronized (NetBackDriver.this)
            {
                vifs.put(device, new Attached(vif, null));
            }
            // the boundary: the runner takes a throwing queue off; this closes the device (EIO, as a driver bug)
            vif.start(pool, vifWait, (agent, error) -> onAgentError(device, agent, error), -1);
            return true;
        }

        /**
         * Netfront rewrites its keys around Reconfiguring (XDP headroom): as Linux's {@code xen_mcast_ctrl_changed}
         * (feature-dynamic-multicast-control), {@code request-multicast-control} is re-read then and applied to the
         * running vif.
         */
        @Override
        public XenbusState reconfigure(final XenbusDevice device, final XenbusState frontendState)
        {
            final NetBackVif vif = vif(device);
            if (vif != null)
            {
                vif.multicastControl(vifConfig.featureMulticastControl() &&
                    otherendFlag(device, "request-multicast-control", false));
            }
            return XenbusBackendDevice.super.reconfigure(device, frontendState);
        }

        @Override
        public void disconnect(final XenbusDevice device)
        {
            final Attached attached;
            synchronized (NetBackDriver.this)
            {
                attached = vifs.remove(device);
            }
            if (attached != null)
            {
                if (attached.stepped() != null)
                {
                    synchronized (NetBackDriver.this)
                    {
                        stepped = without(stepped, attached.stepped());
                    }
                }
                // the ring pages are unmapped only after the runners let go of the queues
                attached.vif().close();
            }
            if (mapper != null)
            {
                mapper.unmapAll();
                if (mapper instanceof BackendGrantMapper)
                {
                    ((BackendGrantMapper)mapper).close(); // the hypervisor forgets it: reconnects do not pile up
                }
                mapper = null;
            }
        }

        @Override
        public void remove(final XenbusDevice device)
        {
            disconnect(device);
        }
    }

    /**
     * A queue's agent threw (runner thread; the runner already took that queue off): counted, and the device asked
     * to close with an {@code error} node. The pool's error handler logged it.
     */
    private void onAgentError(final XenbusDevice device, final RingAgent agent, final Throwable error)
    {
        final AtomicCounter counter = errors.counter();
        if (!counter.isClosed())
        {
            counter.increment();
        }
        // the same reason a stepped vif's GuardedAgent gives: the queue's name and the exception
        device.requestClose(XenbusDevice.EIO, agent.roleName() + ": internal error: " + error);
    }

    private static GuardedAgent[] without(final GuardedAgent[] all, final GuardedAgent[] gone)
    {
        final GuardedAgent[] rest = new GuardedAgent[all.length];
        int n = 0;
        for (final GuardedAgent a : all)
        {
            if (!Arrays.asList(gone).contains(a))
            {
                rest[n++] = a;
            }
        }
        return Arrays.copyOf(rest, n);
    }

    private static boolean otherendFlag(final XenbusDevice device, final String key, final boolean defaultValue)
    {
        final String value = device.readOtherend(key);
        return value == null ? defaultValue : "1".equals(value.trim());
    }
}
