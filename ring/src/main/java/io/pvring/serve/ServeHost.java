package io.pvring.serve;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.pvring.event.remote.DomainControl;
import io.pvring.event.remote.EvtchnMessageDescriptor;
import io.pvring.event.remote.EvtchnServer;
import io.pvring.host.Domain;
import io.pvring.host.Host;
import io.pvring.host.Hypervisor;
import io.pvring.memory.MemoryTable;
import io.pvring.runner.RunnerPoolConfig;
import io.pvring.stats.IoStats;
import io.pvring.xenbus.XenbusBackendDriver;
import io.pvring.xenbus.XenbusDeviceSpec;
import io.pvring.xenstore.XenStoreServer;

/**
 * pvring as the Xen PV I/O backend of an emulator in another process (any language): a {@link Host} whose guests
 * keep their memory and grant table in files of one directory, with the xenstore protocol and event channels on
 * Unix sockets in the same directory.
 * <pre>
 *   DIR/xenstored.sock        xs_wire.h, privileged (dom0): the toolstack's view, XENSTORED_PATH for xenstore-*
 *   DIR/dom&lt;id&gt;.xenstored.sock  xs_wire.h as guest &lt;id&gt; (unprivileged, paths relative to its home)
 *   DIR/evtchn.sock           event channels, privileged ({@link EvtchnMessageDescriptor}, C: pvring_evtchn.h)
 *   DIR/dom&lt;id&gt;.evtchn.sock   event channels as guest &lt;id&gt; only (hello for another domid is refused)
 *   DIR/dom&lt;id&gt;.mem          guest memory: gfn * 4096 is the file offset (unless the emulator owns it)
 *   DIR/dom&lt;id&gt;.gnttab       the guest's grant table, v1 entries ({@code grant_entry_v1_t}) from offset 0
 *   DIR/pvring_evtchn.h       the C header of the event-channel protocol
 *   DIR/pvring_client.[hc]    the C client ({@link CClient}), DIR/pvring_client.version its version
 *   DIR/counters.dat          I/O counters, latency histograms, trace control ({@link IoStats}; pvring stat DIR)
 * </pre>
 * The directory is made owner-only (0700) and every socket and file 0600: whoever can open the privileged sockets
 * acts for any domain, as with xenstored's socket; a guest's own files and sockets may be given to a uid
 * ({@link #createGuest(String, long, int)}), the directory then becoming 0711 (enter, not list) so that a
 * sandboxed emulator running as that uid reaches its own guest's files and nothing else. Guests are created at
 * start ({@link #createGuest}) or by a client over the event socket ({@code domain_create}); devices by
 * {@link #addDevice} or by any privileged xenstore client writing the device directories as libxl does.
 * Thread-safe.
 */
public final class ServeHost implements DomainControl, AutoCloseable
{
    public static final String XENSTORE_SOCKET = "xenstored.sock";
    public static final String EVTCHN_SOCKET = "evtchn.sock";
    /** No owner given: a guest's files and sockets belong to this process. */
    public static final int NO_UID = -1;

    private final Path directory;
    private final Host host;
    private final XenStoreServer xenStore;
    private final EvtchnServer evtchn;
    private final IoStats stats;
    private final Map<Integer, XenStoreServer> guestXenStores = new TreeMap<>();
    private final Map<Integer, EvtchnServer> guestEvtchns = new TreeMap<>();
    private final List<Integer> remoteGuests = new ArrayList<>();
    private int remoteNames;
    private boolean closed;

    private ServeHost(
        final Path directory, final Host host, final XenStoreServer xenStore, final EvtchnServer evtchn,
        final IoStats stats)
    {
        this.directory = directory;
        this.host = host;
        this.xenStore = xenStore;
        this.evtchn = evtchn;
        this.stats = stats;
    }

    /**
     * Creates {@code directory} if needed (owner-only), then serves xenstore and event channels there, with the
     * backend drivers on dom0's xenbus.
     *
     * @throws UncheckedIOException when the directory or a socket cannot be made.
     */
    public static ServeHost start(final Path directory, final XenbusBackendDriver... drivers)
    {
        return start(directory, new RunnerPoolConfig(), null, drivers);
    }

    /**
     * As {@link #start(Path, XenbusBackendDriver...)}, with the runner pool {@code runners} describes, naming each
     * guest in {@code stats} (the process's counters file, normally {@code DIR/counters.dat}; null for none) so
     * that monitors show guests by name. The caller closes {@code stats}, after this host.
     */
    public static ServeHost start(
        final Path directory, final RunnerPoolConfig runners, final IoStats stats,
        final XenbusBackendDriver... drivers)
    {
        prepareDirectory(directory);
        final Host host = Host.start(runners, drivers);
        XenStoreServer xs = null;
        try
        {
            xs = host.serveXenStore(directory.resolve(XENSTORE_SOCKET));
            ownerOnly(xs.socketPath());
            final ServeHost[] self = new ServeHost[1];
            final EvtchnServer ev = EvtchnServer.start(host.hypervisor().eventChannelTable(), new DomainControl()
            {
                @Override
                public int createDomain(final long memoryBytes)
                {
                    return self[0].createDomain(memoryBytes);
                }

                @Override
                public int destroyDomain(final int domid)
                {
                    return self[0].destroyDomain(domid);
                }

                @Override
                public int setMemory(final int domid, final MemoryTable table)
                {
                    return self[0].setMemory(domid, table);
                }
            }, directory.resolve(EVTCHN_SOCKET));
            CClient.writeTo(directory);
            if (stats != null)
            {
                stats.publishRunners(host.runners()); // pvring stat's footer: how the rings share the threads
            }
            self[0] = new ServeHost(directory, host, xs, ev, stats);
            return self[0];
        }
        catch (final IOException | RuntimeException ex)
        {
            host.close();
            throw ex instanceof IOException ? new UncheckedIOException((IOException)ex) : (RuntimeException)ex;
        }
    }

    /**
     * Creates {@code directory} if needed and makes it owner-only (for files made before {@link #start}, such as
     * the counters file the drivers need at construction).
     *
     * @throws UncheckedIOException when it cannot.
     */
    public static void prepareDirectory(final Path directory)
    {
        try
        {
            Files.createDirectories(directory);
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot prepare " + directory, ex);
        }
    }

    public Path directory()
    {
        return directory;
    }

    public Host host()
    {
        return host;
    }

    /** The privileged xenstore socket: {@code XENSTORED_PATH} for xenstore-* tools and libxenstore. */
    public Path xenStoreSocket()
    {
        return xenStore.socketPath();
    }

    public Path evtchnSocket()
    {
        return evtchn.socketPath();
    }

    /** The C header written into the directory. */
    public Path cHeader()
    {
        return directory.resolve(EvtchnServer.C_HEADER);
    }

    /** Guest {@code domid}'s own (unprivileged) xenstore socket. */
    public Path guestXenStoreSocket(final int domid)
    {
        return directory.resolve("dom" + domid + ".xenstored.sock");
    }

    /** Guest {@code domid}'s own event-channel socket: a client there acts for that guest only. */
    public Path guestEvtchnSocket(final int domid)
    {
        return directory.resolve("dom" + domid + ".evtchn.sock");
    }

    /**
     * A guest with {@code memoryBytes} of memory in {@code DIR/dom<id>.mem}, its grant table in
     * {@code DIR/dom<id>.gnttab}, and its own xenstore and event-channel sockets, all 0600 and owned by this
     * process.
     */
    public Domain createGuest(final String name, final long memoryBytes)
    {
        return createGuest(name, memoryBytes, NO_UID);
    }

    /**
     * As {@link #createGuest(String, long)}, with the guest's files and sockets owned by {@code uid} (still 0600)
     * unless it is {@link #NO_UID}: the emulator process of that guest runs as {@code uid} and can open them, and
     * no other guest's. Changing ownership needs the privilege to (root, or CAP_CHOWN).
     *
     * @throws UncheckedIOException when a socket cannot be made or the owner cannot be set.
     */
    public Domain createGuest(final String name, final long memoryBytes, final int uid)
    {
        return createGuest(name, memoryBytes, uid, null);
    }

    /**
     * As {@link #createGuest(String, long, int)}, with memory the emulator owns when {@code emulatorMemory} is not
     * null (an existing file, or regions of files, mapped and never resized or deleted; no {@code dom<id>.mem}).
     *
     * @throws IllegalArgumentException when the emulator's memory cannot be mapped (a file too short, not a regular
     *     file, an unaligned offset).
     */
    public synchronized Domain createGuest(
        final String name, final long memoryBytes, final int uid, final MemoryTable emulatorMemory)
    {
        checkOpen();
        final Domain guest = host.createDomain(name, memoryBytes, directory, emulatorMemory);
        final int domid = guest.domid();
        try
        {
            final Path xsSocket = guestXenStoreSocket(domid);
            guestXenStores.put(domid, XenStoreServer.startForDomain(host.xenStore(), xsSocket, domid));
            ownerOnly(xsSocket);
            guestEvtchns.put(domid, EvtchnServer.startForDomain(host.hypervisor().eventChannelTable(), this,
                guestEvtchnSocket(domid), domid));
            if (uid != NO_UID)
            {
                final List<Path> files = new ArrayList<>(List.of(guest.sharedGrantTable().path(), xsSocket,
                    guestEvtchnSocket(domid)));
                if (null != guest.memoryFile())
                {
                    files.add(guest.memoryFile()); // memory the emulator owns is its own already
                }
                for (final Path p : files)
                {
                    Files.setAttribute(p, "unix:uid", uid);
                }
                // Enter but not list: the uid reaches its own files by name; the 0600 modes keep the rest.
                Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx--x--x"));
            }
            if (null != stats)
            {
                stats.nameDomain(domid, name);
            }
            return guest;
        }
        catch (final IOException | RuntimeException ex)
        {
            closeGuestSockets(domid);
            host.destroyDomain(guest);
            throw ex instanceof IOException ? new UncheckedIOException("cannot give guest " + name + " to uid=" + uid +
                ": " + ex.getMessage(), (IOException)ex) : (RuntimeException)ex;
        }
    }

    /** A guest's devices, both directories written as libxl does; dom0's backend bus probes the device. */
    public void addDevice(final XenbusDeviceSpec spec)
    {
        host.addDevice(spec);
    }

    /** Destroys a guest: its devices disconnect first, its xenstore socket and files go. */
    public synchronized void destroyGuest(final Domain guest)
    {
        closeGuestSockets(guest.domid());
        remoteGuests.remove(Integer.valueOf(guest.domid()));
        host.destroyDomain(guest);
        if (null != stats)
        {
            stats.forgetDomain(guest.domid());
        }
    }

    /** {@code domain_create} over the event socket: a guest named {@code remote-<n>}. */
    @Override
    public synchronized int createDomain(final long memoryBytes)
    {
        if (closed)
        {
            return -EvtchnMessageDescriptor.ESRCH;
        }
        if (memoryBytes <= 0 || memoryBytes % 4096 != 0)
        {
            return -EvtchnMessageDescriptor.EINVAL;
        }
        try
        {
            final Domain guest = createGuest("remote-" + ++remoteNames, memoryBytes);
            remoteGuests.add(guest.domid());
            return guest.domid();
        }
        catch (final IllegalArgumentException ex)
        {
            return -EvtchnMessageDescriptor.EINVAL;
        }
        catch (final RuntimeException ex)
        {
            return -EvtchnMessageDescriptor.ENOMEM;
        }
    }

    /** {@code domain_destroy} over the event socket: only guests that {@code domain_create} made. */
    @Override
    public synchronized int destroyDomain(final int domid)
    {
        final Domain guest = host.hypervisor().domain(domid);
        if (closed || null == guest || !remoteGuests.contains(domid))
        {
            return -EvtchnMessageDescriptor.ESRCH;
        }
        destroyGuest(guest);
        return 0;
    }

    /**
     * {@code set_mem_table} over an event socket: guest {@code domid}'s memory becomes the emulator's regions, if no
     * device of the guest is connected.
     */
    @Override
    public synchronized int setMemory(final int domid, final MemoryTable table)
    {
        if (closed || null == host.hypervisor().domain(domid) || Hypervisor.DOM0 == domid)
        {
            return -EvtchnMessageDescriptor.ESRCH;
        }
        try
        {
            host.hypervisor().replaceMemory(domid, table);
            return 0;
        }
        catch (final IllegalStateException ex)
        {
            return -EvtchnMessageDescriptor.EBUSY;
        }
        catch (final IllegalArgumentException | UncheckedIOException ex)
        {
            return -EvtchnMessageDescriptor.EINVAL;
        }
    }

    /** One line an emulator's user can paste to attach a tool or frontend. */
    public String attachHint()
    {
        return "XENSTORED_PATH=" + xenStoreSocket() + " xenstore-ls /local/domain";
    }

    /** Closes the event socket (clients' ports close), the xenstore sockets, then the host (devices, memory). */
    @Override
    public void close()
    {
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            closed = true;
        }
        // Outside the lock: the event loop may be waiting for it in domain_create, and closing joins that loop.
        evtchn.close();
        synchronized (this)
        {
            for (final XenStoreServer server : guestXenStores.values())
            {
                server.close();
            }
            guestXenStores.clear();
        }
        // Guest event sockets outside the lock too: a domain_destroy on one would wait for it.
        final List<EvtchnServer> guestEvents;
        synchronized (this)
        {
            guestEvents = new ArrayList<>(guestEvtchns.values());
            guestEvtchns.clear();
        }
        for (final EvtchnServer server : guestEvents)
        {
            server.close();
        }
        host.close();
        try
        {
            Files.deleteIfExists(cHeader());
        }
        catch (final IOException ex)
        {
            // The directory is the user's; a leftover header is harmless.
        }
    }

    /** Guest {@code domid}'s event-channel server, or null (for bounds checks in tests). */
    synchronized EvtchnServer guestEvtchnServer(final int domid)
    {
        return guestEvtchns.get(domid);
    }

    private void closeGuestSockets(final int domid)
    {
        final XenStoreServer xs = guestXenStores.remove(domid);
        if (null != xs)
        {
            xs.close();
        }
        final EvtchnServer ev = guestEvtchns.remove(domid);
        if (null != ev)
        {
            ev.close();
        }
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("serve host closed");
        }
    }

    private static void ownerOnly(final Path socket) throws IOException
    {
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
    }
}
