package io.pvring.xenstore;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An open transaction: private copies of the nodes it changed, the nodes it read as they were at first read, and the
 * generation of every node it touched as it was at first access ({@link #ABSENT} for a node that did not exist).
 * Commit succeeds only if all those generations are unchanged in the global tree (cxenstored's
 * {@code finalize_transaction}); otherwise EAGAIN. Guarded by the store lock.
 */
final class XsTransaction
{
    static final long ABSENT = -1;

    final int id;
    final long generation;
    /** Changed nodes; a null value is a node deleted in this transaction. */
    final Map<String, XsNode> overlay = new LinkedHashMap<>();
    final Map<String, Long> accessed = new HashMap<>();
    /**
     * Each node as the transaction first read it (null: absent then): later reads in the transaction see that, as
     * in xenstored, where a transaction works on its own copy of every node it accessed. Nodes are immutable, so
     * this holds references, not copies; its size is bounded with {@link #accessed} by the nodes-per-transaction
     * quota.
     */
    final Map<String, XsNode> firstRead = new HashMap<>();
    /** Watch events to fire at commit: path to "exact" (a non-exact event replaces an exact one). */
    final Map<String, Boolean> watchExact = new LinkedHashMap<>();
    final Map<String, XsPermissions> watchPerms = new HashMap<>();
    int nodesCreated;

    XsTransaction(final int id, final long generation)
    {
        this.id = id;
        this.generation = generation;
    }

    void queueWatch(final String path, final boolean exact, final XsPermissions perms)
    {
        final Boolean previous = watchExact.get(path);
        if (null == previous || !exact)
        {
            watchExact.put(path, exact);
        }
        if (null != perms)
        {
            watchPerms.putIfAbsent(path, perms);
        }
    }
}
