package io.pvring.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import io.pvring.memory.MemoryTable;
import io.pvring.runner.RunnerPool;
import io.pvring.runner.RunnerPoolConfig;
import io.pvring.xenbus.XenbusBackend;
import io.pvring.xenbus.XenbusBackendDriver;
import io.pvring.xenbus.XenbusDevice;
import io.pvring.xenbus.XenbusDeviceSpec;
import io.pvring.xenbus.XenbusFrontend;
import io.pvring.xenbus.XenbusFrontendDriver;
import io.pvring.xenbus.XenbusThread;
import io.pvring.xenbus.XenbusToolstack;
import io.pvring.xenstore.XenStore;
import io.pvring.xenstore.XenStoreServer;

/**
 * What an emulator embeds: the emulated hypervisor ({@link Hypervisor}: domains, guest memory, grant tables, event
 * channels), a {@link XenStore}, the toolstack that writes device directories, and dom0's xenbus backend bus with
 * the backend drivers (blkback, netback) on a thread of its own, and one {@link RunnerPool} whose runner threads
 * serve the rings of every device of every guest (default: a runner per core). In-process guests get a frontend bus
 * each.
 *
 * <pre>{@code
 * try (Host host = Host.start(new BlkBackDriver(BlkBackConfig.defaults(), BlkBackDriver.DEFAULT_OPENER, null)))
 * {
 *     Domain guest = host.createDomain("guest", 1L << 30);
 *     host.addDevice(spec);                                   // toolstack: backend + frontend directories
 *     host.attachFrontend(guest, "vbd", "51712", blkfront);   // guest driver: handshake, then I/O
 * }
 * }</pre>
 *
 * Thread-safe. {@link #close()} stops frontends first, then the backend bus (which disconnects every device and
 * takes its rings off the runners), then the runners, and only then unmaps guest memory, so no device ever touches
 * freed memory.
 */
public final class Host implements AutoCloseable
{
    private static final long BUS_TIMEOUT_SECONDS = 30;

    private final Hypervisor hypervisor;
    private final XenStore xenStore;
    private final XenbusToolstack toolstack;
    private final RunnerPool runners;
    private final XenbusBackend backendBus;
    private final XenbusThread backendThread;
    private final Map<Integer, Frontends> frontends = new TreeMap<>();
    private final List<XenStoreServer> servers = new ArrayList<>();
    private boolean closed;

    private static final class Frontends
    {
        final XenbusFrontend bus;
        final XenbusThread thread;

        Frontends(final XenbusFrontend bus, final XenbusThread thread)
        {
            this.bus = bus;
            this.thread = thread;
        }
    }

    private Host(
        final Hypervisor hypervisor,
        final XenStore xenStore,
        final RunnerPool runners,
        final List<XenbusBackendDriver> drivers)
    {
        this.hypervisor = hypervisor;
        this.xenStore = xenStore;
        this.runners = runners;
        this.toolstack = new XenbusToolstack(xenStore.connect(Hypervisor.DOM0));
        toolstack.createDomain(Hypervisor.DOM0, Hypervisor.DOM0_NAME);
        this.backendBus = new XenbusBackend(xenStore.connect(Hypervisor.DOM0), hypervisor);
        for (final XenbusBackendDriver driver : drivers)
        {
            driver.runOn(runners);
            backendBus.register(driver);
        }
        this.backendThread = XenbusThread.start(backendBus);
    }

    /** A host with a fresh hypervisor and xenstore, serving devices of the drivers' types from dom0. */
    public static Host start(final XenbusBackendDriver... drivers)
    {
        return start(new RunnerPoolConfig(), drivers);
    }

    /** As {@link #start(XenbusBackendDriver...)}, with the runner pool {@code runners} describes. */
    public static Host start(final RunnerPoolConfig runners, final XenbusBackendDriver... drivers)
    {
        final RunnerPool pool = new RunnerPool(runners);
        try
        {
            return new Host(new Hypervisor(), new XenStore(), pool, List.of(drivers));
        }
        catch (final RuntimeException ex)
        {
            pool.close();
            throw ex;
        }
    }

    /** The runner threads every device's rings run on. */
    public RunnerPool runners()
    {
        return runners;
    }

    public Hypervisor hypervisor()
    {
        return hypervisor;
    }

    public XenStore xenStore()
    {
        return xenStore;
    }

    public XenbusToolstack toolstack()
    {
        return toolstack;
    }

    /** A guest with sparse process memory, introduced to xenstore with its {@code /local/domain/<id>} tree. */
    public Domain createDomain(final String name, final long memoryBytes)
    {
        return createDomain(name, memoryBytes, null);
    }

    /**
     * A guest whose memory and grant table are files in {@code sharedDirectory} (another process maps them:
     * {@code dom<id>.mem}, {@code dom<id>.gnttab}), or process memory when it is null.
     */
    public Domain createDomain(final String name, final long memoryBytes, final Path sharedDirectory)
    {
        return createDomain(name, memoryBytes, sharedDirectory, null);
    }

    /**
     * As {@link #createDomain(String, long, Path)}, with memory the emulator owns when {@code emulatorMemory} is not
     * null ({@link Hypervisor#createDomain(String, long, Path, MemoryTable)}).
     */
    public synchronized Domain createDomain(
        final String name, final long memoryBytes, final Path sharedDirectory, final MemoryTable emulatorMemory)
    {
        checkOpen();
        final Domain domain = hypervisor.createDomain(name, memoryBytes, sharedDirectory, emulatorMemory);
        toolstack.createDomain(domain.domid(), name);
        return domain;
    }

    /** The toolstack's part of hot-plug: both device directories; the backend bus probes the device. */
    public void addDevice(final XenbusDeviceSpec spec)
    {
        checkOpen();
        toolstack.addDevice(spec);
    }

    /**
     * Attaches an in-process guest driver to a device {@link #addDevice added} for {@code guest}, on the guest's
     * xenbus thread (started on first use); the handshake then runs by itself.
     */
    public XenbusDevice attachFrontend(
        final Domain guest, final String type, final String devid, final XenbusFrontendDriver driver)
    {
        final Frontends f = frontends(guest);
        return f.thread.call(() -> f.bus.attach(type, devid, driver, true), BUS_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /**
     * Serves this host's xenstore on a Unix socket with the {@code xs_wire.h} protocol, for {@code xenstore-*}
     * tools and libxenstore clients ({@code XENSTORED_PATH=<socket>}); clients are privileged (dom0). Closed with
     * the host.
     */
    public synchronized XenStoreServer serveXenStore(final Path socket)
    {
        checkOpen();
        try
        {
            final XenStoreServer server = XenStoreServer.start(xenStore, socket);
            servers.add(server);
            return server;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot serve xenstore on " + socket, ex);
        }
    }

    /**
     * Removes a guest: its frontends stop, the toolstack removes its devices, the backend bus disconnects them
     * (ring threads joined, grants unmapped), and only then its memory and grant table are released.
     *
     * @throws IllegalStateException when the backend does not let go of the devices within 30 s.
     */
    public synchronized void destroyDomain(final Domain guest)
    {
        final Frontends f = frontends.remove(guest.domid());
        if (null != f)
        {
            f.thread.close();
        }
        toolstack.destroyDomain(guest.domid());
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BUS_TIMEOUT_SECONDS);
        while (backendThread.call(() ->
        {
            backendBus.doWork();
            return backendBus.deviceCount(guest.domid());
        }, BUS_TIMEOUT_SECONDS, TimeUnit.SECONDS) > 0)
        {
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("backend still serves devices of " + guest + " after 30 s");
            }
            Thread.onSpinWait();
        }
        hypervisor.destroyDomain(guest.domid());
    }

    /** Stops every bus (devices disconnect on their threads), the xenstore servers, then the hypervisor. */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (final Frontends f : frontends.values())
        {
            f.thread.close();
        }
        frontends.clear();
        backendThread.close();
        runners.close();
        for (final XenStoreServer server : servers)
        {
            server.close();
        }
        hypervisor.close();
    }

    private synchronized Frontends frontends(final Domain guest)
    {
        checkOpen();
        return frontends.computeIfAbsent(guest.domid(), domid ->
        {
            final XenbusFrontend bus = new XenbusFrontend(xenStore.connect(domid), hypervisor);
            return new Frontends(bus, XenbusThread.start(bus));
        });
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("host closed");
        }
    }
}
