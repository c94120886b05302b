package io.pvring.host;

import io.pvring.grant.FrontendGrantTable;
import io.pvring.grant.GrantTable;
import io.pvring.grant.SharedGrantTable;
import io.pvring.memory.GuestMemory;
import io.pvring.memory.MappedGuestMemory;

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
    private final MappedGuestMemory memory;
    private final SharedGrantTable sharedGrantTable;
    private final FrontendGrantTable grantTable;
    private volatile boolean destroyed;

    Domain(final int domid, final String name, final MappedGuestMemory memory, final SharedGrantTable grants)
    {
        this.domid = domid;
        this.name = name;
        this.memory = memory;
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

    /** Guest-physical memory; {@link MappedGuestMemory#path()} names its file when it is file-backed. */
    public MappedGuestMemory memory()
    {
        return memory;
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
