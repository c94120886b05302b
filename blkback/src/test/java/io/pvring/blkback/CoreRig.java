package io.pvring.blkback;

import io.pvring.event.EventPort;
import io.pvring.grant.GrantMapper;
import io.pvring.host.Domain;
import io.pvring.host.Hypervisor;

import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A blkfront connected to a blkback on the real hypervisor core (grant table with Xen's checks, event channels),
 * without xenbus: for allocation checks and the hand-run throughput loops.
 */
final class CoreRig implements AutoCloseable
{
    final Hypervisor hypervisor = new Hypervisor();
    final Domain guest;
    final GrantMapper mapper;
    final BlkBack back;
    final BlkFront front;
    final EventPort[] frontPorts;

    CoreRig(final BlockStore store, final BlkBackConfig backConfig, final BlkFrontConfig frontConfig)
    {
        final long frames = BlkFront.framesNeeded(frontConfig.validate());
        guest = hypervisor.createDomain("guest", (frames + 64) * 4096);
        mapper = hypervisor.grantMapper(Hypervisor.DOM0, guest.domid());
        back = new BlkBack("blkback-1-51712", store, backConfig, mapper, null);
        frontPorts = new EventPort[frontConfig.queues()];
        final EventPort[] backPorts = new EventPort[frontConfig.queues()];
        for (int q = 0; q < frontPorts.length; q++)
        {
            frontPorts[q] = hypervisor.eventChannels().allocUnbound(guest.domid(), Hypervisor.DOM0);
            backPorts[q] = hypervisor.eventChannels().bindInterdomain(
                Hypervisor.DOM0, guest.domid(), frontPorts[q].port());
        }
        front = new BlkFront(guest.guestMemory(), guest.grantTable(), Hypervisor.DOM0, frontConfig, 32, frontPorts);
        for (int q = 0; q < frontPorts.length; q++)
        {
            assertNotNull(back.connectRing(q, front.queue(q).ringRefs(), frontConfig.ringPageOrder(),
                frontConfig.protocol(), backPorts[q], frontConfig.persistentGrants()));
        }
    }

    public void close()
    {
        back.close();
        front.close();
        hypervisor.close();
    }
}
