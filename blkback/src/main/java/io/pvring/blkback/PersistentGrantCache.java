package io.pvring.blkback;

import io.pvring.grant.GrantMapper;
import org.agrona.collections.Int2IntHashMap;

/**
 * The backend's persistent mappings of one ring ({@code feature-persistent}): grant ref to mapping handle, bounded
 * like Linux's {@code max_persistent_grants}; when full the least recently used mapping is unmapped to make room.
 *
 * <p>Besides that, {@link #purge(long, GrantMapper)} runs from the ring's agent loop like Linux's
 * {@code purge_persistent_gnt} (called from {@code xen_blkif_schedule} every {@code LRU_INTERVAL} = 100 ms): it
 * unmaps every mapping unused for {@code persistent_grant_unused_seconds}, and, when the cache has overflowed
 * since the last purge, the {@code LRU_PERCENT_CLEAN} = 5 % least recently used. A mapping the current request uses
 * is never unmapped. Owned by the ring's agent thread; allocation-free after construction.
 *
 * <p>Mappings in use are pinned: {@link #lookup} and a kept {@link #add} pin the mapping for one request, and
 * {@link #unpin} releases it when that request completes. Neither eviction nor a purge touches a pinned mapping,
 * however many requests are in flight (Linux keeps the same rule with its {@code active} flag).
 */
final class PersistentGrantCache
{
    /** Linux {@code LRU_INTERVAL}: the minimum time between two purges. */
    static final long PURGE_INTERVAL_NS = 100_000_000L;
    /** Linux {@code LRU_PERCENT_CLEAN}. */
    static final int LRU_PERCENT_CLEAN = 5;

    private static final int MISSING = -1;

    private final Int2IntHashMap slotByRef;
    private final int[] refs;
    private final int[] handles;
    private final long[] lastUse;
    private final long[] lastUseNs;
    private final int[] pins;
    private final int capacity;
    private final long unusedTimeoutNs;
    private int size;
    private long clock;
    private long nowNs;
    private long nextPurgeNs;
    private boolean overflowed;
    private long evictions;

    PersistentGrantCache(final int capacity)
    {
        this(capacity, BlkBackConfig.DEFAULT_PERSISTENT_GRANT_UNUSED_SECONDS * 1_000_000_000L, 0);
    }

    /**
     * @param unusedTimeoutNs a mapping unused this long is unmapped by the next purge.
     * @param startNs the clock's current reading; the first purge runs one interval later.
     */
    PersistentGrantCache(final int capacity, final long unusedTimeoutNs, final long startNs)
    {
        this.capacity = capacity;
        this.unusedTimeoutNs = unusedTimeoutNs;
        this.slotByRef = new Int2IntHashMap(Math.max(16, capacity * 2), 0.65f, MISSING);
        this.refs = new int[capacity];
        this.handles = new int[capacity];
        this.lastUse = new long[capacity];
        this.lastUseNs = new long[capacity];
        this.pins = new int[capacity];
        this.nowNs = startNs;
        this.nextPurgeNs = startNs + PURGE_INTERVAL_NS;
    }

    int size()
    {
        return size;
    }

    /** Nanoseconds from {@code nowNs} until the next purge may run (0 or less: it may run now). */
    long nanosUntilPurge(final long nowNs)
    {
        return nextPurgeNs - nowNs;
    }

    int capacity()
    {
        return capacity;
    }

    /** The handle of a live persistent mapping of {@code ref}, pinned until {@link #unpin}, or -1. */
    int lookup(final int ref)
    {
        final int slot = slotByRef.get(ref);
        if (slot == MISSING)
        {
            return MISSING;
        }
        lastUse[slot] = ++clock;
        lastUseNs[slot] = nowNs;
        pins[slot]++;
        return handles[slot];
    }

    /** The request that pinned {@code ref}'s mapping (by {@link #lookup} or {@link #add}) is done with it. */
    void unpin(final int ref)
    {
        final int slot = slotByRef.get(ref);
        if (slot != MISSING && pins[slot] > 0)
        {
            pins[slot]--;
        }
    }

    /** Mappings pinned by requests in flight. */
    int pinned()
    {
        int count = 0;
        for (int i = 0; i < size; i++)
        {
            count += pins[i] > 0 ? 1 : 0;
        }
        return count;
    }

    /**
     * Keeps a fresh mapping, pinned until {@link #unpin}; when full, unmaps the least recently used unpinned one
     * first.
     *
     * @return false when the mapping was not kept (capacity 0, or every kept mapping is pinned): the caller unmaps
     *     it after use.
     */
    boolean add(final int ref, final int handle, final GrantMapper mapper)
    {
        if (capacity == 0)
        {
            return false;
        }
        int slot;
        if (size < capacity)
        {
            slot = size++;
        }
        else
        {
            overflowed = true;
            slot = leastRecentlyUsed();
            if (slot < 0)
            {
                return false; // every mapping serves a request in flight: map this one for its request only
            }
            slotByRef.remove(refs[slot]);
            mapper.unmap(handles[slot]);
            evictions++;
        }
        refs[slot] = ref;
        handles[slot] = handle;
        lastUse[slot] = ++clock;
        lastUseNs[slot] = nowNs;
        pins[slot] = 1;
        slotByRef.put(ref, slot);
        return true;
    }

    /**
     * Called by the ring's agent once per duty cycle with the current time: records it for the next uses and, at
     * most once per {@link #PURGE_INTERVAL_NS}, unmaps the mappings unused for the timeout and, after an overflow,
     * the {@link #LRU_PERCENT_CLEAN} % least recently used.
     *
     * @return how many mappings were unmapped.
     */
    int purge(final long nowNs, final GrantMapper mapper)
    {
        this.nowNs = nowNs;
        if (nowNs - nextPurgeNs < 0)
        {
            return 0;
        }
        nextPurgeNs = nowNs + PURGE_INTERVAL_NS;
        int purged = 0;
        for (int slot = size - 1; slot >= 0; slot--)
        {
            if (nowNs - lastUseNs[slot] >= unusedTimeoutNs && pins[slot] == 0)
            {
                remove(slot, mapper);
                purged++;
            }
        }
        if (overflowed)
        {
            overflowed = false;
            int clean = Math.max(1, capacity / 100 * LRU_PERCENT_CLEAN);
            while (clean-- > 0 && size > 0)
            {
                final int slot = leastRecentlyUsed();
                if (slot < 0)
                {
                    break;
                }
                remove(slot, mapper);
                purged++;
            }
        }
        evictions += purged;
        return purged;
    }

    /** Mappings unmapped to make room or by purges, since the cache was made (not those unmapped at teardown). */
    long evictions()
    {
        return evictions;
    }

    /**
     * Teardown: unmaps every mapping not pinned (a pinned one belongs to a request the ring gave up waiting for: the
     * store may still use its page); returns how many were unmapped.
     */
    int unmapAll(final GrantMapper mapper)
    {
        int count = 0;
        for (int slot = size - 1; slot >= 0; slot--)
        {
            if (pins[slot] == 0)
            {
                remove(slot, mapper);
                count++;
            }
        }
        return count;
    }

    /** The least recently used unpinned slot, or -1 when every slot is pinned. */
    private int leastRecentlyUsed()
    {
        int slot = -1;
        for (int i = 0; i < size; i++)
        {
            if (pins[i] == 0 && (slot < 0 || lastUse[i] < lastUse[slot]))
            {
                slot = i;
            }
        }
        return slot;
    }

    /** Unmaps the mapping in {@code slot} and moves the last slot into its place to keep the arrays dense. */
    private void remove(final int slot, final GrantMapper mapper)
    {
        slotByRef.remove(refs[slot]);
        mapper.unmap(handles[slot]);
        final int last = --size;
        if (slot != last)
        {
            refs[slot] = refs[last];
            handles[slot] = handles[last];
            lastUse[slot] = lastUse[last];
            lastUseNs[slot] = lastUseNs[last];
            pins[slot] = pins[last];
            slotByRef.put(refs[slot], slot);
        }
    }
}
