package io.pvring.blkback;

import io.pvring.grant.GrantMapper;
import org.agrona.collections.Int2IntHashMap;

/**
 * The backend's persistent mappings of one ring ({@code feature-persistent}): grant ref to mapping handle, bounded
 * like Linux's {@code max_persistent_grants}; when full the least recently used mapping is unmapped to make room.
 * Owned by the ring's agent thread; allocation-free after construction.
 */
final class PersistentGrantCache
{
    private static final int MISSING = -1;

    private final Int2IntHashMap slotByRef;
    private final int[] refs;
    private final int[] handles;
    private final long[] lastUse;
    private final int capacity;
    private int size;
    private long clock;
    private long requestStart;

    PersistentGrantCache(final int capacity)
    {
        this.capacity = capacity;
        this.slotByRef = new Int2IntHashMap(Math.max(16, capacity * 2), 0.65f, MISSING);
        this.refs = new int[capacity];
        this.handles = new int[capacity];
        this.lastUse = new long[capacity];
    }

    int size()
    {
        return size;
    }

    int capacity()
    {
        return capacity;
    }

    /** Marks the start of a request: mappings used from now on are not evicted until the next request. */
    void beginRequest()
    {
        requestStart = clock + 1;
    }

    /** The handle of a live persistent mapping of {@code ref}, or -1. */
    int lookup(final int ref)
    {
        final int slot = slotByRef.get(ref);
        if (slot == MISSING)
        {
            return MISSING;
        }
        lastUse[slot] = ++clock;
        return handles[slot];
    }

    /**
     * Keeps a fresh mapping; when full, unmaps the least recently used one first.
     *
     * @return false when the mapping was not kept (capacity 0, or every kept mapping is in use by the current
     *     request): the caller unmaps it after use.
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
            slot = 0;
            for (int i = 1; i < capacity; i++)
            {
                if (lastUse[i] < lastUse[slot])
                {
                    slot = i;
                }
            }
            if (lastUse[slot] >= requestStart)
            {
                return false; // every mapping serves the current request: map this one for this request only
            }
            slotByRef.remove(refs[slot]);
            mapper.unmap(handles[slot]);
        }
        refs[slot] = ref;
        handles[slot] = handle;
        lastUse[slot] = ++clock;
        slotByRef.put(ref, slot);
        return true;
    }

    /** Teardown: unmaps everything; returns how many. */
    int unmapAll(final GrantMapper mapper)
    {
        final int count = size;
        for (int i = 0; i < size; i++)
        {
            mapper.unmap(handles[i]);
        }
        slotByRef.clear();
        size = 0;
        return count;
    }
}
