package io.pvring.host;

import java.nio.file.Path;

import io.pvring.grant.FrontendGrantTable;
import io.pvring.grant.GrantTable;
import io.pvring.grant.SharedGrantTable;
import io.pvring.memory.GuestMemory;

/**
 * A domain of the emulated {@link Hypervisor}: its id, name, guest-physical memory and grant table. Created and
 * destroyed only by the hypervisor. Domain 0 is the backend domain ("Domain-0").
 *
 * <p>Memory and grant table are unmapped when the domain is destroyed: guest-side code (a frontend driver) must
 * be stopped before {@link Hypervisor#destroyDomain(int)}, as backends must.
 */
public final class Domain
{
    private final int domid;
    private final String name;
    private volatile GuestMemory memory;
    private volatile Path memoryFile;
    private final SharedGrantTable sharedGrantTable;
    private final FrontendGrantTable grantTable;
    private volatile boolean destroyed;

    Domain(final int domid, final String name, final GuestMemory memory, final Path memoryFile,
        final SharedGrantTable grants)
    {
        this.domid = domid;
        this.name = name;
        this.memory = memory;
        this.memoryFile = memoryFile;
        this.sharedGrantTable = grants;
        this.grantTable = new FrontendGrantTable(grants);
    }

    public int domid()
    {
        return domid;
    }

    public String name()
    {
        return name;
    }

    /**
     * Guest-physical memory: pvring's own (process memory or {@link #memoryFile()}), or the emulator's
     * ({@link io.pvring.memory.RegionGuestMemory}). Backends take it when they connect: it is replaced only while
     * none is connected ({@link Hypervisor#replaceMemory}).
     */
    public GuestMemory memory()
    {
        return memory;
    }

    /**
     * The file pvring made for this guest's memory, which another process maps ({@code dom<id>.mem}); null for
     * process memory and for memory the emulator owns.
     */
    public Path memoryFile()
    {
        return memoryFile;
    }

    void memory(final GuestMemory replacement)
    {
        memory = replacement;
        memoryFile = null;
    }

    /** The domain's own grant table (what its frontends use to grant pages). */
    public GrantTable grantTable()
    {
        return grantTable;
    }

    /** The same table as the hypervisor holds it: shared entries (and their file) plus the backends' pins. */
    public SharedGrantTable sharedGrantTable()
    {
        return sharedGrantTable;
    }

    /** The {@link GuestMemory} view, for code written against the interface. */
    public GuestMemory guestMemory()
    {
        return memory;
    }

    public boolean isDestroyed()
    {
        return destroyed;
    }

    void markDestroyed()
    {
        destroyed = true;
    }

    @Override
    public String toString()
    {
        return "Domain{domid=" + domid + ", name=" + name + ", frames=" + memory.frames() + ", destroyed=" + destroyed +
            '}';
    }
}
