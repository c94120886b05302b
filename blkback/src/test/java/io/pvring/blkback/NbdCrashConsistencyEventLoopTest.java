package io.pvring.blkback;

import io.pvring.nbd.NbdClientConfig;

/** {@link NbdCrashConsistencyTest} with the NBD client on the Netty event-loop data path (the fallback). */
class NbdCrashConsistencyEventLoopTest extends NbdCrashConsistencyTest
{
    @Override
    NbdClientConfig.DataPath dataPath()
    {
        return NbdClientConfig.DataPath.EVENT_LOOP;
    }
}
