package io.pvring.nbd;

/** {@link QemuNbdInteropTest} on the Netty event-loop data path (the fallback where io_uring is unavailable). */
class QemuNbdInteropEventLoopTest extends QemuNbdInteropTest
{
    @Override
    NbdClientConfig.DataPath dataPath()
    {
        return NbdClientConfig.DataPath.EVENT_LOOP;
    }
}
