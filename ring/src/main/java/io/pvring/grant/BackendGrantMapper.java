package io.pvring.grant;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.pvring.memory.GuestMemory;

import static io.pvring.grant.GrantStatus.GNTST_BAD_COPY_ARG;
import static io.pvring.grant.GrantStatus.GNTST_BAD_DOMAIN;
import static io.pvring.grant.GrantStatus.GNTST_BAD_GNTREF;
import static io.pvring.grant.GrantStatus.GNTST_BAD_HANDLE;
import static io.pvring.grant.GrantStatus.GNTST_BAD_PAGE;
import static io.pvring.grant.GrantStatus.GNTST_GENERAL_ERROR;
import static io.pvring.grant.GrantStatus.GNTST_NO_SPACE;
import static io.pvring.grant.GrantStatus.GNTST_OKAY;

/**
 * {@link GrantMapper} of one backend domain on one frontend domain's grants, with the checks of Xen's
 * {@code map_grant_ref}, {@code unmap_grant_ref} and {@code gnttab_copy}, in Xen's order and with Xen's statuses:
 * <ul>
 *     <li>{@code ref >= capacity}: {@link GrantStatus#GNTST_BAD_GNTREF};</li>
 *     <li>type not {@code GTF_permit_access}, entry domid not the backend's, a writable map or a copy into a
 *     {@code GTF_readonly} grant, an entry the guest keeps rewriting: {@link GrantStatus#GNTST_GENERAL_ERROR}
 *     (Xen's {@code _set_status_v1} reports all of these as general errors);</li>
 *     <li>granted frame outside the frontend's memory: {@link GrantStatus#GNTST_BAD_PAGE};</li>
 *     <li>copy range crossing the 4 KiB page: {@link GrantStatus#GNTST_BAD_COPY_ARG};</li>
 *     <li>map-handle table full: {@link GrantStatus#GNTST_NO_SPACE}; stale, unknown or already unmapped handle:
 *     {@link GrantStatus#GNTST_BAD_HANDLE};</li>
 *     <li>after {@link #close()} (the frontend or backend domain is gone): {@link GrantStatus#GNTST_BAD_DOMAIN}.</li>
 * </ul>
 * Maps and copies pin the entry in {@link SharedGrantTable} (busy bits set, see there); a copy holds its pin only
 * for the duration of the copy.
 *
 * <p>Map handles come from a bounded private table (Xen's maptrack). A handle is {@code generation << bits | slot};
 * the generation advances at every unmap, so a stale or double unmap is {@code GNTST_BAD_HANDLE} and never
 * releases somebody else's mapping. Each slot changes from live to free by one compare-and-swap, so each mapping
 * is released exactly once even when two threads race to unmap it. The generation has {@code 31 - bits} bits: a
 * handle kept across that many reuses of its slot would alias (with the default 32768 slots: 65536 reuses).
 *
 * <p>Thread-safe; map, unmap, wrap and copy allocate nothing and take no lock.
 */
public final class BackendGrantMapper implements GrantMapper, AutoCloseable
{
    /** Default maptrack size: as many mappings as a full default grant table has entries. */
    public static final int DEFAULT_MAX_MAPPINGS = 32768;

    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final int LIVE = 1;

    private final int backendDomid;
    private final int frontendDomid;
    private final SharedGrantTable grants;
    private final GuestMemory memory;
    private final int maxMappings;
    private final int slotBits;
    private final int slotMask;
    private final int generationMask;
    private final FreeIndexStack freeSlots;
    /** Per slot: {@code generation << 1 | LIVE}; the other arrays are written before LIVE is released. */
    private final int[] slots;
    private final int[] slotRef;
    private final long[] slotFrame;
    private final boolean[] slotWritable;
    private final Runnable onClose;
    private volatile boolean closed;

    @Override
    public boolean memoryIntact()
    {
        return grants.intact() && memory.intact();
    }

    /**
     * @param backendDomid  the mapping domain, which grant entries must name.
     * @param frontendDomid the granting domain.
     * @param grants        the granting domain's grant table.
     * @param memory        the granting domain's memory, where granted frames live.
     * @param maxMappings   maptrack size: most mappings live at once.
     * @param onClose       run once when this mapper closes (the hypervisor forgets it); may be null.
     */
    public BackendGrantMapper(
        final int backendDomid,
        final int frontendDomid,
        final SharedGrantTable grants,
        final GuestMemory memory,
        final int maxMappings,
        final Runnable onClose)
    {
        if (maxMappings <= 0 || maxMappings > (1 << 24))
        {
            throw new IllegalArgumentException("maxMappings=" + maxMappings + " not in 1.." + (1 << 24));
        }
        this.backendDomid = backendDomid;
        this.frontendDomid = frontendDomid;
        this.grants = grants;
        this.memory = memory;
        this.maxMappings = maxMappings;
        this.slotBits = 32 - Integer.numberOfLeadingZeros(Math.max(1, maxMappings - 1));
        this.slotMask = (1 << slotBits) - 1;
        this.generationMask = (int)((1L << (31 - slotBits)) - 1);
        this.freeSlots = new FreeIndexStack(0, maxMappings);
        this.slots = new int[maxMappings];
        this.slotRef = new int[maxMappings];
        this.slotFrame = new long[maxMappings];
        this.slotWritable = new boolean[maxMappings];
        this.onClose = onClose;
    }

    @Override
    public int frontendDomid()
    {
        return frontendDomid;
    }

    @Override
    public int backendDomid()
    {
        return backendDomid;
    }

    /** Maptrack size. */
    public int maxMappings()
    {
        return maxMappings;
    }

    @Override
    public int map(final int ref, final boolean readonly)
    {
        if (closed)
        {
            return GNTST_BAD_DOMAIN;
        }
        if (ref < 0 || ref >= grants.capacity())
        {
            return GNTST_BAD_GNTREF;
        }
        final int slot = freeSlots.pop();
        if (slot < 0)
        {
            return GNTST_NO_SPACE;
        }
        final boolean writable = !readonly;
        final long frame = pinFrame(ref, writable);
        if (frame < 0)
        {
            freeSlots.push(slot);
            return (int)frame;
        }
        slotRef[slot] = ref;
        slotFrame[slot] = frame;
        slotWritable[slot] = writable;
        final int state = (int)SLOTS.getVolatile(slots, slot);
        // Release: ref, frame and mode are visible to any thread that sees the slot live.
        SLOTS.setRelease(slots, slot, state | LIVE);
        return (state >>> 1) << slotBits | slot;
    }

    @Override
    public boolean wrap(final int handle, final UnsafeBuffer flyweight)
    {
        final int slot = liveSlot(handle);
        return slot >= 0 && memory.wrap(flyweight, slotFrame[slot], 1);
    }

    @Override
    public int unmap(final int handle)
    {
        final int slot = liveSlot(handle);
        if (slot < 0)
        {
            return GNTST_BAD_HANDLE;
        }
        return release(slot, handle >>> slotBits << 1 | LIVE) ? GNTST_OKAY : GNTST_BAD_HANDLE;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The granted frames must be consecutive guest frames ({@code gfn, gfn + 1, ...}), which is how every real
     * frontend allocates a multi-page ring (Linux: {@code __get_free_pages(order)}; Xen itself would map scattered
     * frames into consecutive virtual addresses, which this emulator cannot do without a copy). Scattered frames
     * fail with {@link GrantStatus#GNTST_GENERAL_ERROR}. On any failure, every page this call mapped is released.
     */
    @Override
    public RingMapping mapRing(final int[] refs, final int count)
    {
        if (count < 1 || count > GuestMemory.MAX_CONTIGUOUS_FRAMES || refs.length < count)
        {
            return RingMapping.failed(GNTST_GENERAL_ERROR);
        }
        final int[] handles = new int[count];
        final UnsafeBuffer ring = new UnsafeBuffer(0, 0);
        int status = GNTST_OKAY;
        int mapped = 0;
        long first = -1;
        for (int i = 0; i < count; i++)
        {
            final int handle = map(refs[i], false);
            if (handle < 0)
            {
                status = handle;
                break;
            }
            handles[mapped++] = handle;
            final long frame = slotFrame[handle & slotMask];
            if (0 == i)
            {
                first = frame;
            }
            else if (frame != first + i)
            {
                status = GNTST_GENERAL_ERROR;
                break;
            }
        }
        if (GNTST_OKAY == status && !memory.wrap(ring, first, count))
        {
            status = GNTST_GENERAL_ERROR;
        }
        if (GNTST_OKAY != status)
        {
            for (int i = 0; i < mapped; i++)
            {
                unmap(handles[i]);
            }
            return RingMapping.failed(status);
        }
        return new RingMapping(GNTST_OKAY, ring, handles);
    }

    @Override
    public int copyFromGuest(
        final int ref, final int offset, final MutableDirectBuffer dst, final int dstOffset, final int length)
    {
        if (!GuestMemory.isInFrame(offset, length) || !GuestMemory.isInBuffer(dst.capacity(), dstOffset, length))
        {
            return GNTST_BAD_COPY_ARG;
        }
        final int status = checkCopy(ref);
        if (GNTST_OKAY != status)
        {
            return status;
        }
        final long frame = pinFrame(ref, false);
        if (frame < 0)
        {
            return (int)frame;
        }
        try
        {
            return memory.getBytes(frame, offset, dst, dstOffset, length) ? GNTST_OKAY : GNTST_BAD_PAGE;
        }
        finally
        {
            grants.unpin(ref, false);
        }
    }

    @Override
    public int copyToGuest(
        final int ref, final int offset, final DirectBuffer src, final int srcOffset, final int length)
    {
        if (!GuestMemory.isInFrame(offset, length) || !GuestMemory.isInBuffer(src.capacity(), srcOffset, length))
        {
            return GNTST_BAD_COPY_ARG;
        }
        final int status = checkCopy(ref);
        if (GNTST_OKAY != status)
        {
            return status;
        }
        final long frame = pinFrame(ref, true);
        if (frame < 0)
        {
            return (int)frame;
        }
        try
        {
            return memory.putBytes(frame, offset, src, srcOffset, length) ? GNTST_OKAY : GNTST_BAD_PAGE;
        }
        finally
        {
            grants.unpin(ref, true);
        }
    }

    @Override
    public int liveMappings()
    {
        int live = 0;
        for (int slot = 0; slot < maxMappings; slot++)
        {
            live += (int)SLOTS.getVolatile(slots, slot) & LIVE;
        }
        return live;
    }

    @Override
    public int unmapAll()
    {
        int released = 0;
        for (int slot = 0; slot < maxMappings; slot++)
        {
            final int state = (int)SLOTS.getVolatile(slots, slot);
            if ((state & LIVE) != 0 && release(slot, state))
            {
                released++;
            }
        }
        return released;
    }

    /** Refuses further maps and copies, releases every mapping and tells the hypervisor. Idempotent. */
    @Override
    public void close()
    {
        final boolean first;
        synchronized (this)
        {
            first = !closed;
            closed = true;
        }
        unmapAll();
        if (first && null != onClose)
        {
            onClose.run();
        }
    }

    public boolean isClosed()
    {
        return closed;
    }

    @Override
    public String toString()
    {
        return "BackendGrantMapper{backend=" + backendDomid + ", frontend=" + frontendDomid + ", closed=" + closed +
            '}';
    }

    private int checkCopy(final int ref)
    {
        if (closed)
        {
            return GNTST_BAD_DOMAIN;
        }
        return ref < 0 || ref >= grants.capacity() ? GNTST_BAD_GNTREF : GNTST_OKAY;
    }

    /** Pins {@code ref} and checks its frame is in the frontend's memory; the frame or a negative status. */
    private long pinFrame(final int ref, final boolean writable)
    {
        final long frame = grants.pin(ref, backendDomid, writable);
        if (frame >= 0 && !memory.contains(frame)) // beyond memory, or in a hole of the emulator's memory table
        {
            grants.unpin(ref, writable);
            return GNTST_BAD_PAGE;
        }
        return frame;
    }

    private int liveSlot(final int handle)
    {
        if (handle < 0)
        {
            return -1;
        }
        final int slot = handle & slotMask;
        if (slot >= maxMappings)
        {
            return -1;
        }
        final int expected = (handle >>> slotBits) << 1 | LIVE;
        return (int)SLOTS.getVolatile(slots, slot) == expected ? slot : -1;
    }

    /** Frees {@code slot} if it is still in {@code liveState}; exactly one caller wins. */
    private boolean release(final int slot, final int liveState)
    {
        final int freed = (((liveState >>> 1) + 1) & generationMask) << 1;
        if (!SLOTS.compareAndSet(slots, slot, liveState, freed))
        {
            return false;
        }
        grants.unpin(slotRef[slot], slotWritable[slot]);
        freeSlots.push(slot);
        return true;
    }
}
