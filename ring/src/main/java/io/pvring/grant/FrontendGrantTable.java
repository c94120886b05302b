package io.pvring.grant;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import org.agrona.concurrent.AtomicBuffer;

import static io.pvring.grant.GrantTableDescriptor.FLAGS_OFFSET;
import static io.pvring.grant.GrantTableDescriptor.FRAME_OFFSET;
import static io.pvring.grant.GrantTableDescriptor.GNTTAB_NR_RESERVED_ENTRIES;
import static io.pvring.grant.GrantTableDescriptor.GTF_PERMIT_ACCESS;
import static io.pvring.grant.GrantTableDescriptor.GTF_READING;
import static io.pvring.grant.GrantTableDescriptor.GTF_READONLY;
import static io.pvring.grant.GrantTableDescriptor.GTF_WRITING;
import static io.pvring.grant.GrantTableDescriptor.entryOffset;

/**
 * The granting (frontend) side of a v1 grant table, as Linux's {@code gnttab_*} v1 operations use it: a lock-free
 * free list of refs above the reserved ones, grants published with release ordering, and end-of-access by
 * compare-and-swap that fails while the hypervisor has the entry busy. Thread-safe and allocation-free.
 */
public final class FrontendGrantTable implements GrantTable
{
    private static final VarHandle CLAIMED = MethodHandles.arrayElementVarHandle(byte[].class);

    private final AtomicBuffer entries;
    private final int capacity;
    private final FreeIndexStack freeRefs;
    /** 1 while a ref is claimed, so a double release is caught before it corrupts the free list. */
    private final byte[] claimed;

    /** The granting side of {@code table}'s entries. */
    public FrontendGrantTable(final SharedGrantTable table)
    {
        this(table.buffer(), table.capacity());
    }

    /** The granting side of {@code capacity} v1 entries in {@code entries} (e.g. a table another process maps). */
    public FrontendGrantTable(final AtomicBuffer entries, final int capacity)
    {
        if (capacity <= GNTTAB_NR_RESERVED_ENTRIES || (long)capacity * GrantTableDescriptor.ENTRY_LENGTH >
            entries.capacity())
        {
            throw new IllegalArgumentException("capacity=" + capacity + " entries.capacity=" + entries.capacity());
        }
        this.entries = entries;
        this.capacity = capacity;
        this.freeRefs = new FreeIndexStack(GNTTAB_NR_RESERVED_ENTRIES, capacity);
        this.claimed = new byte[capacity];
    }

    @Override
    public int capacity()
    {
        return capacity;
    }

    @Override
    public int claimRef()
    {
        final int ref = freeRefs.pop();
        if (ref >= 0)
        {
            CLAIMED.setVolatile(claimed, ref, (byte)1);
        }
        return ref;
    }

    @Override
    public void grantAccessRef(final int ref, final int domid, final long gfn, final boolean readonly)
    {
        checkRef(ref);
        if (domid < 0 || domid > 0xFFFF)
        {
            throw new IllegalArgumentException("domid=" + domid + " is not a u16");
        }
        if (gfn < 0 || gfn > 0xFFFF_FFFFL)
        {
            throw new IllegalArgumentException("gfn=" + gfn + " does not fit a v1 entry's u32 frame");
        }
        final int offset = entryOffset(ref);
        entries.putInt(offset + FRAME_OFFSET, (int)gfn);
        // Release: the frame is visible before the flags|domid word that makes the entry valid (Linux's wmb()).
        entries.putIntRelease(offset + FLAGS_OFFSET,
            GrantTableDescriptor.flagsAndDomid(GTF_PERMIT_ACCESS | (readonly ? GTF_READONLY : 0), domid));
    }

    @Override
    public int grantAccess(final int domid, final long gfn, final boolean readonly)
    {
        final int ref = claimRef();
        if (ref >= 0)
        {
            grantAccessRef(ref, domid, gfn, readonly);
        }
        return ref;
    }

    @Override
    public boolean endForeignAccessRef(final int ref)
    {
        checkRef(ref);
        final int offset = entryOffset(ref) + FLAGS_OFFSET;
        int word = entries.getIntVolatile(offset);
        while (true)
        {
            if ((word & (GTF_READING | GTF_WRITING)) != 0)
            {
                return false;
            }
            // Clear the flags, keep the domid; a busy bit set meanwhile by the hypervisor fails the swap.
            final int witness = entries.compareAndExchangeInt(offset, word, word & 0xFFFF_0000);
            if (witness == word)
            {
                return true;
            }
            word = witness;
        }
    }

    @Override
    public void releaseRef(final int ref)
    {
        checkRef(ref);
        if (!CLAIMED.compareAndSet(claimed, ref, (byte)1, (byte)0))
        {
            throw new IllegalStateException("ref=" + ref + " is not claimed (double release?)");
        }
        freeRefs.push(ref);
    }

    /** True while the hypervisor marks {@code ref} in use ({@code GTF_reading} or {@code GTF_writing}). */
    public boolean isBusy(final int ref)
    {
        checkRef(ref);
        return (entries.getIntVolatile(entryOffset(ref) + FLAGS_OFFSET) & (GTF_READING | GTF_WRITING)) != 0;
    }

    /** Refs currently claimed, for leak checks (a scan: not for hot paths). */
    public int claimedRefs()
    {
        int count = 0;
        for (int ref = 0; ref < capacity; ref++)
        {
            count += (byte)CLAIMED.getVolatile(claimed, ref);
        }
        return count;
    }

    private void checkRef(final int ref)
    {
        if (ref < 0 || ref >= capacity)
        {
            throw new IllegalArgumentException("ref=" + ref + " not in 0.." + (capacity - 1));
        }
    }
}
