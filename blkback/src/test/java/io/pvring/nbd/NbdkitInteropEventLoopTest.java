package io.pvring.nbd;

/** {@link NbdkitInteropTest} on the Netty event-loop data path (the fallback where io_uring is unavailable). */
class NbdkitInteropEventLoopTest extends NbdkitInteropTest
{
    @Override
    NbdClientConfig.DataPath dataPath()
    {
        return NbdClientConfig.DataPath.EVENT_LOOP;
    }
}
