package io.pvring.event;

/**
 * Something that sleeps until an event port it watches becomes pending: typically the idle strategy of the thread
 * that runs a device's agents. {@link #wake()} is called by the notifying thread and must be cheap when nobody
 * sleeps (no syscall unless the waiter is parked).
 */
public interface EventWaiter
{
    void wake();

    /**
     * Where a kick eventfd that notifies a port this waiter watches can be read by the waiter's own thread, or null
     * when it cannot (the default: the eventfd is then watched by the socket's event loop).
     */
    default KickWatcher kickWatcher()
    {
        return null;
    }
}
