package io.pvring.xenbus;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import io.pvring.xenstore.WatchEventHandler;
import io.pvring.xenstore.XenStoreException;
import io.pvring.xenstore.XsConnection;

/**
 * Brings a xenbus side's inputs onto its xenbus thread: close requests from any thread (ring threads finding a
 * protocol error) and the connection's watch events, each wakes whoever runs {@link #drain()}. Watch events are
 * copied out before they are handled because handlers read and write xenstore themselves. Shared by
 * {@link XenbusBackend} and {@link XenbusFrontend}; only {@link #requestClose} is thread-safe.
 */
final class XenbusEventPump implements XenbusDevice.CloseRequests
{
    private static final int EVENTS_PER_WORK = 64;

    /** Handles one close request, on the xenbus thread. */
    @FunctionalInterface
    interface CloseRequestHandler
    {
        void onCloseRequest(XenbusDevice device, int errno, String reason);
    }

    /** A close request (or, when {@code close} is false, an error report) on its way from another thread. */
    private record CloseRequest(XenbusDevice device, int errno, String reason, boolean close)
    {
    }

    private final XsConnection xs;
    private final CloseRequestHandler closeHandler;
    private final WatchEventHandler watchHandler;
    private final Queue<CloseRequest> closeRequests = new ConcurrentLinkedQueue<>();
    private final List<String[]> events = new ArrayList<>();
    private final WatchEventHandler collector = (path, token) -> events.add(new String[]{path, token});
    private volatile Runnable wakeup;

    /** Starts listening for watch events on {@code xs} at once. */
    XenbusEventPump(final XsConnection xs, final CloseRequestHandler closeHandler,
        final WatchEventHandler watchHandler)
    {
        this.xs = xs;
        this.closeHandler = closeHandler;
        this.watchHandler = watchHandler;
        xs.watchListener(this::wake);
    }

    void wakeup(final Runnable wakeup)
    {
        this.wakeup = wakeup;
    }

    /** The {@link XenbusDevice} close callback: queues the request and wakes the xenbus thread. Thread-safe. */
    @Override
    public void requestClose(final XenbusDevice device, final int errno, final String reason)
    {
        closeRequests.add(new CloseRequest(device, errno, reason, true));
        wake();
    }

    /** The {@link XenbusDevice} error callback: queues the report and wakes the xenbus thread. Thread-safe. */
    @Override
    public void requestError(final XenbusDevice device, final int errno, final String reason)
    {
        closeRequests.add(new CloseRequest(device, errno, reason, false));
        wake();
    }

    /** Handles every queued close request, then up to a bounded batch of watch events; returns the work done. */
    int drain()
    {
        int work = 0;
        CloseRequest request;
        while (null != (request = closeRequests.poll()))
        {
            work++;
            if (request.close())
            {
                closeHandler.onCloseRequest(request.device(), request.errno(), request.reason());
            }
            else
            {
                request.device().error(request.errno(), request.reason());
            }
        }
        events.clear();
        work += xs.drainWatchEvents(collector, EVENTS_PER_WORK);
        for (final String[] e : events)
        {
            watchHandler.onWatchEvent(e[0], e[1]);
        }
        events.clear();
        return work;
    }

    /** Stops the wakeups from watch events. */
    void stopListening()
    {
        xs.watchListener(null);
    }

    /** Removes a watch that may never have been registered, or whose connection is closed. */
    void unwatchQuietly(final String path, final String token)
    {
        try
        {
            xs.unwatch(path, token);
        }
        catch (final XenStoreException | IllegalStateException ex)
        {
            // Never registered (probe failed), already gone, or the connection is closed.
        }
    }

    private void wake()
    {
        final Runnable w = wakeup;
        if (null != w)
        {
            w.run();
        }
    }
}
