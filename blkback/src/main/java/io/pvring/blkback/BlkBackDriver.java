package io.pvring.blkback;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.pvring.blkback.qos.ThrottleLimits;
import io.pvring.blkback.store.BlockStore;
import io.pvring.blkback.store.DiskSpec;
import io.pvring.blkback.store.DiskStores;
import io.pvring.blkback.store.MemoryBlockStore;
import io.pvring.blkback.store.NullBlockStore;
import io.pvring.blkif.BlkifAbi;
import io.pvring.blkif.BlkifDescriptor;
import io.pvring.blkif.BlkifKeys;
import io.pvring.event.EventPort;
import io.pvring.event.WaitMode;
import io.pvring.grant.BackendGrantMapper;
import io.pvring.grant.GrantMapper;
import io.pvring.runner.RunnerPool;
import io.pvring.stats.DeviceId;
import io.pvring.stats.DeviceKind;
import io.pvring.stats.DeviceStats;
import io.pvring.stats.IoStats;
import io.pvring.xenbus.XenbusBackendDevice;
import io.pvring.xenbus.XenbusBackendDriver;
import io.pvring.xenbus.XenbusDevice;
import io.pvring.xenbus.XenbusPaths;
import io.pvring.xenbus.XenbusState;
import io.pvring.xenstore.XenStoreException;
import org.agrona.concurrent.status.CountersManager;

import static io.pvring.blkif.BlkifKeys.DEVICE_TYPE;
import static io.pvring.blkif.BlkifKeys.DISCARD_ALIGNMENT;
import static io.pvring.blkif.BlkifKeys.DISCARD_ENABLE;
import static io.pvring.blkif.BlkifKeys.DISCARD_GRANULARITY;
import static io.pvring.blkif.BlkifKeys.DISCARD_SECURE;
import static io.pvring.blkif.BlkifKeys.EVENT_CHANNEL;
import static io.pvring.blkif.BlkifKeys.FEATURE_BARRIER;
import static io.pvring.blkif.BlkifKeys.FEATURE_DISCARD;
import static io.pvring.blkif.BlkifKeys.FEATURE_FLUSH_CACHE;
import static io.pvring.blkif.BlkifKeys.FEATURE_MAX_INDIRECT_SEGMENTS;
import static io.pvring.blkif.BlkifKeys.FEATURE_PERSISTENT;
import static io.pvring.blkif.BlkifKeys.INFO;
import static io.pvring.blkif.BlkifKeys.MAX_RING_PAGE_ORDER;
import static io.pvring.blkif.BlkifKeys.MODE;
import static io.pvring.blkif.BlkifKeys.MULTI_QUEUE_MAX_QUEUES;
import static io.pvring.blkif.BlkifKeys.MULTI_QUEUE_NUM_QUEUES;
import static io.pvring.blkif.BlkifKeys.PARAMS;
import static io.pvring.blkif.BlkifKeys.PHYSICAL_SECTOR_SIZE;
import static io.pvring.blkif.BlkifKeys.PROTOCOL;
import static io.pvring.blkif.BlkifKeys.RING_PAGE_ORDER;
import static io.pvring.blkif.BlkifKeys.SECTORS;
import static io.pvring.blkif.BlkifKeys.SECTOR_SIZE;
import static io.pvring.blkif.BlkifKeys.TYPE;

/**
 * blkback as a xenbus backend driver ({@code vbd}), negotiating exactly as Linux xen-blkback does: transport limits
 * ({@code feature-max-indirect-segments}, {@code multi-queue-max-queues}, {@code max-ring-page-order}) in probe,
 * before InitWait; on frontend Initialised/Connected it reads {@code protocol}, {@code feature-persistent},
 * {@code multi-queue-num-queues}, {@code ring-page-order} and per queue {@code ring-ref[N]} and
 * {@code event-channel} (under {@code queue-N/} when several), maps the rings, binds the channels, writes
 * {@code feature-flush-cache}, {@code feature-barrier}, {@code feature-discard} (+ granularity, alignment, secure),
 * {@code feature-persistent}, {@code sectors}, {@code info}, {@code sector-size} and {@code physical-sector-size}
 * in one transaction, and starts the ring agents on the host's {@link RunnerPool} ({@link #runOn}). A frontend that
 * breaks a ring, or a ring agent that fails, gets the device closed.
 *
 * <p>Waiting: each device's rings wait as {@link BlkBackConfig#waitMode()} says, unless the toolstack wrote the
 * backend key {@value #WAIT_MODE} ({@code poll}, {@code notify} or {@code adaptive}; a pvring key, not Linux's)
 * before the device is probed.
 *
 * <p>Sector size: the toolstack chooses the disk's logical and physical sector size by writing the backend keys
 * {@code sector-size} and {@code physical-sector-size} (the same keys blkback publishes at connect, so the values
 * the frontend reads are the ones the toolstack wrote) before the device is probed. Each must be 512, 1024, 2048
 * or 4096, with {@code physical-sector-size >= sector-size}; absent, the logical size is 512 and the physical size
 * the store's own. The logical size is handed to the {@link StoreOpener}; request sector fields stay in 512-byte
 * units as blkif.h says, and requests not aligned to the logical size get {@code BLKIF_RSP_ERROR}.
 *
 * <p>QoS: the backend keys {@value #QOS_PREFIX}{@code <option>} (pvring keys, not Linux's) limit the device's I/O
 * with QEMU's throttling options ({@link ThrottleLimits#KEYS}): {@code qos-iops-total}, {@code qos-iops-read},
 * {@code qos-iops-write}, {@code qos-bps-total}, {@code qos-bps-read}, {@code qos-bps-write}, each with
 * {@code -max} (burst rate) and {@code -max-length} (burst seconds), and {@code qos-iops-size}; decimal numbers,
 * absent or 0 = no limit. Read at probe (a bad value refuses the device) and again whenever the backend directory
 * changes: new valid limits take effect at once, connected or not; a bad value (or an unknown {@code qos-} key) is
 * recorded in the device's {@code error} node, as Linux's {@code xenbus_dev_error} does, and the limits in force
 * stay.
 *
 * <p>A store that fails for good while the device runs (a remote disk whose NBD server died) leaves the device
 * connected, every request answered {@code BLKIF_RSP_ERROR}, and writes {@code "5 disk <server> failed: <why>"}
 * to the device's {@code error} node.
 */
public final class BlkBackDriver implements XenbusBackendDriver
{
    /** Opens the disk a device names ({@code params}, {@code type}, {@code mode}, {@code sector-size} keys). */
    @FunctionalInterface
    public interface StoreOpener
    {
        /** @param sectorSize the logical sector size the store must have (512, 1024, 2048 or 4096). */
        BlockStore open(String type, String params, boolean readOnly, int sectorSize);
    }

    /** Backend key: the device's {@link WaitMode}, overriding the driver's configuration. */
    public static final String WAIT_MODE = "wait-mode";

    /** Prefix of the backend keys holding the device's I/O limits: {@code qos-iops-total} and the like. */
    public static final String QOS_PREFIX = "qos-";

    /** The sector sizes a toolstack may choose, as Linux block devices have them. */
    private static final int[] SECTOR_SIZES = { 512, 1024, 2048, 4096 };

    /**
     * The default opener: {@code type=null} or {@code memory} with {@code params} = size in bytes (benchmarks,
     * RAM disks); anything else ({@code file}, {@code phy}) is a raw image: {@code params} is its path, optionally
     * followed by the options of a {@code file:} {@link DiskSpec} ({@code /img/a.raw,cache=none,aio=io_uring}), and
     * {@link DiskStores} opens it.
     */
    public static final StoreOpener DEFAULT_OPENER = (type, params, readOnly, sectorSize) ->
    {
        if ("null".equals(type))
        {
            return new NullBlockStore(Long.parseLong(params), sectorSize);
        }
        if ("memory".equals(type))
        {
            return new MemoryBlockStore(Long.parseLong(params), sectorSize, readOnly);
        }
        return DiskStores.open(DiskSpec.parse(PARAMS, "file:" + params, Set.of(), Set.of()), sectorSize, readOnly);
    };

    private final BlkBackConfig config;
    private final StoreOpener opener;
    private final CountersManager counters;
    private final List<Device> devices = new ArrayList<>();
    private volatile RunnerPool runners;
    private volatile IoStats ioStats;

    /**
     * @param counters where ring counters go; null for a private buffer per device.
     */
    public BlkBackDriver(final BlkBackConfig config, final StoreOpener opener, final CountersManager counters)
    {
        this.config = config;
        this.opener = opener;
        this.counters = counters;
    }

    /**
     * Publishes every vbd connected from now on to {@code stats} (the process's counters file: {@code pvring stat},
     * {@code pvring trace}): one device per vbd, a queue per ring, registered at connect and released at
     * disconnect. Null: nothing published.
     *
     * @return this driver.
     */
    public BlkBackDriver publishTo(final IoStats stats)
    {
        this.ioStats = stats;
        return this;
    }

    /** Where the devices' rings run: the host's pool (the {@link io.pvring.host.Host} calls this). */
    @Override
    public void runOn(final RunnerPool runners)
    {
        this.runners = runners;
    }

    public String deviceType()
    {
        return "vbd";
    }

    /** Devices probed and not yet removed. */
    public synchronized List<Device> devices()
    {
        return List.copyOf(devices);
    }

    public XenbusBackendDevice probe(final XenbusDevice device)
    {
        if (null == runners)
        {
            throw new IllegalStateException("no runner pool for " + device.nodePath() + ": call runOn first");
        }
        final String waitKey = device.read(WAIT_MODE);
        final WaitMode waitMode = null == waitKey ? config.waitMode() : WaitMode.parse(waitKey);
        final String mode = device.read(MODE);
        final boolean cdrom = "cdrom".equals(device.readOtherend(DEVICE_TYPE));
        final boolean readOnly = cdrom || (mode != null && !mode.contains("w"));
        final String params = device.read(PARAMS);
        if (params == null)
        {
            throw new IllegalStateException("no params below " + device.nodePath());
        }
        final int sectorSize = sectorSizeKey(device, SECTOR_SIZE, 512);
        final int physicalKey = sectorSizeKey(device, PHYSICAL_SECTOR_SIZE, 0);
        if (physicalKey != 0 && physicalKey < sectorSize)
        {
            throw new IllegalStateException(PHYSICAL_SECTOR_SIZE + "=" + physicalKey + " below " + SECTOR_SIZE +
                "=" + sectorSize + " in " + device.nodePath());
        }
        final ThrottleLimits limits;
        try
        {
            limits = qosKeys(device);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalStateException(ex.getMessage() + " in " + device.nodePath(), ex);
        }
        final BlockStore store = opener.open(device.read(TYPE), params, readOnly, sectorSize);
        if (store.logicalSectorSize() != sectorSize)
        {
            final String opened = store.describe() + " sector size " + store.logicalSectorSize();
            store.close();
            throw new IllegalStateException("the opener gave " + opened + ", not the " + SECTOR_SIZE + "=" +
                sectorSize + " asked");
        }
        // A remote disk whose server dies: the device stays, every request is answered BLKIF_RSP_ERROR, and the
        // error node says which server and why (the xenbus thread writes it).
        store.failureListener(reason -> device.requestError(XenbusDevice.EIO, reason));
        final int physicalSectorSize = physicalKey != 0 ? physicalKey :
            Math.max(sectorSize, store.physicalSectorSize());
        final String discardEnable = device.read(DISCARD_ENABLE);
        final BlkBackConfig deviceConfig = config.toBuilder().readOnly(readOnly || config.readOnly()).cdrom(cdrom)
            .throttle(limits)
            .discard(config.discard() && !"0".equals(discardEnable))
            .waitMode(waitMode).build();
        // Linux publishes these in probe, before InitWait: some frontends read them as soon as they see InitWait.
        if (deviceConfig.maxIndirectSegments() > 0)
        {
            device.write(FEATURE_MAX_INDIRECT_SEGMENTS, Integer.toString(deviceConfig.maxIndirectSegments()));
        }
        device.write(MULTI_QUEUE_MAX_QUEUES, Integer.toString(deviceConfig.maxQueues()));
        device.write(MAX_RING_PAGE_ORDER, Integer.toString(deviceConfig.maxRingPageOrder()));
        final Device d = new Device(device, store, deviceConfig, physicalSectorSize);
        synchronized (this)
        {
            devices.add(d);
        }
        return d;
    }

    /**
     * A toolstack-written sector size key, validated.
     *
     * @param absent the value when the key is not there.
     */
    private static int sectorSizeKey(final XenbusDevice device, final String key, final int absent)
    {
        final String text = device.read(key);
        if (text == null)
        {
            return absent;
        }
        for (final int size : SECTOR_SIZES)
        {
            if (Integer.toString(size).equals(text.trim()))
            {
                return size;
            }
        }
        throw new IllegalStateException(
            key + "=" + text + " in " + device.nodePath() + " is not 512, 1024, 2048 or 4096");
    }

    /**
     * The device's limits from its {@value #QOS_PREFIX} backend keys.
     *
     * @throws IllegalArgumentException naming the key, its value and the rule it breaks.
     */
    static ThrottleLimits qosKeys(final XenbusDevice device)
    {
        final Map<String, String> values = new HashMap<>();
        final List<String> names;
        try
        {
            names = device.xenstore().directory(device.nodePath());
        }
        catch (final XenStoreException ex)
        {
            return ThrottleLimits.NONE; // the directory is going away: no limits to read
        }
        for (final String name : names)
        {
            if (name.startsWith(QOS_PREFIX))
            {
                final String option = name.substring(QOS_PREFIX.length());
                if (!ThrottleLimits.KEYS.contains(option))
                {
                    throw new IllegalArgumentException(name + " is not a limit: " + QOS_PREFIX + " keys are " +
                        String.join(", ", ThrottleLimits.KEYS));
                }
                final String value = device.read(name);
                if (value != null)
                {
                    values.put(option, value);
                }
            }
        }
        return ThrottleLimits.parse(values::get, QOS_PREFIX);
    }

    /** A vbd's devid as a number (xenstore names vbds by number), or -1 for a name {@code pvring stat} cannot key. */
    private static int numericDevid(final String devid)
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

    /** One vbd: its store for the device's life, and a {@link BlkBack} per connection. */
    public final class Device implements XenbusBackendDevice
    {
        private final XenbusDevice xenbus;
        private final BlockStore store;
        private final BlkBackConfig deviceConfig;
        private final int physicalSectorSize;
        private final List<EventPort> ports = new ArrayList<>();
        /** The limits in force: the {@code qos-*} keys as last read valid (written on the xenbus thread). */
        private volatile ThrottleLimits limits;
        private GrantMapper mapper;
        private BlkBack back;
        private IoStats statsOwner;
        private DeviceStats stats;

        Device(
            final XenbusDevice xenbus,
            final BlockStore store,
            final BlkBackConfig deviceConfig,
            final int physicalSectorSize)
        {
            this.physicalSectorSize = physicalSectorSize;
            this.xenbus = xenbus;
            this.store = store;
            this.deviceConfig = deviceConfig;
            this.limits = deviceConfig.throttle();
        }

        /** The device's I/O limits in force (any thread). */
        public ThrottleLimits throttleLimits()
        {
            return limits;
        }

        /** Takes changed {@code qos-*} keys: valid ones at once, a bad one into the error node. */
        @Override
        public void backendChanged(final XenbusDevice device)
        {
            final ThrottleLimits read;
            try
            {
                read = qosKeys(device);
            }
            catch (final IllegalArgumentException ex)
            {
                device.error(XenbusDevice.EINVAL, ex.getMessage() + "; the limits stay " + limits);
                return;
            }
            if (!read.equals(limits))
            {
                limits = read;
                if (back != null)
                {
                    back.throttleLimits(read);
                }
            }
        }

        public XenbusDevice xenbus()
        {
            return xenbus;
        }

        public BlockStore store()
        {
            return store;
        }

        /** The {@code physical-sector-size} published: the toolstack's choice, else the store's. */
        public int physicalSectorSize()
        {
            return physicalSectorSize;
        }

        /** The connected device, or null between connections. */
        public BlkBack back()
        {
            return back;
        }

        public boolean connect(final XenbusDevice device)
        {
            final String protocol = device.readOtherend(PROTOCOL);
            if (BlkifAbi.forProtocol(protocol) == null)
            {
                device.fatal("unknown fe protocol " + protocol);
                return false;
            }
            final long queues = device.readOtherendLong(MULTI_QUEUE_NUM_QUEUES, 1);
            if (queues < 1 || queues > deviceConfig.maxQueues())
            {
                device.fatal("guest requested " + queues + " queues, exceeding the maximum of " +
                    deviceConfig.maxQueues());
                return false;
            }
            final long order = device.readOtherendLong(RING_PAGE_ORDER, 0);
            if (order > deviceConfig.maxRingPageOrder())
            {
                device.fatal("requested ring page order " + order + " exceed max:" + deviceConfig.maxRingPageOrder());
                return false;
            }
            final boolean persistent = deviceConfig.persistentGrants() &&
                device.readOtherendLong(FEATURE_PERSISTENT, 0) == 1;
            final int pages = 1 << order;
            final int[][] refs = new int[(int)queues][pages];
            final int[] evtchns = new int[(int)queues];
            for (int q = 0; q < queues; q++)
            {
                final String prefix = BlkifKeys.queuePrefix((int)queues, q);
                for (int p = 0; p < pages; p++)
                {
                    final long ref = device.readOtherendLong(prefix + BlkifKeys.ringRefKey((int)order, p), -1);
                    if (ref < 0 || ref > 0xFFFF_FFFFL)
                    {
                        device.fatal("reading " + prefix + BlkifKeys.ringRefKey((int)order, p));
                        return false;
                    }
                    refs[q][p] = (int)ref;
                }
                final long evtchn = device.readOtherendLong(prefix + EVENT_CHANNEL, -1);
                if (evtchn < 0 || evtchn > Integer.MAX_VALUE)
                {
                    device.fatal("reading " + prefix + EVENT_CHANNEL);
                    return false;
                }
                evtchns[q] = (int)evtchn;
            }
            mapper = device.hypervisor().grantMapper(device.backendDomid(), device.frontendDomid());
            statsOwner = ioStats;
            final int devid = numericDevid(device.devid());
            stats = statsOwner == null || devid < 0 ? null :
                statsOwner.register(new DeviceId(DeviceKind.VBD, device.frontendDomid(), devid), (int)queues);
            back = new BlkBack("blkback-" + device.frontendDomid() + "-" + device.devid(), store, deviceConfig,
                mapper, counters, stats);
            back.throttleLimits(limits); // the keys may have changed since probe
            for (int q = 0; q < queues; q++)
            {
                final EventPort port = device.hypervisor().eventChannels()
                    .bindInterdomain(device.backendDomid(), device.frontendDomid(), evtchns[q]);
                if (port == null)
                {
                    device.fatal("binding event-channel " + evtchns[q]);
                    return false;
                }
                ports.add(port);
                if (back.connectRing(q, refs[q], (int)order, protocol, port, persistent) == null)
                {
                    device.fatal("mapping ring-ref of queue " + q);
                    return false;
                }
            }
            writeConnectKeys(device);
            back.brokenListener(device::requestClose);
            back.start(runners);
            return true;
        }

        private void writeConnectKeys(final XenbusDevice device)
        {
            final boolean readOnly = deviceConfig.readOnly() || deviceConfig.cdrom() || store.isReadOnly();
            final boolean flush = store.canFlush() && !readOnly;
            final boolean discard = deviceConfig.discard() && store.canDiscard() && !readOnly;
            device.xenstore().transact(tx ->
            {
                device.write(tx, FEATURE_FLUSH_CACHE, flush ? "1" : "0");
                device.write(tx, FEATURE_BARRIER, flush ? "1" : "0");
                device.write(tx, FEATURE_DISCARD, discard ? "1" : "0");
                if (discard)
                {
                    device.write(tx, DISCARD_GRANULARITY, Integer.toString(store.discardGranularity()));
                    device.write(tx, DISCARD_ALIGNMENT, "0");
                    device.write(tx, DISCARD_SECURE, store.canSecureDiscard() ? "1" : "0");
                }
                // The backend's own offer, as Linux writes it; persistent grants are used when both ends say 1.
                device.write(tx, FEATURE_PERSISTENT, deviceConfig.persistentGrants() ? "1" : "0");
                device.write(tx, SECTORS, Long.toString(store.sizeBytes() >> BlkifDescriptor.SECTOR_SHIFT));
                device.write(tx, INFO, Integer.toString(deviceConfig.info() |
                    (readOnly ? BlkifDescriptor.VDISK_READONLY : 0)));
                device.write(tx, SECTOR_SIZE, Integer.toString(store.logicalSectorSize()));
                device.write(tx, PHYSICAL_SECTOR_SIZE, Integer.toString(physicalSectorSize));
                return null;
            });
        }

        /**
         * Online resize (Linux {@code xen_vbd_resize}): changes the store's size, then rewrites {@code sectors}
         * and {@code state} = Connected in one transaction, which the frontend takes as a capacity change.
         * Call on the xenbus thread.
         *
         * @return false when the store cannot take the size (nothing changed).
         */
        public boolean resize(final long newSizeBytes)
        {
            if (!store.resize(newSizeBytes))
            {
                return false;
            }
            if (back != null)
            {
                xenbus.xenstore().transact(tx ->
                {
                    xenbus.write(tx, SECTORS, Long.toString(newSizeBytes >> BlkifDescriptor.SECTOR_SHIFT));
                    xenbus.write(tx, XenbusPaths.STATE, XenbusState.CONNECTED.toXenstore());
                    return null;
                });
            }
            return true;
        }

        public void disconnect(final XenbusDevice device)
        {
            if (back != null)
            {
                back.disconnect();
                back = null;
            }
            if (stats != null)
            {
                statsOwner.release(stats); // the rings left their runners: nobody writes these counters any more
                stats = null;
                statsOwner = null;
            }
            for (final EventPort port : ports)
            {
                port.close();
            }
            ports.clear();
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

        public void remove(final XenbusDevice device)
        {
            disconnect(device);
            store.close();
            synchronized (BlkBackDriver.this)
            {
                devices.remove(this);
            }
        }
    }
}
