package io.pvring.blkback;

import io.pvring.nbd.NbdClientConfig;

/** {@link NbdStoreTest} with the NBD client on the Netty event-loop data path (the fallback without io_uring). */
class NbdStoreEventLoopTest extends NbdStoreTest
{
    @Override
    NbdClientConfig.DataPath dataPath()
    {
        return NbdClientConfig.DataPath.EVENT_LOOP;
    }
}
