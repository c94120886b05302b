package io.pvring.runner;

/**
 * Told when an agent threw from {@code doWork()} or {@code onStart()}: the runner has already removed it (closed it,
 * unregistered its waker) and counted the error; the agents sharing the runner keep running. For a device, the
 * listener closes the device through xenbus (an {@code error} node, then Closing). Runs on the runner thread: it
 * must not block; hand the close to the xenbus thread.
 */
@FunctionalInterface
public interface AgentErrorListener
{
    void onAgentError(RingAgent agent, Throwable error);
}
