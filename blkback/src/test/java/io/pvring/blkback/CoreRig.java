package io.pvring.blkback;

import io.pvring.blkback.local.BlkLocalPair;
import io.pvring.blkback.store.BlockStore;
import io.pvring.blkfront.BlkFront;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.host.Hypervisor;

/** A {@link BlkLocalPair} on its own hypervisor, for allocation checks and the hand-run throughput loops. */
final class CoreRig implements AutoCloseable
{
    final Hypervisor hypervisor = new Hypervisor();
    final BlkLocalPair pair;
    final BlkBack back;
    final BlkFront front;

    CoreRig(final BlockStore store, final BlkBackConfig backConfig, final BlkFrontConfig frontConfig)
    {
        pair = BlkLocalPair.create(hypervisor, "guest", store, backConfig, frontConfig);
        back = pair.back();
        front = pair.front();
    }

    public void close()
    {
        pair.close();
        hypervisor.close();
    }
}
