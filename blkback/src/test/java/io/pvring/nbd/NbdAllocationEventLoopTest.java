package io.pvring.nbd;

/** {@link NbdAllocationTest} on the Netty event-loop data path (the fallback where io_uring is unavailable). */
class NbdAllocationEventLoopTest extends NbdAllocationTest
{
    @Override
    NbdClientConfig.DataPath dataPath()
    {
        return NbdClientConfig.DataPath.EVENT_LOOP;
    }
}
