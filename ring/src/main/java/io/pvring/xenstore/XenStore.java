package io.pvring.xenstore;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import static io.pvring.xenstore.XsPermissions.PERM_BOTH;
import static io.pvring.xenstore.XsPermissions.PERM_NONE;
import static io.pvring.xenstore.XsPermissions.PERM_OWNER;
import static io.pvring.xenstore.XsPermissions.PERM_READ;
import static io.pvring.xenstore.XsPermissions.PERM_WRITE;
import static io.pvring.xenstore.XsSockMsgDescriptor.XENSTORE_ABS_PATH_MAX;
import static io.pvring.xenstore.XsSockMsgDescriptor.XENSTORE_PAYLOAD_MAX;
import static io.pvring.xenstore.XsSockMsgDescriptor.XENSTORE_REL_PATH_MAX;

/**
 * The xenstore tree, in process, with the semantics of Xen's C daemon (cxenstored): node permissions inherited
 * by new children, watches that fire on the watched path and anything below it (and once at registration),
 * transactions whose commit fails with EAGAIN when a node they touched changed since, path limits of
 * {@code xs_wire.h} and per-domain quotas.
 *
 * <p>Callers use it through a {@link XsConnection} per domain, which carries the caller's domid for permission
 * checks. All operations are serialised by one lock (xenstore is a control path, never a ring hot path); watch
 * listeners are signalled after the lock is released.
 */
public final class XenStore
{
    public static final int DOM0 = 0;
    public static final String INTRODUCE_DOMAIN = "@introduceDomain";
    public static final String RELEASE_DOMAIN = "@releaseDomain";

    private static final String LOCAL_DOMAIN = "/local/domain/";

    private final Object lock = new Object();
    private final XenStoreQuotas quotas;
    private final Map<String, XsNode> nodes = new HashMap<>();
    private final Map<Integer, Integer> ownedNodes = new HashMap<>();
    private final List<XsConnection> connections = new ArrayList<>();
    private final Set<Integer> introduced = new HashSet<>();
    private final Map<Integer, Integer> targets = new HashMap<>();
    private final List<XsConnection> toSignal = new ArrayList<>();
    private long generation;
    private long droppedWatchEvents;
    private final Map<Integer, OutstandingRequests> outstanding = new HashMap<>();

    public XenStore()
    {
        this(XenStoreQuotas.DEFAULT);
    }

    public XenStore(final XenStoreQuotas quotas)
    {
        this.quotas = quotas;
        final XsPermissions dom0Only = XsPermissions.of(DOM0, PERM_NONE);
        // cxenstored's setup_structure plus the /local/domain skeleton the toolstack creates at boot.
        putGlobal("/", new XsNode(XsNode.EMPTY, dom0Only, List.of("tool", "local"), 0));
        putGlobal("/tool", new XsNode(XsNode.EMPTY, dom0Only, List.of("xenstored"), 0));
        putGlobal("/tool/xenstored", new XsNode(XsNode.EMPTY, dom0Only, List.of(), 0));
        putGlobal("/local", new XsNode(XsNode.EMPTY, XsPermissions.of(DOM0, PERM_READ), List.of("domain"), 0));
        putGlobal("/local/domain", new XsNode(XsNode.EMPTY, XsPermissions.of(DOM0, PERM_READ), List.of(), 0));
        putGlobal(INTRODUCE_DOMAIN, new XsNode(XsNode.EMPTY, dom0Only, List.of(), 0));
        putGlobal(RELEASE_DOMAIN, new XsNode(XsNode.EMPTY, dom0Only, List.of(), 0));
        introduced.add(DOM0);
    }

    public XenStoreQuotas quotas()
    {
        return quotas;
    }

    /**
     * The requests of unprivileged domain {@code domid} answered on a socket whose replies its client has not
     * taken yet, shared by all its connections (xenstored's per-domain "outstanding" quota).
     */
    public OutstandingRequests outstandingRequests(final int domid)
    {
        return call(() -> outstanding.computeIfAbsent(domid,
            d -> new OutstandingRequests(quotas.outstandingRequestsPerDomain())));
    }

    /** A connection for {@code domid}; dom0 is privileged, every other domain is not. */
    public XsConnection connect(final int domid)
    {
        return connect(domid, domid == DOM0);
    }

    /** A connection for {@code domid}, privileged (a tool or driver domain with dom0's rights) or not. */
    public XsConnection connect(final int domid, final boolean privileged)
    {
        if (domid < 0 || domid > 0xFFFF)
        {
            throw new IllegalArgumentException("domid=" + domid);
        }
        final XsConnection c = new XsConnection(this, domid, privileged);
        synchronized (lock)
        {
            connections.add(c);
        }
        return c;
    }

    /** {@code /local/domain/<domid>}, the base of a domain's relative paths. */
    public static String domainPath(final int domid)
    {
        return LOCAL_DOMAIN + domid;
    }

    /** {@code XS_INTRODUCE}: the domain is known to the store; fires {@code @introduceDomain}. */
    public void introduceDomain(final int domid)
    {
        call(() ->
        {
            introduced.add(domid);
            fireSpecial(INTRODUCE_DOMAIN);
            return null;
        });
    }

    /** {@code XS_RELEASE}: fires {@code @releaseDomain}; ENOENT if the domain was not introduced. */
    public void releaseDomain(final int domid)
    {
        call(() ->
        {
            if (domid == DOM0)
            {
                throw new XenStoreException(XsError.EINVAL, "dom0 cannot be released");
            }
            if (!introduced.remove(domid))
            {
                throw new XenStoreException(XsError.ENOENT, "domid=" + domid);
            }
            targets.remove(domid);
            fireSpecial(RELEASE_DOMAIN);
            return null;
        });
    }

    public boolean isDomainIntroduced(final int domid)
    {
        return call(() -> introduced.contains(domid));
    }

    /** {@code XS_RESUME}: ENOENT for an unknown domain; nothing else to do for an emulated domain. */
    public void resumeDomain(final int domid)
    {
        call(() ->
        {
            if (!introduced.contains(domid))
            {
                throw new XenStoreException(XsError.ENOENT, "domid=" + domid);
            }
            return null;
        });
    }

    /** {@code XS_SET_TARGET}: {@code domid} (a device model stub domain) gets owner rights on its target's nodes. */
    public void setTarget(final int domid, final int target)
    {
        call(() ->
        {
            if (!introduced.contains(domid) || !introduced.contains(target))
            {
                throw new XenStoreException(XsError.ENOENT, "domid=" + domid + " target=" + target);
            }
            targets.put(domid, target);
            return null;
        });
    }

    /** Verifies the tree's invariants (every child listed exists, every node is listed by its parent). */
    public boolean check()
    {
        return call(() ->
        {
            int reachable = 0;
            final List<String> stack = new ArrayList<>(List.of("/"));
            while (!stack.isEmpty())
            {
                final String path = stack.remove(stack.size() - 1);
                final XsNode n = nodes.get(path);
                if (null == n)
                {
                    return false;
                }
                reachable++;
                for (final String child : n.children)
                {
                    stack.add(childPath(path, child));
                }
            }
            return reachable + 2 == nodes.size();
        });
    }

    /** Watch events queued on all connections and not yet drained: bounded whatever the watchers do (XSA-349). */
    public int pendingWatchEvents()
    {
        return call(() ->
        {
            int n = 0;
            for (final XsConnection c : connections)
            {
                n += c.pendingEventsLocked();
            }
            return n;
        });
    }

    /** Watch events dropped because their watcher was over its quota of pending event bytes. */
    public long droppedWatchEvents()
    {
        return call(() -> droppedWatchEvents);
    }

    /** Bytes of watch events queued for {@code domid}'s unprivileged connections and not yet drained. */
    public long pendingWatchEventBytes(final int domid)
    {
        return call(() ->
        {
            long n = 0;
            for (final XsConnection c : connections)
            {
                if (!c.privileged() && c.domid() == domid)
                {
                    n += c.pendingEventBytesLocked();
                }
            }
            return n;
        });
    }

    /** Open connections (in process and socket clients). */
    public int connectionCount()
    {
        return call(connections::size);
    }

    /** Number of nodes in the tree (including the two special nodes), for leak and quota tests. */
    public int nodeCount()
    {
        return call(nodes::size);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Operations behind XsConnection: all run under the lock through call().

    <T> T call(final Supplier<T> op)
    {
        final XsConnection[] signal;
        final T result;
        synchronized (lock)
        {
            try
            {
                result = op.get();
            }
            finally
            {
                signal = toSignal.toArray(new XsConnection[0]);
                toSignal.clear();
            }
        }
        for (final XsConnection c : signal)
        {
            c.signal();
        }
        return result;
    }

    Object lock()
    {
        return lock;
    }

    byte[] read(final XsConnection c, final int txId, final String path)
    {
        final XsTransaction tx = c.transaction(txId);
        return getChecked(c, tx, canonicalize(c, path, false), PERM_READ, false).value;
    }

    List<String> directory(final XsConnection c, final int txId, final String path)
    {
        final XsTransaction tx = c.transaction(txId);
        return getChecked(c, tx, canonicalize(c, path, false), PERM_READ, false).children;
    }

    /** {@code XS_DIRECTORY_PART} reply, byte for byte as cxenstored builds it. */
    byte[] directoryPart(final XsConnection c, final int txId, final String path, final int offset)
    {
        final XsTransaction tx = c.transaction(txId);
        final XsNode n = getChecked(c, tx, canonicalize(c, path, false), PERM_READ, false);
        final StringBuilder all = new StringBuilder();
        for (final String child : n.children)
        {
            all.append(child).append('\0');
        }
        final byte[] children = all.toString().getBytes(StandardCharsets.US_ASCII);
        final byte[] gen = (Long.toUnsignedString(n.generation) + '\0').getBytes(StandardCharsets.US_ASCII);
        final int childLen = children.length;
        if (offset < 0 || offset >= childLen)
        {
            final byte[] out = new byte[gen.length + 1];
            System.arraycopy(gen, 0, out, 0, gen.length);
            return out;
        }
        final int maxLen = XENSTORE_PAYLOAD_MAX - gen.length - 1;
        int len = 0;
        int child = offset;
        while (len + strlen(children, child) < maxLen)
        {
            final int l = strlen(children, child) + 1;
            len += l;
            child += l;
            if (offset + len == childLen)
            {
                break;
            }
        }
        final boolean end = offset + len == childLen;
        final byte[] out = new byte[gen.length + len + (end ? 1 : 0)];
        System.arraycopy(gen, 0, out, 0, gen.length);
        System.arraycopy(children, offset, out, gen.length, len);
        return out;
    }

    XsPermissions getPerms(final XsConnection c, final int txId, final String path)
    {
        final XsTransaction tx = c.transaction(txId);
        return getChecked(c, tx, canonicalize(c, path, true), PERM_READ, false).perms;
    }

    void write(final XsConnection c, final int txId, final String path, final byte[] value)
    {
        final XsTransaction tx = c.transaction(txId);
        final String name = canonicalize(c, path, false);
        if (name.length() + 1 + value.length > XENSTORE_PAYLOAD_MAX)
        {
            throw new XenStoreException(XsError.E2BIG, "value length=" + value.length);
        }
        if (!c.privileged() && value.length > quotas.nodeSize())
        {
            throw new XenStoreException(XsError.ENOSPC, "value length=" + value.length);
        }
        final XsNode existing = getChecked(c, tx, name, PERM_WRITE, true);
        final XsNode written;
        if (null == existing)
        {
            written = create(c, tx, name, value);
        }
        else
        {
            written = existing.withValue(value.clone());
            if (!c.privileged() && written.accountedBytes() > quotas.nodeSize())
            {
                throw new XenStoreException(XsError.ENOSPC, "node size=" + written.accountedBytes());
            }
            put(c, tx, name, written);
        }
        fire(tx, name, false, written.perms, null);
    }

    void mkdir(final XsConnection c, final int txId, final String path)
    {
        final XsTransaction tx = c.transaction(txId);
        final String name = canonicalize(c, path, false);
        if (null == getChecked(c, tx, name, PERM_WRITE, true))
        {
            final XsNode created = create(c, tx, name, XsNode.EMPTY);
            fire(tx, name, false, created.perms, null);
        }
    }

    void rm(final XsConnection c, final int txId, final String path)
    {
        final XsTransaction tx = c.transaction(txId);
        final String name = canonicalize(c, path, false);
        final XsNode node = getChecked(c, tx, name, PERM_WRITE, true);
        if (null == node)
        {
            // "Didn't exist already? Fine, if parent exists."
            if (null != get(c, tx, parent(name)))
            {
                return;
            }
            throw new XenStoreException(XsError.ENOENT, name);
        }
        if ("/".equals(name))
        {
            throw new XenStoreException(XsError.EINVAL, "cannot remove /");
        }
        final List<String> preOrder = new ArrayList<>();
        final List<XsNode> preOrderNodes = new ArrayList<>();
        preOrder.add(name);
        preOrderNodes.add(node);
        for (int i = 0; i < preOrder.size(); i++)
        {
            for (final String child : preOrderNodes.get(i).children)
            {
                final String childName = childPath(preOrder.get(i), child);
                final XsNode childNode = get(c, tx, childName);
                if (null != childNode)
                {
                    preOrder.add(childName);
                    preOrderNodes.add(childNode);
                }
            }
        }
        final String parentName = parent(name);
        final XsNode parentNode = get(c, tx, parentName);
        for (int i = preOrder.size() - 1; i >= 0; i--)
        {
            // The removed subtree's root fires every watch at or above it; each node below fires exact watches.
            fire(tx, preOrder.get(i), i != 0, preOrderNodes.get(i).perms, null);
            put(c, tx, preOrder.get(i), null);
        }
        put(c, tx, parentName, parentNode.withoutChild(basename(name)));
    }

    void setPerms(final XsConnection c, final int txId, final String path, final XsPermissions perms)
    {
        final XsTransaction tx = c.transaction(txId);
        if (!c.privileged() && perms.size() > quotas.permsPerNode())
        {
            throw new XenStoreException(XsError.ENOSPC, "permissions=" + perms.size());
        }
        final String name = canonicalize(c, path, true);
        final XsNode node = getChecked(c, tx, name, PERM_WRITE | PERM_OWNER, false);
        if (!c.privileged() && perms.owner() != node.perms.owner())
        {
            throw new XenStoreException(XsError.EPERM, "unprivileged domains may not change the owner");
        }
        put(c, tx, name, node.withPerms(perms));
        fire(tx, name, false, perms, node.perms);
    }

    void watch(final XsConnection c, final String path, final String token)
    {
        final String name = canonicalize(c, path, true);
        final boolean relative = path.charAt(0) != '/' && path.charAt(0) != '@';
        if (token.indexOf('\0') >= 0)
        {
            throw new XenStoreException(XsError.EINVAL, "token contains NUL");
        }
        for (final XsWatch w : c.watches())
        {
            if (w.node.equals(name) && w.token.equals(token))
            {
                throw new XenStoreException(XsError.EEXIST, name);
            }
        }
        if (!c.privileged())
        {
            // Per domain, as xenstored counts them: more connections do not buy a guest more watches.
            int n = 0;
            for (final XsConnection other : connections)
            {
                n += !other.privileged() && other.domid() == c.domid() ? other.watches().size() : 0;
            }
            if (n >= quotas.watchesPerDomain())
            {
                throw new XenStoreException(XsError.E2BIG, "watches of domain " + c.domid() + "=" + n);
            }
        }
        final XsWatch w = new XsWatch(name, token, relative ? domainPath(c.domid()).length() + 1 : 0);
        c.watches().add(w);
        // "We fire once up front: simplifies clients and restart."
        queueEvent(c, w, name);
    }

    private int domainTransactions(final int domid)
    {
        int n = 0;
        for (final XsConnection other : connections)
        {
            n += !other.privileged() && other.domid() == domid ? other.transactionCount() : 0;
        }
        return n;
    }

    void unwatch(final XsConnection c, final String path, final String token)
    {
        final String name = canonicalize(c, path, true);
        for (final XsWatch w : c.watches())
        {
            if (w.node.equals(name) && w.token.equals(token))
            {
                c.removeWatch(w);
                return;
            }
        }
        throw new XenStoreException(XsError.ENOENT, name);
    }

    int transactionStart(final XsConnection c, final int txId)
    {
        if (null != c.transaction(txId))
        {
            throw new XenStoreException(XsError.EBUSY, "nested transaction");
        }
        if (!c.privileged() && domainTransactions(c.domid()) >= quotas.transactionsPerDomain())
        {
            throw new XenStoreException(XsError.ENOSPC, "transactions of domain " + c.domid() + "=" +
                domainTransactions(c.domid()));
        }
        return c.addTransaction(++generation);
    }

    /** Ends a transaction; false when a commit conflicted (EAGAIN). The transaction is gone either way. */
    boolean transactionEnd(final XsConnection c, final int txId, final boolean commit)
    {
        final XsTransaction tx = c.transaction(txId);
        if (null == tx)
        {
            throw new XenStoreException(XsError.ENOENT, "no transaction");
        }
        c.removeTransaction(txId);
        if (!commit)
        {
            return true;
        }
        for (final Map.Entry<String, Long> e : tx.accessed.entrySet())
        {
            final XsNode current = nodes.get(e.getKey());
            final long currentGeneration = null == current ? XsTransaction.ABSENT : current.generation;
            if (currentGeneration != e.getValue())
            {
                return false;
            }
        }
        if (!c.privileged() && tx.nodesCreated > 0)
        {
            checkNodeQuotaAtCommit(c.domid(), tx);
        }
        for (final Map.Entry<String, XsNode> e : tx.overlay.entrySet())
        {
            putGlobal(e.getKey(), e.getValue());
        }
        for (final Map.Entry<String, Boolean> e : tx.watchExact.entrySet())
        {
            final XsNode now = nodes.get(e.getKey());
            fire(null, e.getKey(), e.getValue(), null == now ? null : now.perms, tx.watchPerms.get(e.getKey()));
        }
        return true;
    }

    /**
     * Each transaction checks the node quota against the nodes the domain owned when the transaction created them,
     * so transactions open side by side could each stay under it and together exceed it: the commit checks again
     * with what the domain owns now (cxenstored's {@code transaction_fix_domains} with {@code chk_quota}).
     */
    private void checkNodeQuotaAtCommit(final int domid, final XsTransaction tx)
    {
        int delta = 0;
        for (final Map.Entry<String, XsNode> e : tx.overlay.entrySet())
        {
            final XsNode before = nodes.get(e.getKey());
            delta -= null != before && before.perms.owner() == domid ? 1 : 0;
            delta += null != e.getValue() && e.getValue().perms.owner() == domid ? 1 : 0;
        }
        final int owned = ownedNodes.getOrDefault(domid, 0);
        if (delta > 0 && owned + delta > quotas.nodesPerDomain())
        {
            throw new XenStoreException(XsError.ENOSPC, "nodes=" + owned + "+" + delta + " at commit");
        }
    }

    void disconnect(final XsConnection c)
    {
        connections.remove(c);
    }

    // ---------------------------------------------------------------------------------------------------------

    /**
     * cxenstored's {@code canonicalize}: valid characters only, relative paths below the caller's domain path,
     * no trailing or double slash, path length limits. Special {@code @} names only where allowed.
     */
    private static String canonicalize(final XsConnection c, final String path, final boolean allowSpecial)
    {
        if (null == path || path.isEmpty())
        {
            throw new XenStoreException(XsError.EINVAL, "empty path");
        }
        for (int i = 0, n = path.length(); i < n; i++)
        {
            final char ch = path.charAt(i);
            final boolean ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                ch == '-' || ch == '/' || ch == '_' || ch == '@';
            if (!ok)
            {
                throw new XenStoreException(XsError.EINVAL, "invalid character in path");
            }
        }
        final char first = path.charAt(0);
        if (first == '@' && !allowSpecial)
        {
            throw new XenStoreException(XsError.EINVAL, "special path " + path);
        }
        final String name = first == '/' || first == '@' ? path : domainPath(c.domid()) + "/" + path;
        if ((name.length() > 1 && name.endsWith("/")) || name.contains("//"))
        {
            throw new XenStoreException(XsError.EINVAL, "malformed path");
        }
        if (name.length() > XENSTORE_ABS_PATH_MAX || name.length() - localPrefixLength(name) > XENSTORE_REL_PATH_MAX)
        {
            throw new XenStoreException(XsError.EINVAL, "path too long: " + name.length());
        }
        return name;
    }

    /** Length of a leading {@code /local/domain/<up to 5 digits>/}, else 0. */
    private static int localPrefixLength(final String name)
    {
        if (!name.startsWith(LOCAL_DOMAIN))
        {
            return 0;
        }
        int i = LOCAL_DOMAIN.length();
        final int start = i;
        while (i < name.length() && i - start < 5 && Character.isDigit(name.charAt(i)))
        {
            i++;
        }
        return i > start && i < name.length() && name.charAt(i) == '/' ? i + 1 : 0;
    }

    static String parent(final String name)
    {
        final int slash = name.lastIndexOf('/');
        return slash <= 0 ? "/" : name.substring(0, slash);
    }

    static String basename(final String name)
    {
        return name.substring(name.lastIndexOf('/') + 1);
    }

    static String childPath(final String parent, final String child)
    {
        return "/".equals(parent) ? "/" + child : parent + "/" + child;
    }

    private XsNode get(final XsConnection c, final XsTransaction tx, final String path)
    {
        if (null == tx)
        {
            return nodes.get(path);
        }
        if (tx.overlay.containsKey(path))
        {
            return tx.overlay.get(path);
        }
        if (tx.firstRead.containsKey(path))
        {
            return tx.firstRead.get(path); // stable reads: what the transaction saw first, whatever changed since
        }
        recordAccess(c, tx, path);
        final XsNode n = nodes.get(path);
        tx.firstRead.put(path, n);
        return n;
    }

    private void recordAccess(final XsConnection c, final XsTransaction tx, final String path)
    {
        if (!tx.accessed.containsKey(path))
        {
            if (!c.privileged() && tx.accessed.size() >= quotas.nodesPerTransaction())
            {
                throw new XenStoreException(XsError.ENOSPC, "transaction nodes=" + tx.accessed.size());
            }
            final XsNode n = nodes.get(path);
            tx.accessed.put(path, null == n ? XsTransaction.ABSENT : n.generation);
        }
    }

    private void put(final XsConnection c, final XsTransaction tx, final String path, final XsNode node)
    {
        if (null == tx)
        {
            putGlobal(path, node);
            return;
        }
        recordAccess(c, tx, path);
        tx.overlay.put(path, node);
    }

    private void putGlobal(final String path, final XsNode node)
    {
        final XsNode old = null == node ? nodes.remove(path) : nodes.put(path, node.withGeneration(++generation));
        if (null != old)
        {
            ownedNodes.merge(old.perms.owner(), -1, Integer::sum);
        }
        if (null != node)
        {
            ownedNodes.merge(node.perms.owner(), 1, Integer::sum);
        }
    }

    private int permFor(final XsConnection c, final XsPermissions perms)
    {
        final int target = targets.getOrDefault(c.domid(), -1);
        if (c.privileged() || perms.owner() == c.domid() || perms.owner() == target)
        {
            return PERM_BOTH | PERM_OWNER;
        }
        for (int i = 1; i < perms.size(); i++)
        {
            if (perms.domid(i) == c.domid() || perms.domid(i) == target)
            {
                return perms.perm(i);
            }
        }
        return perms.perm(0);
    }

    /**
     * cxenstored's {@code get_node} + {@code errno_from_parents}: a node the caller may not access does not exist
     * for it, and ENOENT is only told to a caller that could access the nearest existing ancestor.
     *
     * @param nullIfAbsent return null instead of throwing ENOENT (write, mkdir and rm create or tolerate).
     */
    private XsNode getChecked(
        final XsConnection c, final XsTransaction tx, final String name, final int perm, final boolean nullIfAbsent)
    {
        final XsNode n = get(c, tx, name);
        XsError error = null;
        if (null == n)
        {
            error = XsError.ENOENT;
        }
        else if ((permFor(c, n.perms) & perm) != perm)
        {
            error = XsError.EACCES;
        }
        if (null == error)
        {
            return n;
        }
        String p = name;
        XsNode ancestor;
        do
        {
            p = parent(p);
            ancestor = get(c, tx, p);
        }
        while (null == ancestor && !"/".equals(p));
        if (null == ancestor || (permFor(c, ancestor.perms) & perm) == 0)
        {
            error = XsError.EACCES;
        }
        if (error == XsError.ENOENT && nullIfAbsent)
        {
            return null;
        }
        throw new XenStoreException(error, name);
    }

    /** cxenstored's {@code construct_node}/{@code create_node}: creates missing ancestors, inheriting perms. */
    private XsNode create(final XsConnection c, final XsTransaction tx, final String name, final byte[] value)
    {
        final List<String> missing = new ArrayList<>();
        missing.add(name);
        String existing = parent(name);
        XsNode existingNode;
        while (null == (existingNode = get(c, tx, existing)))
        {
            missing.add(existing);
            existing = parent(existing);
        }
        if (!c.privileged())
        {
            final int owned = ownedNodes.getOrDefault(c.domid(), 0) + (null == tx ? 0 : tx.nodesCreated);
            if (owned + missing.size() > quotas.nodesPerDomain())
            {
                throw new XenStoreException(XsError.ENOSPC, "nodes=" + owned);
            }
            if (existingNode.accountedBytes() + basename(missing.get(missing.size() - 1)).length() + 1 >
                quotas.nodeSize())
            {
                throw new XenStoreException(XsError.ENOSPC, "node size of " + existing);
            }
        }
        if (null != tx)
        {
            tx.nodesCreated += missing.size();
        }
        XsNode parentNode = existingNode;
        String parentName = existing;
        XsNode created = null;
        for (int i = missing.size() - 1; i >= 0; i--)
        {
            final String childName = missing.get(i);
            put(c, tx, parentName, parentNode.withChild(basename(childName)));
            final XsPermissions perms = c.privileged() ? parentNode.perms : parentNode.perms.withOwner(c.domid());
            created = new XsNode(i == 0 ? value.clone() : XsNode.EMPTY, perms, List.of(), 0);
            put(c, tx, childName, created);
            parentNode = created;
            parentName = childName;
        }
        return created;
    }

    private void fireSpecial(final String special)
    {
        final XsNode n = nodes.get(special);
        fire(null, special, true, n.perms, null);
    }

    /** cxenstored's {@code fire_watches}; inside a transaction the events wait for the commit. */
    private void fire(
        final XsTransaction tx, final String name, final boolean exact, final XsPermissions perms,
        final XsPermissions oldPerms)
    {
        if (null != tx)
        {
            tx.queueWatch(name, exact, oldPerms);
            return;
        }
        for (final XsConnection c : connections)
        {
            if (c.watches().isEmpty() || !watchPermitted(c, name, perms, oldPerms))
            {
                continue;
            }
            for (final XsWatch w : c.watches())
            {
                if (exact ? name.equals(w.node) : isChild(name, w.node))
                {
                    queueEvent(c, w, name);
                }
            }
        }
    }

    /**
     * Queues an event unless it would take the watcher past {@link XenStoreQuotas#watchEventBytesPerDomain()}
     * (an unprivileged domain's connections together; a privileged connection on its own): then it is dropped and
     * counted, the policy xenstored adopted for XSA-326 ("in case adding a watch event for a guest is causing the
     * hard memory quota of that guest to be violated, the event is dropped").
     */
    private void queueEvent(final XsConnection c, final XsWatch w, final String name)
    {
        long used = c.pendingEventBytesLocked();
        if (!c.privileged())
        {
            used = 0;
            for (final XsConnection other : connections)
            {
                if (!other.privileged() && other.domid() == c.domid())
                {
                    used += other.pendingEventBytesLocked();
                }
            }
        }
        final long budget = quotas.watchEventBytesPerDomain() - used;
        final boolean signal = c.queueEvent(w, name, quotas.maxPendingEventsPerWatch(), budget);
        if (w.dropped)
        {
            droppedWatchEvents++;
        }
        if (signal && !toSignal.contains(c))
        {
            toSignal.add(c);
        }
    }

    /** The watcher may read the node (now or before a permission change), or its parent. */
    private boolean watchPermitted(
        final XsConnection c, final String name, final XsPermissions perms, final XsPermissions oldPerms)
    {
        if (c.privileged())
        {
            return true;
        }
        if (null != oldPerms && (permFor(c, oldPerms) & PERM_READ) != 0)
        {
            return true;
        }
        if (null != perms && (permFor(c, perms) & PERM_READ) != 0)
        {
            return true;
        }
        final XsNode parent = nodes.get(parent(name));
        return null != parent && (permFor(c, parent.perms) & PERM_READ) != 0;
    }

    /** Is {@code child} the node {@code parent} or below it? {@code /} is everybody's parent. */
    static boolean isChild(final String child, final String parent)
    {
        if ("/".equals(parent))
        {
            return true;
        }
        return child.startsWith(parent) && (child.length() == parent.length() || child.charAt(parent.length()) == '/');
    }

    private static int strlen(final byte[] b, final int from)
    {
        int i = from;
        while (i < b.length && b[i] != 0)
        {
            i++;
        }
        return i - from;
    }
}
