package io.pvring.netback;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongConsumer;

import io.pvring.agent.AgentErrors;
import io.pvring.agent.GuardedAgent;
import io.pvring.event.BlockingIdleStrategy;
import io.pvring.event.EventWaiter;
import io.pvring.event.IdleStrategies;
import io.pvring.event.WaitMode;
import io.pvring.grant.BackendGrantMapper;
import io.pvring.grant.GrantMapper;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.netif.FrontendFeatures;
import io.pvring.stats.IoStats;
import io.pvring.xenbus.XenbusBackendDevice;
import io.pvring.xenbus.XenbusBackendDriver;
import io.pvring.xenbus.XenbusDevice;
import io.pvring.xenbus.XenbusState;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.DynamicCompositeAgent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.status.CountersManager;

/**
 * The xenbus backend driver for {@code vif} devices, negotiating as Linux xen-netback does: every {@code feature-*}
 * key is written in probe, before InitWait; the device connects when the frontend reaches Connected (netfront does
 * not stop at Initialised); the frontend's keys ({@code request-rx-copy}, {@code feature-sg}, GSO, checksum,
 * {@code feature-rx-notify}, {@code multi-queue-num-queues} with {@code queue-N/}, {@code event-channel} or
 * {@code event-channel-tx}/{@code -rx}, {@code request-multicast-control}, read at connect and again when the frontend
 * reconfigures: {@code feature-dynamic-multicast-control}) are hostile input, checked before use; with a
 * toolstack hotplug {@code script} the device waits for {@code hotplug-status = connected} before InitWait;
 * the toolstack's {@code mac} and {@code rate} configure the vif. Every connected vif's queues run on one agent
 * runner owned by the driver (or are stepped by the caller with {@link #doWork()} when no thread was asked for).
 *
 * <p>The error boundary: each vif's agent runs inside a {@link GuardedAgent} sharing the runner's {@link AgentErrors}
 * ({@link #errors()}). An unexpected exception in one vif stops that vif's agent, is counted and logged once, and
 * closes that device through xenbus ({@link XenbusDevice#requestClose(int, String)} with {@code EIO}: backend
 * Closing, the reason in its {@code error} node); the other vifs on the runner run on.
 */
public final class NetBackDriver implements XenbusBackendDriver, AutoCloseable
{
    public static final String TYPE = "vif";
    /** Backend key naming the toolstack's hotplug script; its presence makes the device wait for the script. */
    public static final String SCRIPT = "script";
    /** Backend key the hotplug script writes when done. */
    public static final String HOTPLUG_STATUS = "hotplug-status";
    public static final String HOTPLUG_CONNECTED = "connected";

    private final NetBackConfig config;
    private final VirtualSwitch vswitch;
    private final NanoClock clock;
    private final CountersManager counters;
    private volatile IoStats ioStats;
    private final DynamicCompositeAgent agents;
    private final AgentRunner runner;
    private final Thread runnerThread;
    /** Set by {@link #close()}: the runner's next duty cycle ends its loop without an interrupt. */
    private volatile boolean terminating;
    private final EventWaiter waiter;
    /** The notify strategy's timed park, for vifs whose shaper waits for credit; null for other strategies. */
    private final LongConsumer parkBound;
    private final AgentErrors errors;
    private final Map<XenbusDevice, Attached> vifs = new HashMap<>();
    /** Without a runner: the agents {@link #doWork()} steps (copy-on-write; the stepping thread is the xenbus one). */
    private GuardedAgent[] stepped = new GuardedAgent[0];

    /** A connected vif and its agent as the runner runs it, inside the error boundary. */
    private record Attached(NetBackVif vif, GuardedAgent agent)
    {
    }

    /**
     * @param waitMode how the runner thread waits, or null to run no thread (the caller steps {@link #doWork()},
     *     e.g. in tests or a benchmark that owns its threads). netback is not on the shared runners yet, so
     *     {@link WaitMode#ADAPTIVE} sleeps on event channels as {@link WaitMode#NOTIFY} does.
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
     * @param waitMode how the runner thread waits, or null to run no thread.
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
        this.agents = new DynamicCompositeAgent("netback");
        this.errors = counters == null ? new AgentErrors("netback") : new AgentErrors("netback", counters);
        if (waitMode != null)
        {
            final IdleStrategy strategy =
                IdleStrategies.create(waitMode == WaitMode.ADAPTIVE ? WaitMode.NOTIFY : waitMode);
            waiter = IdleStrategies.waiter(strategy);
            parkBound = strategy instanceof BlockingIdleStrategy ?
                ((BlockingIdleStrategy)strategy)::boundNextPark : null;
            runner = new AgentRunner(strategy, errors, errors.counter(), new Terminable());
            runnerThread = AgentRunner.startOnThread(runner);
        }
        else
        {
            waiter = null;
            parkBound = null;
            runner = null;
            runnerThread = null;
        }
    }

    @Override
    public String deviceType()
    {
        return TYPE;
    }

    /** Runs every connected queue once on the calling thread (only without a runner thread). */
    public int doWork()
    {
        if (runner != null)
        {
            throw new IllegalStateException("a runner thread is running the queues");
        }
        int work = 0;
        for (final GuardedAgent agent : stepped)
        {
            work += agent.doWork();
        }
        return work;
    }

    /** The connected vif of {@code device}, or null. */
    public synchronized NetBackVif vif(final XenbusDevice device)
    {
        final Attached attached = vifs.get(device);
        return attached == null ? null : attached.vif();
    }

    /** The runner's error boundary: its errors counter counts every vif agent's unexpected exception. */
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
        return new Device(vifConfig);
    }

    private NetBackConfig copyWithRate(final String rate)
    {
        return config.toBuilder().rate(rate).build();
    }

    private static String flag(final boolean on)
    {
        return on ? "1" : "0";
    }

    /** Stops the runner thread (joining it) after disconnecting every vif. Idempotent. */
    @Override
    public void close()
    {
        final Attached[] open;
        synchronized (this)
        {
            open = vifs.values().toArray(new Attached[0]);
            vifs.clear();
        }
        if (runner != null)
        {
            stopRunner();
        }
        for (final Attached attached : open)
        {
            attached.vif().close();
        }
        errors.close();
    }

    /**
     * Ends the runner's loop from inside (the agent throws {@link AgentTerminationException} once
     * {@link #terminating} is set) and wakes a parked runner so it sees that at once: {@code AgentRunner.close()}
     * alone would wait out its 5 s timeout before interrupting a thread parked by the notify strategy.
     */
    private void stopRunner()
    {
        terminating = true;
        wakeRunner();
        runner.close(); // the agents' onClose runs on the runner thread
        boolean interrupted = false;
        while (runnerThread.isAlive())
        {
            try
            {
                runnerThread.join(); // a runner closed before its thread ran returns at once
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }

    /** The runner's agent: every vif's queues, until {@link #close()} asks the loop to end. */
    private final class Terminable implements Agent
    {
        @Override
        public void onStart()
        {
            agents.onStart();
        }

        @Override
        public int doWork() throws Exception
        {
            if (terminating)
            {
                throw new AgentTerminationException("netback driver closed");
            }
            return agents.doWork();
        }

        @Override
        public void onClose()
        {
            agents.onClose();
        }

        @Override
        public String roleName()
        {
            return agents.roleName();
        }
    }

    private final class Device implements XenbusBackendDevice
    {
        private final NetBackConfig vifConfig;
        private GrantMapper mapper;

        Device(final NetBackConfig vifConfig)
        {
            this.vifConfig = vifConfig;
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
            if (waiter != null)
            {
                vif.waiter(waiter);
            }
            if (parkBound != null)
            {
                vif.parkBound(parkBound);
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
            // the boundary: an unexpected exception in this vif closes this device only (EIO, as a driver bug)
            final GuardedAgent agent = new GuardedAgent(vif.agent(), errors,
                reason -> device.requestClose(XenbusDevice.EIO, reason));
            synchronized (NetBackDriver.this)
            {
                vifs.put(device, new Attached(vif, agent));
            }
            if (runner == null)
            {
                stepped = Arrays.copyOf(stepped, stepped.length + 1);
                stepped[stepped.length - 1] = agent;
                return true;
            }
            while (!agents.tryAdd(agent))
            {
                wakeRunner(); // another vif's add is being applied by the runner
            }
            while (!agents.hasAddAgentCompleted())
            {
                wakeRunner(); // a parked runner applies the add only once woken
            }
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
                if (runner == null)
                {
                    final GuardedAgent[] next = new GuardedAgent[Math.max(0, stepped.length - 1)];
                    int j = 0;
                    for (final GuardedAgent a : stepped)
                    {
                        if (a != attached.agent() && j < next.length)
                        {
                            next[j++] = a;
                        }
                    }
                    stepped = next;
                }
                else if (!runner.isClosed())
                {
                    // the ring pages are unmapped only after the runner let go of the queues
                    while (!agents.tryRemove(attached.agent()))
                    {
                        wakeRunner();
                    }
                    while (!agents.hasRemoveAgentCompleted() && !runner.isClosed())
                    {
                        wakeRunner();
                    }
                }
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

    private void wakeRunner()
    {
        if (waiter != null)
        {
            waiter.wake();
        }
        Thread.onSpinWait();
    }

    private static boolean otherendFlag(final XenbusDevice device, final String key, final boolean defaultValue)
    {
        final String value = device.readOtherend(key);
        return value == null ? defaultValue : "1".equals(value.trim());
    }
}
