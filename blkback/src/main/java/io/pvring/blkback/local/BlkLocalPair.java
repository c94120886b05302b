package io.pvring.blkback.local;

import io.pvring.blkback.BlkBack;
import io.pvring.blkback.BlkBackConfig;
import io.pvring.blkback.store.BlockStore;
import io.pvring.blkfront.BlkFront;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.event.EventPort;
import io.pvring.grant.BackendGrantMapper;
import io.pvring.host.Domain;
import io.pvring.host.Hypervisor;

/**
 * A blkfront in a fresh guest domain connected to a blkback in dom0 on an emulated {@link Hypervisor}, wired
 * directly (no xenstore): the transport a benchmark or an in-process emulator test wants with the least set-up.
 * The rings are connected but not running: {@code back().start(pool)} puts them on a runner pool, or a caller steps
 * {@code back().rings()} itself.
 * Closing tears down the device, the driver and the guest domain (not the store, not the hypervisor).
 */
public final class BlkLocalPair implements AutoCloseable
{
    /** The first guest frame the driver uses; frames below are left for the caller. */
    public static final long FIRST_GFN = 32;

    private final Hypervisor hypervisor;
    private final Domain guest;
    private final BackendGrantMapper mapper;
    private final BlkBack back;
    private final BlkFront front;
    private final EventPort[] frontPorts;
    private final EventPort[] backPorts;

    private BlkLocalPair(final Hypervisor hypervisor, final Domain guest, final BackendGrantMapper mapper,
        final BlkBack back, final BlkFront front, final EventPort[] frontPorts, final EventPort[] backPorts)
    {
        this.hypervisor = hypervisor;
        this.guest = guest;
        this.mapper = mapper;
        this.back = back;
        this.front = front;
        this.frontPorts = frontPorts;
        this.backPorts = backPorts;
    }

    /**
     * @param name the guest domain's name (unique in the hypervisor).
     * @throws IllegalStateException when a ring cannot be connected (the parameters exceed {@code backConfig}).
     */
    public static BlkLocalPair create(
        final Hypervisor hypervisor,
        final String name,
        final BlockStore store,
        final BlkBackConfig backConfig,
        final BlkFrontConfig frontConfig)
    {
        final long frames = BlkFront.framesNeeded(frontConfig);
        final Domain guest = hypervisor.createDomain(name, (FIRST_GFN + frames) * 4096);
        final BackendGrantMapper mapper = hypervisor.grantMapper(
            Hypervisor.DOM0, guest.domid(), BackendGrantMapper.DEFAULT_MAX_MAPPINGS);
        final int queues = frontConfig.queues();
        final EventPort[] frontPorts = new EventPort[queues];
        final EventPort[] backPorts = new EventPort[queues];
        for (int q = 0; q < queues; q++)
        {
            frontPorts[q] = hypervisor.eventChannels().allocUnbound(guest.domid(), Hypervisor.DOM0);
            backPorts[q] = hypervisor.eventChannels().bindInterdomain(
                Hypervisor.DOM0, guest.domid(), frontPorts[q].port());
        }
        final BlkBack back = new BlkBack("blkback-" + guest.domid() + "-51712", store, backConfig, mapper, null);
        final BlkFront front = new BlkFront(
            guest.guestMemory(), guest.grantTable(), Hypervisor.DOM0, frontConfig, FIRST_GFN, frontPorts);
        final BlkLocalPair pair = new BlkLocalPair(hypervisor, guest, mapper, back, front, frontPorts, backPorts);
        for (int q = 0; q < queues; q++)
        {
            if (back.connectRing(q, front.queue(q).ringRefs(), frontConfig.ringPageOrder(), frontConfig.protocol(),
                backPorts[q], frontConfig.persistentGrants()) == null)
            {
                pair.close();
                throw new IllegalStateException("ring " + q + " does not connect: " + backConfig);
            }
        }
        return pair;
    }

    public BlkBack back()
    {
        return back;
    }

    public BlkFront front()
    {
        return front;
    }

    public Domain guest()
    {
        return guest;
    }

    /** Live grant mappings of the device, for leak checks. */
    public int liveMappings()
    {
        return mapper.liveMappings();
    }

    public void close()
    {
        back.close();
        front.close();
        for (int q = 0; q < frontPorts.length; q++)
        {
            frontPorts[q].close();
            backPorts[q].close();
        }
        mapper.close();
        hypervisor.destroyDomain(guest.domid());
    }
}
