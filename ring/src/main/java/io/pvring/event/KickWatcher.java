package io.pvring.event;

/**
 * A waiter's thread that can read a frontend's kick eventfd itself (vhost-user's "kick"), so a kick wakes the thread
 * that runs the backend directly instead of waking a socket's event loop that then wakes it: a runner sleeping in
 * its io_uring. Found through {@link EventWaiter#kickWatcher()} of the port the kick notifies.
 *
 * <p>The descriptor stays its owner's: the watcher only reads it, from its own thread, until the watch is
 * {@linkplain KickWatch#cancel() cancelled} or the watcher stops, and then runs {@code released} once, after which
 * it never touches the descriptor again. The owner closes it, or watches it some other way again, only then.
 */
public interface KickWatcher
{
    /**
     * Starts reading {@code fd} (an eventfd); each read (8 bytes, resetting the counter: many kicks before it are
     * one) calls {@code port.notifyRemote()} on the watcher's thread. Any thread.
     *
     * @param released run once, on the watcher's thread, when the watcher no longer reads {@code fd}: after a
     *                 {@link KickWatch#cancel()}, when the watcher stops, or when it could not watch after all.
     * @return the watch, or null when this watcher cannot take it (it has stopped): nothing was started.
     */
    KickWatch watch(int fd, EventPort port, Runnable released);
}
