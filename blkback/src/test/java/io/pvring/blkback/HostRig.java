package io.pvring.blkback;

import java.util.ArrayList;
import java.util.List;

import io.pvring.blkback.store.BlockStore;
import io.pvring.blkback.store.MemoryBlockStore;
import io.pvring.blkfront.BlkFront;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.event.EventPort;
import io.pvring.grant.BackendGrantMapper;
import io.pvring.grant.FaultInjectingGrantMapper;
import io.pvring.grant.GrantTable;
import io.pvring.host.Domain;
import io.pvring.host.Hypervisor;
import io.pvring.memory.GuestMemory;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A blkfront in a guest domain connected to a blkback in dom0 on the real hypervisor core (grant table with Xen's
 * checks, event channels), stepped by hand (no threads). The backend maps through a
 * {@link FaultInjectingGrantMapper}, so tests can fail the n-th map or copy and change guest memory right after
 * the backend copied it. Guest frames below {@link #FIRST_GFN} are free for the test's own pages.
 */
final class HostRig implements AutoCloseable
{
    static final long FIRST_GFN = 16;

    final Hypervisor hypervisor;
    private final boolean ownsHypervisor;
    final Domain domain;
    final GuestMemory memory;
    final GrantTable grants;
    final BackendGrantMapper realMapper;
    final FaultInjectingGrantMapper mapper;
    final BlockStore store;
    final BlkBack back;
    final BlkFront front;
    final List<long[]> completions = new ArrayList<>();
    private final EventPort[] frontPorts;
    private final EventPort[] backPorts;

    HostRig(final BlockStore store, final BlkBackConfig backConfig, final BlkFrontConfig frontConfig)
    {
        this(new Hypervisor(), true, "hostile", store, backConfig, frontConfig);
    }

    /** A guest domain {@code name} on a hypervisor the caller owns (several devices side by side). */
    HostRig(final Hypervisor hypervisor, final String name, final BlockStore store)
    {
        this(hypervisor, false, name, store, new BlkBackConfig(), new BlkFrontConfig());
    }

    private HostRig(
        final Hypervisor hypervisor,
        final boolean ownsHypervisor,
        final String name,
        final BlockStore store,
        final BlkBackConfig backConfig,
        final BlkFrontConfig frontConfig)
    {
        this.hypervisor = hypervisor;
        this.ownsHypervisor = ownsHypervisor;
        this.store = store;
        final long frames = BlkFront.framesNeeded(frontConfig.validate());
        domain = hypervisor.createDomain(name, (FIRST_GFN + frames + 16) * 4096);
        memory = domain.guestMemory();
        grants = domain.grantTable();
        realMapper = hypervisor.grantMapper(Hypervisor.DOM0, domain.domid(), BackendGrantMapper.DEFAULT_MAX_MAPPINGS);
        mapper = new FaultInjectingGrantMapper(realMapper);
        final int queues = frontConfig.queues();
        frontPorts = new EventPort[queues];
        backPorts = new EventPort[queues];
        for (int q = 0; q < queues; q++)
        {
            frontPorts[q] = hypervisor.eventChannels().allocUnbound(domain.domid(), Hypervisor.DOM0);
            backPorts[q] = hypervisor.eventChannels().bindInterdomain(
                Hypervisor.DOM0, domain.domid(), frontPorts[q].port());
        }
        back = new BlkBack("blkback-" + domain.domid() + "-51712", store, backConfig, mapper, null);
        front = new BlkFront(memory, grants, Hypervisor.DOM0, frontConfig, FIRST_GFN, frontPorts);
        for (int q = 0; q < queues; q++)
        {
            assertNotNull(back.connectRing(q, front.queue(q).ringRefs(), frontConfig.ringPageOrder(),
                frontConfig.protocol(), backPorts[q], frontConfig.persistentGrants()), "ring " + q + " connects");
        }
    }

    BlkFrontQueue q(final int index)
    {
        return front.queue(index);
    }

    BlkRing ring(final int index)
    {
        return back.rings().get(index);
    }

    static HostRig memory(final long bytes)
    {
        return new HostRig(new MemoryBlockStore(bytes, 512), new BlkBackConfig(), new BlkFrontConfig());
    }

    /** Pushes, lets every ring work until idle, and polls every queue; returns completions collected. */
    List<long[]> run()
    {
        for (int q = 0; q < front.queueCount(); q++)
        {
            front.queue(q).push();
        }
        boolean progress = true;
        while (progress)
        {
            progress = false;
            for (final BlkRing ring : back.rings())
            {
                progress |= ring.doWork() > 0;
            }
        }
        for (int q = 0; q < front.queueCount(); q++)
        {
            front.queue(q).poll((cookie, op, status) -> completions.add(new long[]{ cookie, op, status }));
        }
        return completions;
    }

    /** Reads into {@code into} with one request on queue 0 and returns its status. */
    int read(final long sector, final UnsafeBuffer into)
    {
        assertTrue(q(0).read(sector, into.capacity() >> 9, into, 0, 2));
        completions.clear();
        run();
        assertEquals(1, completions.size(), "one completion");
        return (int)completions.get(0)[2];
    }

    public void close()
    {
        back.close();
        front.close();
        assertEquals(0, realMapper.liveMappings(), "no mapping left behind");
        for (int q = 0; q < frontPorts.length; q++)
        {
            frontPorts[q].close();
            backPorts[q].close();
        }
        realMapper.close();
        hypervisor.destroyDomain(domain.domid());
        if (ownsHypervisor)
        {
            hypervisor.close();
        }
    }
}
