package io.pvring.xenbus;

import io.pvring.event.EventChannels;
import io.pvring.grant.GrantMapper;
import io.pvring.grant.GrantTable;
import io.pvring.memory.GuestMemory;

/**
 * What split-device drivers need from the (emulated) hypervisor besides xenstore, handed to them through their
 * {@link XenbusDevice}: event channels, grant tables and guest memory. Implemented by the hypervisor core.
 */
public interface HypervisorServices
{
    EventChannels eventChannels();

    /** A domain's own grant table (the frontend grants its ring and data pages through it). */
    GrantTable grantTable(int domid);

    /**
     * A new grant mapper for one backend device in {@code backendDomid} using {@code frontendDomid}'s grants. The
     * device releases it with {@link GrantMapper#unmapAll()} when it disconnects.
     */
    GrantMapper grantMapper(int backendDomid, int frontendDomid);

    /** A domain's guest-physical memory (where a frontend places its rings and buffers). */
    GuestMemory guestMemory(int domid);
}
