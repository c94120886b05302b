package io.pvring.netfront;

import io.pvring.netif.FrontendFeatures;
import io.pvring.xenbus.XenbusDevice;
import io.pvring.xenbus.XenbusFrontendDriver;
import io.pvring.xenbus.XenbusState;

/**
 * The xenbus side of {@link NetFront}, as Linux xen-netfront negotiates: on backend InitWait it reads the backend's
 * {@code feature-*} keys, keeps what both sides support, sets up the rings and event channel(s) (split when the
 * backend offers {@code feature-split-event-channels} and this driver asks for it), writes {@code tx-ring-ref},
 * {@code rx-ring-ref}, {@code event-channel} (or {@code -tx}/{@code -rx}), {@code request-rx-copy} and its feature
 * requests in one transaction, and goes straight to Connected. With more than one queue (and the backend's
 * {@code multi-queue-max-queues} allowing it) it writes {@code multi-queue-num-queues} and each queue's keys under
 * {@code queue-N/}, as Linux {@code xennet_create_queues} and {@code write_queue_xenstore_keys} do.
 */
public final class NetFrontDriver implements XenbusFrontendDriver
{
    private final NetFrontConfig config;
    private volatile NetFront[] fronts = new NetFront[0];
    private volatile NetFrontCtrl ctrl;
    private volatile NetFront front;
    private volatile boolean backendConnected;

    public NetFrontDriver(final NetFrontConfig config)
    {
        this.config = config;
    }

    public NetFrontConfig config()
    {
        return config;
    }

    /** The control ring once connected, or null (not asked for, or not offered by the backend). */
    public NetFrontCtrl ctrl()
    {
        return ctrl;
    }

    /** Queue {@code index}'s frontend once connected (queue 0 is {@link #netFront()}). */
    public NetFront netFront(final int index)
    {
        return fronts[index];
    }

    /** Queues negotiated (0 before the transport is set up). */
    public int queues()
    {
        return fronts.length;
    }

    /** The frontend, once the transport is set up (null before and after a connection). */
    public NetFront netFront()
    {
        return front;
    }

    public boolean isBackendConnected()
    {
        return backendConnected;
    }

    @Override
    public void setupTransport(final XenbusDevice device)
    {
        final FrontendFeatures wanted = config.features();
        final FrontendFeatures features = new FrontendFeatures(
            wanted.sg() && backendFlag(device, "feature-sg"),
            wanted.gsoTcpv4() && backendFlag(device, "feature-gso-tcpv4"),
            wanted.gsoTcpv6() && backendFlag(device, "feature-gso-tcpv6"),
            wanted.csumIpv4(),
            wanted.csumIpv6() && backendFlag(device, "feature-ipv6-csum-offload"),
            wanted.rxNotify(),
            wanted.multicastControl() && backendFlag(device, "feature-multicast-control"));
        final boolean split = config.splitEventChannels() && backendFlag(device, "feature-split-event-channels");
        final int domid = device.ownDomid();
        final long maxQueues = device.readOtherendLong("multi-queue-max-queues", 1);
        final int queues = (int)Math.max(1, Math.min(config.queues(), maxQueues));
        final NetFront[] created = new NetFront[queues];
        for (int q = 0; q < queues; q++)
        {
            created[q] = new NetFront(domid, device.hypervisor().guestMemory(domid),
                device.hypervisor().grantTable(domid), device.hypervisor().eventChannels(), device.backendDomid(),
                config.firstGfn() + (long)q * NetFront.PAGES, features, split);
        }
        fronts = created;
        front = created[0];
        if (config.controlRingGfn() >= 0 && backendFlag(device, "feature-ctrl-ring"))
        {
            ctrl = new NetFrontCtrl(domid, device.hypervisor().guestMemory(domid),
                device.hypervisor().grantTable(domid), device.hypervisor().eventChannels(), device.backendDomid(),
                config.controlRingGfn());
        }
    }

    private static boolean backendFlag(final XenbusDevice device, final String key)
    {
        return "1".equals(device.readOtherend(key));
    }

    @Override
    public XenbusState writeTransportKeys(final XenbusDevice device, final int tx)
    {
        final NetFront[] all = fronts;
        final FrontendFeatures features = all[0].features();
        if (all.length > 1)
        {
            device.write(tx, "multi-queue-num-queues", Integer.toString(all.length));
        }
        for (int q = 0; q < all.length; q++)
        {
            final NetFront f = all[q];
            final String prefix = all.length == 1 ? "" : "queue-" + q + "/";
            device.write(tx, prefix + "tx-ring-ref", Integer.toString(f.txRingRef()));
            device.write(tx, prefix + "rx-ring-ref", Integer.toString(f.rxRingRef()));
            if (f.splitEvents())
            {
                device.write(tx, prefix + "event-channel-tx", Integer.toString(f.txEventPort().port()));
                device.write(tx, prefix + "event-channel-rx", Integer.toString(f.rxEventPort().port()));
            }
            else
            {
                device.write(tx, prefix + "event-channel", Integer.toString(f.txEventPort().port()));
            }
        }
        final NetFrontCtrl c = ctrl;
        if (c != null)
        {
            device.write(tx, "ctrl-ring-ref", Integer.toString(c.ringRef()));
            device.write(tx, "event-channel-ctrl", Integer.toString(c.eventPort().port()));
        }
        device.write(tx, "request-rx-copy", "1");
        device.write(tx, "feature-rx-notify", features.rxNotify() ? "1" : "0");
        device.write(tx, "feature-sg", features.sg() ? "1" : "0");
        device.write(tx, "feature-gso-tcpv4", features.gsoTcpv4() ? "1" : "0");
        device.write(tx, "feature-gso-tcpv6", features.gsoTcpv6() ? "1" : "0");
        device.write(tx, "feature-no-csum-offload", features.csumIpv4() ? "0" : "1");
        device.write(tx, "feature-ipv6-csum-offload", features.csumIpv6() ? "1" : "0");
        if (features.multicastControl())
        {
            device.write(tx, "request-multicast-control", "1");
        }
        return XenbusState.CONNECTED;
    }

    @Override
    public void backendConnected(final XenbusDevice device)
    {
        backendConnected = true;
    }

    @Override
    public void disconnect(final XenbusDevice device)
    {
        backendConnected = false;
        final NetFront[] all = fronts;
        fronts = new NetFront[0];
        front = null;
        final NetFrontCtrl c = ctrl;
        ctrl = null;
        if (c != null)
        {
            c.close();
        }
        for (final NetFront f : all)
        {
            f.close();
        }
    }
}
