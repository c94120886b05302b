package io.pvring.event;

/**
 * One end of a bound event channel ({@code event_channel.h}): a port in a domain's port space with a pending bit
 * and a mask bit, as Xen's 2-level ABI keeps them. Notifications coalesce: many sends before a
 * {@link #consumePending()} are one event. Thread-safe; {@link #close()} is safe while the peer is notifying.
 */
public interface EventPort extends AutoCloseable
{
    int domid();

    int port();

    int remoteDomid();

    /** The peer's port number, or -1 while unbound. */
    int remotePort();

    /**
     * {@code EVTCHNOP_send}: sets the peer's pending bit and, if the peer is not masked, wakes its waiter.
     *
     * @return false when the channel is closed or not yet bound (the notification is dropped, as Xen drops it).
     */
    boolean notifyRemote();

    /**
     * The waiter of the peer's end (the one {@link #notifyRemote()} wakes), or null while unbound, closed, or the
     * peer has none: how a kick eventfd of this end finds the thread that can read it ({@link
     * EventWaiter#kickWatcher()}).
     */
    default EventWaiter remoteWaiter()
    {
        return null;
    }

    /** Test-and-clear of this end's pending bit. */
    boolean consumePending();

    boolean isPending();

    void mask();

    /** Clears the mask; a notification that arrived while masked wakes the waiter now. */
    void unmask();

    /** The waiter woken when this end becomes pending; null for none (a polling consumer). */
    void waiter(EventWaiter waiter);

    boolean isClosed();

    /** {@code EVTCHNOP_close}: idempotent; the peer's later sends return false. */
    @Override
    void close();
}
