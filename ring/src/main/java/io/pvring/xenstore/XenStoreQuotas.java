package io.pvring.xenstore;

/**
 * Limits an unprivileged domain cannot exceed, with cxenstored's defaults ({@code hard_quotas}). They bound the
 * memory a hostile guest can make the store use. Privileged connections are not limited, except by the wire
 * limits of {@code xs_wire.h} and {@link #maxPendingEventsPerWatch}, which protects the store from any watcher
 * that stops reading (XSA-349).
 *
 * @param nodesPerDomain        nodes a domain may own ({@code -E}, default 1000); past it ENOSPC.
 * @param nodeSize              bytes of value plus child names per node ({@code -S}, default 2048); ENOSPC.
 * @param watchesPerDomain      watches of one domain, all its connections together ({@code -W}, default 128); E2BIG.
 * @param transactionsPerDomain open transactions of one domain, all its connections together ({@code -t}, default
 *                              10); ENOSPC.
 * @param permsPerNode          permission entries per node ({@code -A}, default 5); ENOSPC.
 * @param nodesPerTransaction   nodes one transaction may touch (default 1024); ENOSPC.
 * @param maxPendingEventsPerWatch distinct paths pending per watch before they collapse into one event on the
 *                              watched path (applies to every connection).
 * @param watchEventBytesPerDomain bytes of undelivered watch events (as sent on the wire) an unprivileged domain's
 *                              connections may hold together, and a privileged connection on its own; an event
 *                              past it is dropped, as xenstored drops events past a domain's memory quota
 *                              (XSA-326). Default 64 KiB.
 * @param outstandingRequestsPerDomain requests of one domain answered on its sockets whose replies it has not
 *                              taken, all its connections together; at the quota its requests wait unread
 *                              (xenstored's {@code -Q outstanding}, default 20, XSA-326).
 */
public record XenStoreQuotas(
    int nodesPerDomain,
    int nodeSize,
    int watchesPerDomain,
    int transactionsPerDomain,
    int permsPerNode,
    int nodesPerTransaction,
    int maxPendingEventsPerWatch,
    long watchEventBytesPerDomain,
    int outstandingRequestsPerDomain)
{
    public static final XenStoreQuotas DEFAULT =
        new XenStoreQuotas(1000, 2048, 128, 10, 5, 1024, 256, 64 * 1024, 20);

    public XenStoreQuotas
    {
        if (nodesPerDomain < 1 || nodeSize < 1 || watchesPerDomain < 1 || transactionsPerDomain < 1 ||
            permsPerNode < 1 || nodesPerTransaction < 1 || maxPendingEventsPerWatch < 1 ||
            watchEventBytesPerDomain < XsSockMsgDescriptor.HEADER_LENGTH + XsSockMsgDescriptor.XENSTORE_PAYLOAD_MAX ||
            outstandingRequestsPerDomain < 1)
        {
            throw new IllegalArgumentException("quotas must be positive: " + this);
        }
    }
}
