package io.pvring.bench.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.netty.channel.unix.DomainSocketAddress;
import io.pvring.blkback.BlkBackConfig;
import io.pvring.blkback.BlkBackDriver;
import io.pvring.blkback.qos.ThrottleLimits;
import io.pvring.blkback.store.DiskStores;
import io.pvring.event.WaitMode;
import io.pvring.host.Domain;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.NetBackDriver;
import io.pvring.netback.uplink.StreamUplink;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.memory.MemoryTable;
import io.pvring.runner.RunnerPoolConfig;
import io.pvring.serve.ServeHost;
import io.pvring.stats.CountersFileDescriptor;
import io.pvring.stats.IoStats;
import io.pvring.xenbus.XenbusBackendDriver;
import io.pvring.xenbus.XenbusDeviceSpec;
import org.agrona.concurrent.SystemNanoClock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code pvring serve}: pvring as the Xen PV I/O backend of an emulator in another process (docs/OUT-OF-PROCESS.md):
 * xenstore and event channels on Unix sockets, guest memory and grant tables as files, blkback and netback serving
 * the devices given on the command line or written into xenstore by the emulator.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = "Serve Xen PV I/O backends (blkback, netback) to an emulator in another process: the xenstore "
        + "protocol and event channels on Unix sockets, guest memory and grant tables as files in --dir. Runs until "
        + "interrupted (or for --for). See docs/OUT-OF-PROCESS.md.",
    footer = {
        "",
        "Specs:",
        "  --guest NAME:SIZE[,uid=N][,mem=PATH[,offset=N]]  a guest domain with SIZE of memory in DIR/dom<id>.mem",
        "                          (e.g. guest:256m); uid: its files and sockets belong to that uid (its sandboxed",
        "                          emulator); mem: the emulator's own memory instead, SIZE bytes at offset (default",
        "                          0) of an existing file (memory-backend-file, /dev/hugepages/...), never resized",
        "  --disk KIND:ARG[,cache=none|writeback|writethrough][,aio=threads|io_uring][,vdev=xvdX][,guest=NAME][,ro]",
        "                          KIND:ARG = file:PATH (a raw image), qcow2:PATH (through qemu-nbd),",
        "                          nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH, memory:SIZE or",
        "                          null:SIZE; cache (default writeback) and aio (default: io_uring where allowed)",
        "                          apply to files and qcow2; a file also takes aio-max-batch=N (QEMU's: requests",
        "                          queued before the engine starts them, default: each at once under cache=none,",
        "                          one batch per ring turn otherwise); vdev defaults to xvda, xvdb, ... per guest;",
        "                          guest defaults to the first one; I/O limits (QEMU's throttling options, also the",
        "                          vbd's qos-* backend keys): iops=N, bps=N, iops-total|read|write=N,",
        "                          bps-total|read|write=N, each with -max=N (burst) and -max-length=SECONDS,",
        "                          iops-size=BYTES",
        "  --vif [mac=MAC][,guest=NAME][,devid=N]   a NIC on pvring's switch (all vifs share it)",
        "Without --guest, devices go to one guest 'guest' of 256m; without devices, guests come from --guest or from",
        "a domain_create request on the event socket.",
        "",
        "Examples:",
        "  pvring serve                                     xenstore + event channels, no guest yet",
        "  pvring serve --disk file:/var/tmp/disk.img       a 256m guest with one disk, xvda",
        "  pvring serve --dir /dev/shm/vm1 --guest vm1:1g --disk memory:64m --vif mac=00:16:3e:00:00:01",
        "  XENSTORED_PATH=/dev/shm/vm1/xenstored.sock xenstore-ls /local/domain"})
public final class ServeCommand implements Callable<Integer>
{
    /** The counters file's least room for devices (vbds and vifs) when --max-devices is not given. */
    static final int MIN_DEVICES = 64;

    static final long DEFAULT_GUEST_BYTES = 256L << 20;
    static final String DEFAULT_GUEST = "guest";
    /** {@code XEN_XVD_MAJOR}: xvd disks are 202:(16 * index). */
    static final int XVD_MAJOR = 202;
    /** Rings per disk the counters file has room for (blkif multi-queue). */
    static final int MAX_BLK_RINGS = 4;

    @Spec
    private CommandSpec spec;

    @Option(names = "--dir", paramLabel = "DIR",
        description = "directory for the sockets and the guests' memory and grant-table files, made owner-only "
            + "(default: /dev/shm/pvring-<pid>, removed at exit)")
    private Path dir;

    @Option(names = "--guest", paramLabel = "NAME:SIZE[,uid=N][,mem=PATH]", description = "a guest domain (repeatable)")
    private List<String> guests = new ArrayList<>();

    @Option(names = "--disk", paramLabel = "SPEC", description = "a virtual disk (repeatable), served by blkback")
    private List<String> disks = new ArrayList<>();

    @Option(names = "--vif", paramLabel = "SPEC", description = "a virtual NIC (repeatable), served by netback")
    private List<String> vifs = new ArrayList<>();

    @Option(names = "--net-socket", paramLabel = "PATH",
        description = "also connect the vifs' switch to QEMU -netdev stream peers connecting to this Unix socket")
    private Path netSocket;

    @Option(names = "--max-devices", paramLabel = "N",
        description = "devices (vbds and vifs) DIR/counters.dat has room for, with histograms and traces (pvring "
            + "stat DIR reads it; default: the --disk and --vif devices given, at least " + MIN_DEVICES + ")")
    private Integer maxDevices;

    @Option(names = "--wait", paramLabel = "poll|notify|adaptive", defaultValue = "adaptive",
        converter = RingWaitConverter.class,
        description = "how backend rings wait: poll (spin), notify (sleep on event channels) or adaptive (poll for a "
            + "window adapted to the gaps between requests, then sleep); blkback's and netback's rings alike, on the "
            + "shared runners; a device's backend key wait-mode overrides it (default ${DEFAULT-VALUE})")
    private WaitMode wait;

    @Option(names = "--runners", paramLabel = "N",
        description = "runner threads serving the rings of every device of every guest (default: the number of cores)")
    private Integer runners;

    @Option(names = "--for", paramLabel = "D", converter = DurationConverter.class,
        description = "serve for this long, then stop (default: until interrupted)")
    private Duration duration;

    /**
     * A parsed {@code --guest NAME:SIZE[,uid=N][,mem=PATH[,offset=N]]}; {@code uid} is {@link ServeHost#NO_UID} when
     * not given, {@code mem} null when pvring makes the memory ({@code DIR/dom<id>.mem}).
     */
    record GuestSpec(String name, long bytes, int uid, Path mem, long memOffset)
    {
        private static final String USAGE = "NAME:SIZE[,uid=N][,mem=PATH[,offset=N]]";

        GuestSpec(final String name, final long bytes)
        {
            this(name, bytes, ServeHost.NO_UID, null, 0);
        }

        /** The emulator's memory: SIZE bytes at offset of mem, from guest-physical 0; null for pvring's own. */
        MemoryTable memoryTable()
        {
            return null == mem ? null : MemoryTable.single(mem, memOffset, bytes);
        }

        static GuestSpec parse(final String text)
        {
            final String[] parts = text.split(",", -1);
            final String head = parts[0];
            final int colon = head.lastIndexOf(':');
            if (colon <= 0 || colon == head.length() - 1)
            {
                throw new IllegalArgumentException("--guest expects " + USAGE + ", got '" + text + "'");
            }
            final long bytes = SizeConverter.parse(head.substring(colon + 1));
            if (bytes % 4096 != 0)
            {
                throw new IllegalArgumentException("--guest size must be a multiple of 4k, got '" + text + "'");
            }
            int uid = ServeHost.NO_UID;
            Path mem = null;
            long offset = -1;
            for (int i = 1; i < parts.length; i++)
            {
                final String option = parts[i];
                if (option.matches("uid=[0-9]{1,9}"))
                {
                    uid = Integer.parseInt(option.substring(4));
                }
                else if (option.startsWith("mem=") && option.length() > 4)
                {
                    mem = Path.of(option.substring(4));
                }
                else if (option.startsWith("offset=") && option.length() > 7)
                {
                    offset = SizeConverter.parse(option.substring(7));
                }
                else
                {
                    throw new IllegalArgumentException("--guest options are uid=N, mem=PATH and offset=N (" + USAGE +
                        "), got '" + option + "' in '" + text + "'");
                }
            }
            if (offset >= 0 && null == mem)
            {
                throw new IllegalArgumentException("--guest offset= needs mem=PATH, got '" + text + "'");
            }
            if (offset % 4096 != 0 && offset > 0)
            {
                throw new IllegalArgumentException("--guest offset must be a multiple of 4k, got '" + text + "'");
            }
            if (null != mem && !Files.isRegularFile(mem))
            {
                throw new IllegalArgumentException("--guest mem " + mem + " is not a regular file (the emulator's " +
                    "memory-backend-file must exist)");
            }
            return new GuestSpec(head.substring(0, colon), bytes, uid, mem, Math.max(0, offset));
        }
    }

    /**
     * A parsed {@code --disk}: the blkback backend keys and where it goes.
     *
     * @param qos the device's I/O limits as blkback's {@code qos-*} backend keys.
     */
    record DiskSpec(String type, String params, String vdev, String guest, boolean readOnly, Map<String, String> qos)
    {
        static DiskSpec parse(final String text)
        {
            // The store part is the shared disk specification (bench blk --store takes the same); vdev, guest and
            // ro are serve's own.
            final io.pvring.blkback.store.DiskSpec disk = io.pvring.blkback.store.DiskSpec.parse(
                "--disk", text, Set.of("vdev", "guest"), Set.of("ro"));
            DiskStores.checkAvailable(disk);
            final String params;
            if (disk.kind() == io.pvring.blkback.store.DiskSpec.Kind.FILE ||
                disk.kind() == io.pvring.blkback.store.DiskSpec.Kind.QCOW2)
            {
                if (!Files.isRegularFile(Path.of(disk.target())))
                {
                    throw new IllegalArgumentException("--disk " + disk.kind().token() + " " + disk.target() +
                        " is not a regular file");
                }
                // A file's or an image's options travel in params, which the opener parses back into the same spec
                // (limits travel as qos-* keys).
                final String options = new io.pvring.blkback.store.DiskSpec(disk.kind(), disk.target(), 0,
                    disk.cache(), disk.aio(), Map.of(), ThrottleLimits.NONE, disk.format(), disk.aioMaxBatch())
                    .describe().substring(disk.kind().token().length() + 1 + disk.target().length());
                params = Path.of(disk.target()).toAbsolutePath() + options;
            }
            else if (disk.kind() == io.pvring.blkback.store.DiskSpec.Kind.NBD)
            {
                params = disk.target();
            }
            else
            {
                params = Long.toString(disk.sizeBytes());
            }
            final String vdev = disk.options().get("vdev");
            if (null != vdev)
            {
                devid(vdev);
            }
            final Map<String, String> qos = new LinkedHashMap<>();
            disk.limits().options().forEach((key, value) -> qos.put(BlkBackDriver.QOS_PREFIX + key, value));
            return new DiskSpec(disk.kind().token(), params, vdev, disk.options().get("guest"),
                disk.options().containsKey("ro"), Collections.unmodifiableMap(qos));
        }

        /** {@code xvdX} as Linux numbers it: 202:(16 * index), index 0..15. */
        static int devid(final String vdev)
        {
            if (!vdev.matches("xvd[a-p]"))
            {
                throw new IllegalArgumentException("vdev must be xvda..xvdp, got '" + vdev + "'");
            }
            return (XVD_MAJOR << 8) | ((vdev.charAt(3) - 'a') << 4);
        }
    }

    /** A parsed {@code --vif}. */
    record VifSpec(String mac, String guest, String devid)
    {
        static VifSpec parse(final String text)
        {
            final Map<String, String> options = options(text, text.isEmpty() ? new String[0] : text.split(","),
                "auto");
            final String devid = options.get("devid");
            if (null != devid && !devid.matches("\\d{1,5}"))
            {
                throw new IllegalArgumentException("--vif devid must be a number, got '" + devid + "'");
            }
            return new VifSpec(options.get("mac"), options.get("guest"), devid);
        }
    }

    private static Map<String, String> options(final String text, final String[] parts, final String flag)
    {
        final Map<String, String> options = new LinkedHashMap<>();
        for (int i = "auto".equals(flag) ? 0 : 1; i < parts.length; i++)
        {
            final String part = parts[i];
            final int eq = part.indexOf('=');
            if (part.equals(flag))
            {
                options.put(flag, "1");
            }
            else if (eq > 0 && List.of("vdev", "guest", "mac", "devid").contains(part.substring(0, eq)))
            {
                options.put(part.substring(0, eq), part.substring(eq + 1));
            }
            else
            {
                throw new IllegalArgumentException("unknown option '" + part + "' in '" + text + "'");
            }
        }
        return options;
    }

    /** The counters file every device publishes to: DIR/counters.dat, left in place on exit in a user's --dir. */
    private IoStats createStats(final Path directory, final int maxQueues)
    {
        final Path path = directory.resolve(CountersFileDescriptor.FILE_NAME);
        try
        {
            ServeHost.prepareDirectory(directory);
            return IoStats.create(path, maxDevices != null ? maxDevices :
                Math.max(MIN_DEVICES, disks.size() + vifs.size()), maxQueues);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), "--max-devices: " + ex.getMessage());
        }
        catch (final RuntimeException ex) // Agrona rethrows the IOException unchecked
        {
            throw new ParameterException(spec.commandLine(), "cannot create " + path + ": " + ex);
        }
    }

    @Override
    public Integer call() throws Exception
    {
        final List<GuestSpec> guestSpecs = new ArrayList<>();
        final List<DiskSpec> diskSpecs = new ArrayList<>();
        final List<VifSpec> vifSpecs = new ArrayList<>();
        try
        {
            if (null != runners && (runners < 1 || runners > 1024))
            {
                throw new IllegalArgumentException("--runners must be 1..1024, got " + runners);
            }
            for (final String g : guests)
            {
                guestSpecs.add(GuestSpec.parse(g));
            }
            for (final String d : disks)
            {
                diskSpecs.add(DiskSpec.parse(d));
            }
            for (final String v : vifs)
            {
                vifSpecs.add(VifSpec.parse(v));
            }
            if (guestSpecs.isEmpty() && !(diskSpecs.isEmpty() && vifSpecs.isEmpty()))
            {
                guestSpecs.add(new GuestSpec(DEFAULT_GUEST, DEFAULT_GUEST_BYTES));
            }
            checkUnique(guestSpecs.stream().map(GuestSpec::name).toList(), "--guest name");
            final List<String> diskIds = new ArrayList<>();
            for (final DiskSpec d : diskSpecs)
            {
                checkGuest(guestSpecs, d.guest());
                diskIds.add(guestOf(guestSpecs, d.guest()) + " " + vdev(d, diskSpecs, guestSpecs));
            }
            checkUnique(diskIds, "--disk vdev for guest");
            final List<String> vifIds = new ArrayList<>();
            for (final VifSpec v : vifSpecs)
            {
                checkGuest(guestSpecs, v.guest());
                vifIds.add(guestOf(guestSpecs, v.guest()) + " " + vifDevid(v, vifSpecs, guestSpecs));
            }
            checkUnique(vifIds, "--vif devid for guest");
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), ex.getMessage());
        }

        final PrintWriter out = spec.commandLine().getOut();
        final boolean ownDir = null == dir;
        final Path directory = ownDir ? defaultDirectory() : dir.toAbsolutePath();
        final BlkBackConfig blkConfig = BlkBackConfig.builder().waitMode(wait).build();
        final BlkBackDriver blkback = new BlkBackDriver(blkConfig, ServeCommand::openStore, null);
        final RunnerPoolConfig pool = new RunnerPoolConfig();
        if (null != runners)
        {
            pool.runners(runners);
        }
        final VirtualSwitch vswitch = new VirtualSwitch();
        final NetBackConfig netConfig = NetBackConfig.builder().build();
        final IoStats stats = createStats(directory, Math.max(MAX_BLK_RINGS, netConfig.maxQueues()));
        stats.start();
        blkback.publishTo(stats);
        final NetBackDriver netback = new NetBackDriver(netConfig, vswitch, SystemNanoClock.INSTANCE, wait,
            stats.manager()).publishTo(stats);
        final CountDownLatch stop = new CountDownLatch(1);
        final CountDownLatch stopped = new CountDownLatch(1);
        final Thread hook = new Thread(() ->
        {
            stop.countDown();
            try
            {
                stopped.await(30, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }, "pvring-serve-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        StreamUplink uplink = null;
        try (ServeHost serve = ServeHost.start(directory, pool, stats, new XenbusBackendDriver[]{blkback, netback}))
        {
            out.println("pvring serve: " + directory);
            out.println("  xenstore  " + serve.xenStoreSocket() + "   (privileged, xs_wire.h)");
            out.println("  evtchn    " + serve.evtchnSocket() + "   (C header " + serve.cHeader() + ")");
            out.println("  counters  " + stats.file().path() + "   (pvring stat " + directory + ")");
            out.println("  runners   " + serve.host().runners().runners() + " (rings wait " + wait + ")");
            final Map<String, Domain> byName = new LinkedHashMap<>();
            for (final GuestSpec g : guestSpecs)
            {
                final Domain guest = serve.createGuest(g.name(), g.bytes(), g.uid(), g.memoryTable());
                byName.put(g.name(), guest);
                out.println("  guest " + g.name() + " domid " + guest.domid() + ": memory " +
                    (null == g.mem() ? guest.memoryFile() : g.mem() + " at offset " + g.memOffset() + " (the " +
                    "emulator's)") + " (" + g.bytes() + " bytes), grants " + guest.sharedGrantTable().path() +
                    ", xenstore " + serve.guestXenStoreSocket(guest.domid()) + ", evtchn " +
                    serve.guestEvtchnSocket(guest.domid()) +
                    (g.uid() == ServeHost.NO_UID ? "" : ", owned by uid " + g.uid()));
            }
            addDisks(serve, out, byName, diskSpecs);
            addVifs(serve, out, byName, vifSpecs);
            if (null != netSocket)
            {
                uplink = StreamUplink.listen(vswitch, "uplink", new DomainSocketAddress(netSocket.toFile()));
                out.println("  net       " + netSocket + "   (QEMU -netdev stream,addr.type=unix,addr.path=" +
                    netSocket + ")");
            }
            out.println("attach: " + serve.attachHint());
            out.println(null == duration ? "serving until interrupted (Ctrl-C)" :
                "serving for " + duration.toMillis() + " ms");
            out.flush();
            if (null == duration)
            {
                stop.await();
            }
            else
            {
                stop.await(duration.toNanos(), TimeUnit.NANOSECONDS);
            }
        }
        finally
        {
            if (null != uplink)
            {
                uplink.close();
            }
            netback.close();
            stats.close();
            if (ownDir)
            {
                deleteIfExists(stats.file().path());
                deleteIfEmpty(directory);
            }
            out.println("pvring serve: stopped");
            out.flush();
            stopped.countDown(); // a shutdown hook waiting for this lets the JVM exit now
            try
            {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            catch (final IllegalStateException ex)
            {
                // Already shutting down: the hook is running and has been released.
            }
        }
        return Main.EXIT_OK;
    }

    private static void addDisks(
        final ServeHost serve, final PrintWriter out, final Map<String, Domain> byName, final List<DiskSpec> disks)
    {
        final List<GuestSpec> guests = byName.values().stream().map(g -> new GuestSpec(g.name(), 0)).toList();
        for (final DiskSpec d : disks)
        {
            final Domain guest = guest(byName, d.guest());
            final String vdev = vdev(d, disks, guests);
            final String devid = Integer.toString(DiskSpec.devid(vdev));
            final Map<String, String> backend = new LinkedHashMap<>(d.qos());
            backend.put("mode", d.readOnly() ? "r" : "w");
            backend.put("params", d.params());
            backend.put("type", d.type());
            final XenbusDeviceSpec device = new XenbusDeviceSpec("vbd", 0, guest.domid(), devid, backend,
                Map.of("virtual-device", devid, "device-type", "disk"));
            serve.addDevice(device);
            out.println("  vbd " + devid + " (" + vdev + ") of domid " + guest.domid() + ": " + d.type() + " " +
                d.params() + (d.readOnly() ? " read-only" : "") +
                (d.qos().isEmpty() ? "" : ", limits " + d.qos()) + ", frontend " + device.frontendPath());
        }
    }

    private static void addVifs(
        final ServeHost serve, final PrintWriter out, final Map<String, Domain> byName, final List<VifSpec> vifs)
    {
        final List<GuestSpec> guests = byName.values().stream().map(g -> new GuestSpec(g.name(), 0)).toList();
        for (final VifSpec v : vifs)
        {
            final Domain guest = guest(byName, v.guest());
            final int index = indexAmongGuest(v, vifs, guests, VifSpec::guest);
            final String devid = vifDevid(v, vifs, guests);
            final String mac = null != v.mac() ? v.mac() :
                String.format("00:16:3e:%02x:%02x:%02x", guest.domid() >> 8 & 0xFF, guest.domid() & 0xFF, index);
            final XenbusDeviceSpec device = new XenbusDeviceSpec(NetBackDriver.TYPE, 0, guest.domid(), devid,
                Map.of("mac", mac, "handle", devid), Map.of("mac", mac, "handle", devid));
            serve.addDevice(device);
            out.println("  vif " + devid + " of domid " + guest.domid() + ": mac " + mac + ", frontend " +
                device.frontendPath());
        }
    }

    /** The disk's vdev: its own, or xvda, xvdb, ... by its position among the guest's disks. */
    private static String vdev(final DiskSpec d, final List<DiskSpec> disks, final List<GuestSpec> guests)
    {
        if (null != d.vdev())
        {
            return d.vdev();
        }
        return "xvd" + (char)('a' + Math.min(indexAmongGuest(d, disks, guests, DiskSpec::guest), 15));
    }

    private static String vifDevid(final VifSpec v, final List<VifSpec> vifs, final List<GuestSpec> guests)
    {
        return null != v.devid() ? v.devid() : Integer.toString(indexAmongGuest(v, vifs, guests, VifSpec::guest));
    }

    /** Position of {@code item} among the items of the same guest (by identity: specs may be equal). */
    private static <T> int indexAmongGuest(
        final T item, final List<T> all, final List<GuestSpec> guests, final Function<T, String> guestName)
    {
        final String guest = guestOf(guests, guestName.apply(item));
        int index = 0;
        for (final T other : all)
        {
            if (other == item)
            {
                return index;
            }
            if (guest.equals(guestOf(guests, guestName.apply(other))))
            {
                index++;
            }
        }
        throw new IllegalArgumentException("not listed: " + item);
    }

    private static String guestOf(final List<GuestSpec> guests, final String name)
    {
        return null == name ? guests.get(0).name() : name;
    }

    private static void checkUnique(final List<String> keys, final String what)
    {
        final java.util.Set<String> seen = new java.util.HashSet<>();
        for (final String key : keys)
        {
            if (!seen.add(key))
            {
                throw new IllegalArgumentException(what + " given twice: " + key);
            }
        }
    }

    private static Domain guest(final Map<String, Domain> byName, final String name)
    {
        return null == name ? byName.values().iterator().next() : byName.get(name);
    }

    private static void checkGuest(final List<GuestSpec> guests, final String name)
    {
        if (null != name && guests.stream().noneMatch(g -> g.name().equals(name)))
        {
            throw new IllegalArgumentException("no --guest named '" + name + "'");
        }
    }

    private static Path defaultDirectory()
    {
        final Path shm = Path.of("/dev/shm");
        final Path base = Files.isDirectory(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
        return base.resolve("pvring-" + ProcessHandle.current().pid());
    }

    private static void deleteIfExists(final Path file)
    {
        try
        {
            Files.deleteIfExists(file);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static void deleteIfEmpty(final Path directory)
    {
        try
        {
            Files.deleteIfExists(directory);
        }
        catch (final IOException ex)
        {
            if (!(ex instanceof java.nio.file.DirectoryNotEmptyException))
            {
                throw new UncheckedIOException(ex);
            }
        }
    }

    /**
     * blkback's opener for serve's disks: {@code type} is the disk kind, {@code params} its path or NBD URI. Image
     * and NBD disks go to {@link DiskStores}; the others to {@link BlkBackDriver#DEFAULT_OPENER}.
     */
    static io.pvring.blkback.store.BlockStore openStore(
        final String type, final String params, final boolean readOnly, final int sectorSize)
    {
        final String text = "qcow2".equals(type) ? "qcow2:" + params : "nbd".equals(type) ? params : null;
        if (text == null)
        {
            return BlkBackDriver.DEFAULT_OPENER.open(type, params, readOnly, sectorSize);
        }
        return DiskStores.open(io.pvring.blkback.store.DiskSpec.parse("params", text, Set.of(), Set.of()),
            sectorSize, readOnly);
    }
}
