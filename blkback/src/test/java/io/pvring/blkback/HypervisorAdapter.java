package io.pvring.blkback;

import io.pvring.event.EventChannels;
import io.pvring.grant.GrantMapper;
import io.pvring.grant.GrantTable;
import io.pvring.host.Hypervisor;
import io.pvring.memory.GuestMemory;
import io.pvring.xenbus.HypervisorServices;

/** The emulated {@link Hypervisor} as the services xenbus hands to drivers. */
final class HypervisorAdapter implements HypervisorServices
{
    private final Hypervisor hypervisor;

    HypervisorAdapter(final Hypervisor hypervisor)
    {
        this.hypervisor = hypervisor;
    }

    public EventChannels eventChannels()
    {
        return hypervisor.eventChannels();
    }

    public GrantTable grantTable(final int domid)
    {
        return hypervisor.domain(domid).grantTable();
    }

    public GrantMapper grantMapper(final int backendDomid, final int frontendDomid)
    {
        return hypervisor.grantMapper(backendDomid, frontendDomid);
    }

    public GuestMemory guestMemory(final int domid)
    {
        return hypervisor.domain(domid).guestMemory();
    }
}
