package io.pvring.blkfront;

import io.pvring.blkif.BlkifDescriptor;
import io.pvring.blkif.BlkifKeys;
import io.pvring.event.EventPort;
import io.pvring.xenbus.XenbusDevice;
import io.pvring.xenbus.XenbusFrontendDriver;
import io.pvring.xenbus.XenbusState;

import static io.pvring.blkif.BlkifKeys.EVENT_CHANNEL;
import static io.pvring.blkif.BlkifKeys.FEATURE_BARRIER;
import static io.pvring.blkif.BlkifKeys.FEATURE_DISCARD;
import static io.pvring.blkif.BlkifKeys.FEATURE_FLUSH_CACHE;
import static io.pvring.blkif.BlkifKeys.FEATURE_MAX_INDIRECT_SEGMENTS;
import static io.pvring.blkif.BlkifKeys.FEATURE_PERSISTENT;
import static io.pvring.blkif.BlkifKeys.INFO;
import static io.pvring.blkif.BlkifKeys.MAX_RING_PAGE_ORDER;
import static io.pvring.blkif.BlkifKeys.MULTI_QUEUE_MAX_QUEUES;
import static io.pvring.blkif.BlkifKeys.MULTI_QUEUE_NUM_QUEUES;
import static io.pvring.blkif.BlkifKeys.PROTOCOL;
import static io.pvring.blkif.BlkifKeys.RING_PAGE_ORDER;
import static io.pvring.blkif.BlkifKeys.SECTORS;
import static io.pvring.blkif.BlkifKeys.SECTOR_SIZE;

/**
 * The Java blkfront as a xenbus frontend driver, negotiating as Linux xen-blkfront does: on backend InitWait it
 * takes the smaller of what it wants and what the backend offers ({@code max-ring-page-order},
 * {@code multi-queue-max-queues}, {@code feature-max-indirect-segments}), grants its rings, allocates unbound
 * event channels, writes {@code ring-ref[N]}, {@code event-channel} (under {@code queue-N/} for several queues),
 * {@code ring-page-order}, {@code multi-queue-num-queues}, {@code protocol} and {@code feature-persistent}, and
 * moves to Initialised. When the backend is Connected it reads {@code sectors}, {@code sector-size}, {@code info}
 * and the flush/barrier/discard features; a later Connected means an online resize.
 */
public final class BlkFrontDriver implements XenbusFrontendDriver
{
    private final BlkFrontConfig wanted;
    private final long firstGfn;
    private BlkFrontConfig negotiated;
    private EventPort[] ports;
    private volatile BlkFront front;
    private volatile long sectors;
    private volatile int sectorSize;
    private volatile int info;
    private volatile boolean flushCache;
    private volatile boolean barrier;
    private volatile boolean discard;
    private volatile boolean backendPersistent;
    private volatile int backendConnects;

    /**
     * @param wanted what this frontend asks for at most.
     * @param firstGfn first of the guest frames reserved for the driver ({@link BlkFront#framesNeeded} of
     *     {@code wanted}).
     */
    public BlkFrontDriver(final BlkFrontConfig wanted, final long firstGfn)
    {
        this.wanted = wanted.validate();
        this.firstGfn = firstGfn;
    }

    public void setupTransport(final XenbusDevice device)
    {
        final int order = (int)Math.min(wanted.ringPageOrder(), device.readOtherendLong(MAX_RING_PAGE_ORDER, 0));
        final int queues = (int)Math.max(1, Math.min(wanted.queues(),
            device.readOtherendLong(MULTI_QUEUE_MAX_QUEUES, 1)));
        final int indirect = (int)Math.min(wanted.maxIndirectSegments(),
            device.readOtherendLong(FEATURE_MAX_INDIRECT_SEGMENTS, 0));
        negotiated = new BlkFrontConfig().queues(queues).ringPageOrder(order).protocol(wanted.protocol())
            .persistentGrants(wanted.persistentGrants())
            .maxIndirectSegments(indirect > BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST ? indirect : 0)
            .poolPages(wanted.poolPages()).handle(wanted.handle()).validate();
        ports = new EventPort[queues];
        for (int q = 0; q < queues; q++)
        {
            ports[q] = device.hypervisor().eventChannels().allocUnbound(device.ownDomid(), device.backendDomid());
            if (ports[q] == null)
            {
                throw new IllegalStateException("no event channel left in domain " + device.ownDomid());
            }
        }
        front = new BlkFront(device.hypervisor().guestMemory(device.ownDomid()),
            device.hypervisor().grantTable(device.ownDomid()), device.backendDomid(), negotiated, firstGfn, ports);
    }

    public XenbusState writeTransportKeys(final XenbusDevice device, final int tx)
    {
        final int queues = negotiated.queues();
        final int order = negotiated.ringPageOrder();
        if (order > 0)
        {
            device.write(tx, RING_PAGE_ORDER, Integer.toString(order));
        }
        if (queues > 1)
        {
            device.write(tx, MULTI_QUEUE_NUM_QUEUES, Integer.toString(queues));
        }
        for (int q = 0; q < queues; q++)
        {
            final String prefix = BlkifKeys.queuePrefix(queues, q);
            final int[] refs = front.queue(q).ringRefs();
            for (int p = 0; p < refs.length; p++)
            {
                device.write(tx, prefix + BlkifKeys.ringRefKey(order, p), Integer.toUnsignedString(refs[p]));
            }
            device.write(tx, prefix + EVENT_CHANNEL, Integer.toString(ports[q].port()));
        }
        device.write(tx, PROTOCOL, negotiated.protocol());
        device.write(tx, FEATURE_PERSISTENT, negotiated.persistentGrants() ? "1" : "0");
        return XenbusState.INITIALISED;
    }

    public void backendConnected(final XenbusDevice device)
    {
        sectors = device.readOtherendLong(SECTORS, 0);
        sectorSize = (int)device.readOtherendLong(SECTOR_SIZE, 512);
        info = (int)device.readOtherendLong(INFO, 0);
        flushCache = device.readOtherendLong(FEATURE_FLUSH_CACHE, 0) == 1;
        barrier = device.readOtherendLong(FEATURE_BARRIER, 0) == 1;
        discard = device.readOtherendLong(FEATURE_DISCARD, 0) == 1;
        backendPersistent = device.readOtherendLong(FEATURE_PERSISTENT, 0) == 1;
        if (!backendPersistent)
        {
            // Our offer was not taken: keeping the pool granted would only leave pages open to the backend.
            for (int q = 0; q < front.queueCount(); q++)
            {
                front.queue(q).dropPersistentGrants();
            }
        }
        backendConnects++;
    }

    public void disconnect(final XenbusDevice device)
    {
        final BlkFront f = front;
        front = null;
        if (f != null)
        {
            f.close();
        }
        if (ports != null)
        {
            for (final EventPort port : ports)
            {
                port.close();
            }
            ports = null;
        }
        backendConnects = 0;
    }

    /** The driver once the transport is set up (null before and after a connection). */
    public BlkFront front()
    {
        return front;
    }

    /** What was negotiated with the backend. */
    public BlkFrontConfig negotiated()
    {
        return negotiated;
    }

    /** True once the backend is Connected and its keys were read. */
    public boolean isConnected()
    {
        return backendConnects > 0 && front != null;
    }

    /** Times the backend went Connected in this connection: more than one means an online resize. */
    public int backendConnects()
    {
        return backendConnects;
    }

    public long sectors()
    {
        return sectors;
    }

    public int sectorSize()
    {
        return sectorSize;
    }

    public int info()
    {
        return info;
    }

    public boolean flushCache()
    {
        return flushCache;
    }

    public boolean barrier()
    {
        return barrier;
    }

    public boolean discard()
    {
        return discard;
    }

    public boolean backendPersistent()
    {
        return backendPersistent;
    }
}
