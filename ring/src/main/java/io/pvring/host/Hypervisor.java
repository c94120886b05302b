package io.pvring.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.pvring.event.EventChannelTable;
import io.pvring.event.EventChannels;
import io.pvring.grant.BackendGrantMapper;
import io.pvring.grant.GrantMapper;
import io.pvring.grant.GrantTable;
import io.pvring.grant.GrantTableDescriptor;
import io.pvring.grant.SharedGrantTable;
import io.pvring.memory.GuestMemory;
import io.pvring.memory.MappedGuestMemory;
import io.pvring.memory.MemoryTable;
import io.pvring.memory.RegionGuestMemory;
import io.pvring.xenbus.HypervisorServices;

/**
 * The emulated hypervisor core: domains (memory and grant table each), grant mappers for backends, and the event
 * channels. Domain 0 ("Domain-0", the backend domain) exists from construction; guests get domids 1, 2, ... in
 * creation order (never reused while this hypervisor lives, as Xen avoids reusing them).
 *
 * <p>Memory and grant tables are process memory, or files in a directory another process maps:
 * {@code dom<id>.mem} (gfn * 4096 is the file offset) and {@code dom<id>.gnttab} (v1 entries from offset 0).
 * Those files are deleted when the domain is destroyed. A guest's memory may instead be the emulator's
 * ({@link MemoryTable}: regions of files it owns, mapped here, never resized or deleted).
 *
 * <p>Teardown: {@link #destroyDomain(int)} closes every grant mapper that maps from or into the domain (releasing
 * all their mappings), closes its event channels (peers become unbound), then unmaps its grant table and memory.
 * Backends must stop touching pages of a domain before it is destroyed: unlike Xen, which keeps a zombie domain
 * until the last foreign mapping goes, the emulator cannot keep a page alive under a running backend thread.
 * Control operations are synchronized; nothing here is on a data path.
 *
 * <p>This is the {@link HypervisorServices} the xenbus drivers use.
 */
public final class Hypervisor implements HypervisorServices, AutoCloseable
{
    public static final int DOM0 = 0;
    public static final String DOM0_NAME = "Domain-0";
    /** Dom0's own memory: sparse, so only what a test or tool touches is resident. */
    public static final long DOM0_MEMORY_BYTES = 64L << 20;
    /** {@code DOMID_FIRST_RESERVED}: domids from here on are special in Xen. */
    public static final int DOMID_FIRST_RESERVED = 0x7FF0;

    private final int grantFrames;
    private final EventChannelTable eventChannels;
    private final Map<Integer, Domain> domains = new TreeMap<>();
    private final Map<Integer, Path[]> domainFiles = new TreeMap<>();
    /** Open mappers, weakly: a device that drops its mapper without closing it does not pin it here forever. */
    private final List<WeakReference<BackendGrantMapper>> mappers = new ArrayList<>();
    private int nextDomid = 1;
    private boolean closed;

    /** Xen's defaults: 64 grant frames (32768 grants) and 4096 event channels per domain. */
    public Hypervisor()
    {
        this(GrantTableDescriptor.DEFAULT_FRAMES, EventChannelTable.DEFAULT_MAX_PORTS);
    }

    public Hypervisor(final int grantFrames, final int maxEventPorts)
    {
        GrantTableDescriptor.tableBytes(grantFrames);
        this.grantFrames = grantFrames;
        this.eventChannels = new EventChannelTable(maxEventPorts);
        register(DOM0, DOM0_NAME, DOM0_MEMORY_BYTES, null, null);
    }

    /** A guest with {@code memoryBytes} of sparse process memory. */
    public Domain createDomain(final String name, final long memoryBytes)
    {
        return createDomain(name, memoryBytes, null);
    }

    /**
     * A guest whose memory and grant table are files in {@code sharedDirectory} ({@code dom<id>.mem},
     * {@code dom<id>.gnttab}), or process memory when it is null.
     *
     * @throws IllegalArgumentException for a bad size, a duplicate name or a directory that does not exist.
     */
    public Domain createDomain(final String name, final long memoryBytes, final Path sharedDirectory)
    {
        return createDomain(name, memoryBytes, sharedDirectory, null);
    }

    /**
     * As {@link #createDomain(String, long, Path)}, with memory the emulator owns when {@code emulatorMemory} is not
     * null: its regions are mapped ({@code memoryBytes} is then ignored) and no {@code dom<id>.mem} is made; the
     * files are never resized or deleted.
     *
     * @throws IllegalArgumentException for a bad size, a duplicate name, a directory that does not exist, or
     *     emulator memory that cannot be mapped (a file too short or not a regular file).
     */
    public synchronized Domain createDomain(
        final String name, final long memoryBytes, final Path sharedDirectory, final MemoryTable emulatorMemory)
    {
        checkOpen();
        if (nextDomid >= DOMID_FIRST_RESERVED)
        {
            throw new IllegalStateException("no domid left below " + DOMID_FIRST_RESERVED);
        }
        final Domain domain = register(nextDomid, name, memoryBytes, sharedDirectory, emulatorMemory);
        nextDomid++;
        return domain;
    }

    /**
     * Gives guest {@code domid} the memory the emulator owns, in place of what it had (pvring's own memory, whose
     * file is deleted, or an earlier table, unmapped). Only while no backend maps from the domain: a connected
     * device holds the old memory.
     *
     * @throws IllegalArgumentException when there is no such guest or the table's files cannot be mapped.
     * @throws IllegalStateException while a device of the domain is connected.
     */
    public synchronized void replaceMemory(final int domid, final MemoryTable emulatorMemory)
    {
        checkOpen();
        final Domain domain = existing(domid);
        if (DOM0 == domid)
        {
            throw new IllegalArgumentException("domid=0's memory is pvring's own");
        }
        mappers.removeIf((ref) -> null == ref.get());
        for (final WeakReference<BackendGrantMapper> ref : mappers)
        {
            final BackendGrantMapper mapper = ref.get();
            if (null != mapper && mapper.frontendDomid() == domid)
            {
                throw new IllegalStateException("domid=" + domid + " has a connected device: its memory can be " +
                    "replaced only before devices connect or after they disconnect");
            }
        }
        final RegionGuestMemory replacement = RegionGuestMemory.map(emulatorMemory);
        final GuestMemory old = domain.memory();
        domain.memory(replacement);
        old.close();
        final Path[] files = domainFiles.get(domid);
        if (null != files && null != files[0])
        {
            deleteFiles(new Path[]{files[0]});
            files[0] = null;
        }
    }

    public synchronized Domain domain(final int domid)
    {
        return domains.get(domid);
    }

    public Domain dom0()
    {
        return domain(DOM0);
    }

    /** Live domains, dom0 first. */
    public synchronized List<Domain> domains()
    {
        return List.copyOf(domains.values());
    }

    @Override
    public EventChannels eventChannels()
    {
        return eventChannels;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException when there is no such domain.
     */
    @Override
    public GrantTable grantTable(final int domid)
    {
        return existing(domid).grantTable();
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException when there is no such domain.
     */
    @Override
    public GuestMemory guestMemory(final int domid)
    {
        return existing(domid).memory();
    }

    /** The implementation behind {@link #eventChannels()}, with domain-level operations. */
    public EventChannelTable eventChannelTable()
    {
        return eventChannels;
    }

    /**
     * A mapper for backend {@code backendDomid} on {@code frontendDomid}'s grants, with the default maptrack
     * ({@link BackendGrantMapper#DEFAULT_MAX_MAPPINGS}). The result is a {@link BackendGrantMapper}: closing it
     * when the device disconnects releases its mappings and refuses further use.
     *
     * @throws IllegalArgumentException when either domain does not exist.
     */
    @Override
    public GrantMapper grantMapper(final int backendDomid, final int frontendDomid)
    {
        return grantMapper(backendDomid, frontendDomid, BackendGrantMapper.DEFAULT_MAX_MAPPINGS);
    }

    /**
     * A mapper for one backend device. Close it ({@link BackendGrantMapper#close()}) when the device disconnects;
     * destroying either domain closes it too.
     *
     * @throws IllegalArgumentException when either domain does not exist.
     */
    public synchronized BackendGrantMapper grantMapper(
        final int backendDomid, final int frontendDomid, final int maxMappings)
    {
        checkOpen();
        final Domain frontend = domains.get(frontendDomid);
        if (null == frontend || !domains.containsKey(backendDomid))
        {
            throw new IllegalArgumentException(
                "no such domain: backendDomid=" + backendDomid + " frontendDomid=" + frontendDomid);
        }
        mappers.removeIf((ref) -> null == ref.get());
        final WeakReference<?>[] self = new WeakReference<?>[1];
        final BackendGrantMapper mapper = new BackendGrantMapper(
            backendDomid, frontendDomid, frontend.sharedGrantTable(), frontend.memory(), maxMappings,
            () -> forget(self[0]));
        final WeakReference<BackendGrantMapper> ref = new WeakReference<>(mapper);
        self[0] = ref;
        mappers.add(ref);
        return mapper;
    }

    /** Mappers neither closed nor dropped, for leak checks. */
    public synchronized int openGrantMappers()
    {
        mappers.removeIf((ref) -> null == ref.get());
        return mappers.size();
    }

    /**
     * Destroys a guest and releases everything it holds or lends: see the class comment for the order.
     *
     * @return false when there is no such domain.
     * @throws IllegalArgumentException for dom0, which lives as long as the hypervisor.
     */
    public synchronized boolean destroyDomain(final int domid)
    {
        if (DOM0 == domid)
        {
            throw new IllegalArgumentException("domid=0 is destroyed only by close()");
        }
        return destroy(domid);
    }

    /** Destroys every domain, dom0 last. Idempotent. */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        for (final Integer domid : List.copyOf(domains.keySet()))
        {
            if (DOM0 != domid)
            {
                destroy(domid);
            }
        }
        destroy(DOM0);
        closed = true;
    }

    private Domain register(
        final int domid, final String name, final long memoryBytes, final Path directory, final MemoryTable table)
    {
        for (final Domain domain : domains.values())
        {
            if (domain.name().equals(name))
            {
                throw new IllegalArgumentException("name=" + name + " is taken by domid=" + domain.domid());
            }
        }
        if (null != directory && !Files.isDirectory(directory))
        {
            throw new IllegalArgumentException("sharedDirectory=" + directory + " is not a directory");
        }
        final Path memoryFile = null == directory || null != table ? null : directory.resolve("dom" + domid + ".mem");
        final Path grantFile = null == directory ? null : directory.resolve("dom" + domid + ".gnttab");
        final GuestMemory memory;
        if (null != table)
        {
            memory = RegionGuestMemory.map(table);
        }
        else
        {
            memory = null == memoryFile ?
                MappedGuestMemory.anonymous(memoryBytes) : MappedGuestMemory.file(memoryFile, memoryBytes);
        }
        final SharedGrantTable grants;
        try
        {
            grants = null == grantFile ?
                SharedGrantTable.anonymous(grantFrames) : SharedGrantTable.file(grantFile, grantFrames);
        }
        catch (final RuntimeException ex)
        {
            memory.close();
            deleteFiles(new Path[]{memoryFile});
            throw ex;
        }
        final Domain domain = new Domain(domid, name, memory, memoryFile, grants);
        domains.put(domid, domain);
        if (null != directory)
        {
            domainFiles.put(domid, new Path[]{memoryFile, grantFile});
        }
        eventChannels.addDomain(domid);
        return domain;
    }

    private boolean destroy(final int domid)
    {
        final Domain domain = domains.remove(domid);
        if (null == domain)
        {
            return false;
        }
        domain.markDestroyed();
        for (final WeakReference<BackendGrantMapper> ref : List.copyOf(mappers))
        {
            final BackendGrantMapper mapper = ref.get();
            if (null != mapper && (mapper.frontendDomid() == domid || mapper.backendDomid() == domid))
            {
                mapper.close();
            }
        }
        eventChannels.removeDomain(domid);
        domain.sharedGrantTable().close();
        domain.memory().close();
        deleteFiles(domainFiles.remove(domid));
        return true;
    }

    private synchronized void forget(final WeakReference<?> ref)
    {
        mappers.remove(ref);
    }

    private synchronized Domain existing(final int domid)
    {
        final Domain domain = domains.get(domid);
        if (null == domain)
        {
            throw new IllegalArgumentException("domid=" + domid + " does not exist");
        }
        return domain;
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("hypervisor is closed");
        }
    }

    private static void deleteFiles(final Path[] files)
    {
        if (null == files)
        {
            return;
        }
        for (final Path file : files)
        {
            try
            {
                if (null != file)
                {
                    Files.deleteIfExists(file);
                }
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("cannot delete " + file, ex);
            }
        }
    }
}
