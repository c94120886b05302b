package io.pvring.xenstore;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.pvring.xenstore.XsSockMsgDescriptor.XBT_NULL;

/**
 * A client of the {@link XenStore}, acting for one domain: the in-process equivalent of a libxenstore handle.
 * Every operation is checked against the node permissions for {@link #domid()} (privileged connections, like
 * dom0's, may do anything). Errors are thrown as {@link XenStoreException} carrying the wire error.
 *
 * <p>Transactions are ids as on the wire ({@link XsSockMsgDescriptor#XBT_NULL} = none). Watch events queue on
 * the connection, coalesced per path and bounded; the owner drains them with {@link #drainWatchEvents} on its
 * own thread, after the {@link #watchListener(Runnable) listener} told it there is something to drain.
 * Thread-safe.
 */
public final class XsConnection implements AutoCloseable
{
    private static final int MAX_COMMIT_ATTEMPTS = 64;

    private final XenStore store;
    private final int domid;
    private final boolean privileged;
    private final String domainPath;
    // Guarded by the store lock.
    private final List<XsWatch> watches = new ArrayList<>();
    private final ArrayDeque<XsWatch> ready = new ArrayDeque<>();
    private final Map<Integer, XsTransaction> transactions = new HashMap<>();
    private int pendingEvents;
    private long pendingEventBytes;
    private int nextTransactionId = 1;
    private boolean closed;
    private volatile Runnable listener;

    XsConnection(final XenStore store, final int domid, final boolean privileged)
    {
        this.store = store;
        this.domid = domid;
        this.privileged = privileged;
        this.domainPath = XenStore.domainPath(domid);
    }

    /** Body of a transaction retried on EAGAIN by {@link #transact}. */
    @FunctionalInterface
    public interface TransactionBody<T>
    {
        T run(int tx);
    }

    public int domid()
    {
        return domid;
    }

    public boolean privileged()
    {
        return privileged;
    }

    /** {@code /local/domain/<domid>}, the base of relative paths. */
    public String domainPath()
    {
        return domainPath;
    }

    public XenStore store()
    {
        return store;
    }

    public byte[] read(final int tx, final String path)
    {
        return store.call(() -> live().store.read(this, tx, path)).clone();
    }

    public byte[] read(final String path)
    {
        return read(XBT_NULL, path);
    }

    /** The value as a string (xenstore values are conventionally ASCII/UTF-8 without a NUL). */
    public String readString(final int tx, final String path)
    {
        return new String(store.call(() -> live().store.read(this, tx, path)), StandardCharsets.UTF_8);
    }

    public String readString(final String path)
    {
        return readString(XBT_NULL, path);
    }

    /** The value, or {@code null} when the node does not exist; other errors still throw. */
    public String readOrNull(final int tx, final String path)
    {
        try
        {
            return readString(tx, path);
        }
        catch (final XenStoreException ex)
        {
            if (ex.error() == XsError.ENOENT)
            {
                return null;
            }
            throw ex;
        }
    }

    public String readOrNull(final String path)
    {
        return readOrNull(XBT_NULL, path);
    }

    /** Reads an unsigned decimal value; {@code defaultValue} when absent or not a number (guest input). */
    public long readLong(final int tx, final String path, final long defaultValue)
    {
        final String s = readOrNull(tx, path);
        if (null == s || s.isEmpty() || s.length() > 18)
        {
            return defaultValue;
        }
        for (int i = 0; i < s.length(); i++)
        {
            if (s.charAt(i) < '0' || s.charAt(i) > '9')
            {
                return defaultValue;
            }
        }
        return Long.parseLong(s);
    }

    public boolean exists(final int tx, final String path)
    {
        return null != readOrNull(tx, path);
    }

    public void write(final int tx, final String path, final byte[] value)
    {
        store.call(() ->
        {
            live().store.write(this, tx, path, value);
            return null;
        });
    }

    public void write(final int tx, final String path, final String value)
    {
        write(tx, path, value.getBytes(StandardCharsets.UTF_8));
    }

    public void write(final String path, final String value)
    {
        write(XBT_NULL, path, value);
    }

    public void mkdir(final int tx, final String path)
    {
        store.call(() ->
        {
            live().store.mkdir(this, tx, path);
            return null;
        });
    }

    public void mkdir(final String path)
    {
        mkdir(XBT_NULL, path);
    }

    /** Removes the node and everything below it; succeeds for a missing node whose parent exists. */
    public void rm(final int tx, final String path)
    {
        store.call(() ->
        {
            live().store.rm(this, tx, path);
            return null;
        });
    }

    public void rm(final String path)
    {
        rm(XBT_NULL, path);
    }

    /** Child names, in creation order. */
    public List<String> directory(final int tx, final String path)
    {
        return store.call(() -> live().store.directory(this, tx, path));
    }

    public List<String> directory(final String path)
    {
        return directory(XBT_NULL, path);
    }

    /** The {@code XS_DIRECTORY_PART} payload: generation, then child names from byte {@code offset}. */
    public byte[] directoryPart(final int tx, final String path, final int offset)
    {
        return store.call(() -> live().store.directoryPart(this, tx, path, offset));
    }

    public XsPermissions getPerms(final int tx, final String path)
    {
        return store.call(() -> live().store.getPerms(this, tx, path));
    }

    public XsPermissions getPerms(final String path)
    {
        return getPerms(XBT_NULL, path);
    }

    public void setPerms(final int tx, final String path, final XsPermissions perms)
    {
        store.call(() ->
        {
            live().store.setPerms(this, tx, path, perms);
            return null;
        });
    }

    public void setPerms(final String path, final XsPermissions perms)
    {
        setPerms(XBT_NULL, path, perms);
    }

    /**
     * Registers a watch on {@code path} (absolute, relative to {@link #domainPath()}, or {@code @special}). It
     * fires at once, then whenever the path or anything below it changes.
     */
    public void watch(final String path, final String token)
    {
        store.call(() ->
        {
            live().store.watch(this, path, token);
            return null;
        });
    }

    public void unwatch(final String path, final String token)
    {
        store.call(() ->
        {
            live().store.unwatch(this, path, token);
            return null;
        });
    }

    /** {@code XS_RESET_WATCHES}: drops every watch, pending event and open transaction of this connection. */
    public void resetWatches()
    {
        store.call(() ->
        {
            live();
            clearWatchesAndTransactions();
            return null;
        });
    }

    /** {@code XS_TRANSACTION_START}: a new transaction id. */
    public int transactionStart()
    {
        return transactionStart(XBT_NULL);
    }

    /** As on the wire, where a start sent inside a transaction is EBUSY. */
    public int transactionStart(final int currentTx)
    {
        return store.call(() -> live().store.transactionStart(this, currentTx));
    }

    /**
     * {@code XS_TRANSACTION_END}.
     *
     * @return false when the commit conflicted with a change made since (EAGAIN): the caller retries.
     */
    public boolean transactionEnd(final int tx, final boolean commit)
    {
        return store.call(() -> live().store.transactionEnd(this, tx, commit));
    }

    /**
     * Runs {@code body} in a transaction and commits, retrying on EAGAIN as Linux xenbus drivers do; a body
     * that throws aborts the transaction. Gives up with EAGAIN after {@value #MAX_COMMIT_ATTEMPTS} conflicts.
     */
    public <T> T transact(final TransactionBody<T> body)
    {
        for (int attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++)
        {
            final int tx = transactionStart();
            final T result;
            try
            {
                result = body.run(tx);
            }
            catch (final RuntimeException ex)
            {
                endQuietly(tx);
                throw ex;
            }
            if (transactionEnd(tx, true))
            {
                return result;
            }
        }
        throw new XenStoreException(XsError.EAGAIN, "transaction conflicted " + MAX_COMMIT_ATTEMPTS + " times");
    }

    /**
     * Sets who is told that watch events are pending: called (on the writer's thread, after the store lock is
     * released) when this connection's queue goes from empty to non-empty. Must be cheap: typically it wakes or
     * schedules the thread that calls {@link #drainWatchEvents}. Told at once if events are already pending.
     */
    public void watchListener(final Runnable listener)
    {
        this.listener = listener;
        if (pendingWatchEvents() > 0)
        {
            signal();
        }
    }

    /**
     * Hands up to {@code limit} pending events to {@code handler}, oldest first and round robin across watches,
     * on the calling thread and outside the store lock (the handler may use the store).
     *
     * @return the number of events handed over.
     */
    public int drainWatchEvents(final WatchEventHandler handler, final int limit)
    {
        final List<String> drained = new ArrayList<>();
        store.call(() ->
        {
            while (drained.size() / 2 < limit && !ready.isEmpty())
            {
                final XsWatch w = ready.poll();
                final long before = w.pendingBytes();
                drained.add(w.poll());
                drained.add(w.token);
                pendingEvents--;
                pendingEventBytes -= before - w.pendingBytes();
                if (w.hasPending())
                {
                    ready.add(w);
                }
            }
            return null;
        });
        for (int i = 0; i < drained.size(); i += 2)
        {
            handler.onWatchEvent(drained.get(i), drained.get(i + 1));
        }
        return drained.size() / 2;
    }

    public int pendingWatchEvents()
    {
        return store.call(() -> pendingEvents);
    }

    public int watchCount()
    {
        return store.call(watches::size);
    }

    /** Ends every transaction, removes every watch and detaches from the store. Idempotent. */
    @Override
    public void close()
    {
        store.call(() ->
        {
            if (!closed)
            {
                closed = true;
                clearWatchesAndTransactions();
                store.disconnect(this);
            }
            return null;
        });
    }

    public boolean isClosed()
    {
        return store.call(() -> closed);
    }

    @Override
    public String toString()
    {
        return "XsConnection{domid=" + domid + ", privileged=" + privileged + '}';
    }

    /** ENOENT unless {@code txId} is 0 or an open transaction of this connection (the wire's tx_id check). */
    void requireTransaction(final int txId)
    {
        store.call(() -> live().transaction(txId));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Under the store lock.

    private XsConnection live()
    {
        if (closed)
        {
            throw new IllegalStateException("connection closed: " + this);
        }
        return this;
    }

    private void endQuietly(final int tx)
    {
        try
        {
            transactionEnd(tx, false);
        }
        catch (final XenStoreException ignore)
        {
            // Already gone: nothing to abort.
        }
    }

    private void clearWatchesAndTransactions()
    {
        watches.clear();
        ready.clear();
        pendingEvents = 0;
        pendingEventBytes = 0;
        transactions.clear();
    }

    int pendingEventsLocked()
    {
        return pendingEvents;
    }

    /** Watch events queued and not yet drained, in bytes on the wire. */
    long pendingEventBytesLocked()
    {
        return pendingEventBytes;
    }

    List<XsWatch> watches()
    {
        return watches;
    }

    void removeWatch(final XsWatch w)
    {
        watches.remove(w);
        if (ready.remove(w))
        {
            pendingEvents -= w.pendingCount();
            pendingEventBytes -= w.pendingBytes();
        }
        w.clearPending();
    }

    /**
     * True when the queue went from empty to non-empty (the listener must be told).
     *
     * @param budgetBytes what the event may add to the pending bytes; a bigger event is dropped.
     */
    boolean queueEvent(final XsWatch w, final String path, final int maxPending, final long budgetBytes)
    {
        final boolean wasEmpty = pendingEvents == 0;
        final int before = w.pendingCount();
        final long beforeBytes = w.pendingBytes();
        if (!w.queue(path, maxPending, budgetBytes))
        {
            return false;
        }
        if (before == 0)
        {
            ready.add(w);
        }
        pendingEvents += w.pendingCount() - before;
        pendingEventBytes += w.pendingBytes() - beforeBytes;
        return wasEmpty;
    }

    void signal()
    {
        final Runnable l = listener;
        if (null != l)
        {
            l.run();
        }
    }

    XsTransaction transaction(final int txId)
    {
        if (txId == XBT_NULL)
        {
            return null;
        }
        final XsTransaction tx = transactions.get(txId);
        if (null == tx)
        {
            throw new XenStoreException(XsError.ENOENT, "transaction id=" + (txId & 0xFFFF_FFFFL));
        }
        return tx;
    }

    int transactionCount()
    {
        return transactions.size();
    }

    int addTransaction(final long generation)
    {
        int id;
        do
        {
            id = nextTransactionId++;
        }
        while (id == XBT_NULL || transactions.containsKey(id));
        transactions.put(id, new XsTransaction(id, generation));
        return id;
    }

    void removeTransaction(final int txId)
    {
        transactions.remove(txId);
    }
}
