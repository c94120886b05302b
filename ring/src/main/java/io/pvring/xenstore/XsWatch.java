package io.pvring.xenstore;

import java.util.Iterator;
import java.util.LinkedHashSet;

/**
 * One registered watch and its pending events. Pending paths coalesce (a path already pending is not queued
 * again, as cxenstored drops duplicate events) and are bounded: past the quota they collapse into one event on
 * the watched path itself, which tells the watcher "something at or below here changed" (XSA-349).
 * Guarded by the store lock.
 */
final class XsWatch
{
    /** Canonical (absolute or {@code @special}) path. */
    final String node;
    final String token;
    /** Characters to strip from event paths: the implicit {@code /local/domain/<id>/} of a relative watch. */
    final int prefixLength;
    private final LinkedHashSet<String> pending = new LinkedHashSet<>();
    private boolean collapsed;
    private long pendingBytes;
    /** The last {@link #queue} dropped its event for the budget. */
    boolean dropped;

    XsWatch(final String node, final String token, final int prefixLength)
    {
        this.node = node;
        this.token = token;
        this.prefixLength = prefixLength;
    }

    /** The path as the watcher registered it. */
    String watchPath()
    {
        return node.substring(prefixLength);
    }

    /**
     * Queues an event for canonical {@code path}; false when it coalesced into one already pending, or when it
     * would take more than {@code budgetBytes} (its {@link #eventBytes} on the wire): then it is dropped, as
     * xenstored drops a watch event past the domain's memory quota (XSA-326).
     */
    boolean queue(final String path, final int maxPending, final long budgetBytes)
    {
        dropped = false;
        if (collapsed)
        {
            return false;
        }
        final String eventPath = path.substring(prefixLength);
        if (pending.contains(eventPath))
        {
            return false;
        }
        if (pending.size() >= maxPending)
        {
            pending.clear();
            pending.add(watchPath());
            pendingBytes = eventBytes(watchPath());
            collapsed = true;
            return true;
        }
        final long size = eventBytes(eventPath);
        if (size > budgetBytes)
        {
            dropped = true;
            return false;
        }
        pending.add(eventPath);
        pendingBytes += size;
        return true;
    }

    /** An event's size on the wire: {@code xsd_sockmsg} header, path and token, each NUL-terminated. */
    long eventBytes(final String eventPath)
    {
        return XsSockMsgDescriptor.HEADER_LENGTH + eventPath.length() + 1 + token.length() + 1;
    }

    long pendingBytes()
    {
        return pendingBytes;
    }

    boolean hasPending()
    {
        return !pending.isEmpty();
    }

    int pendingCount()
    {
        return pending.size();
    }

    /** Removes and returns the oldest pending event path. */
    String poll()
    {
        final Iterator<String> it = pending.iterator();
        final String path = it.next();
        it.remove();
        pendingBytes -= eventBytes(path);
        if (pending.isEmpty())
        {
            collapsed = false;
            pendingBytes = 0;
        }
        return path;
    }

    void clearPending()
    {
        pending.clear();
        collapsed = false;
        pendingBytes = 0;
    }
}
