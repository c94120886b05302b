package io.pvring.grant;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Grant operations a backend performs on one frontend domain's grants ({@code GNTTABOP_map_grant_ref},
 * {@code unmap_grant_ref}, {@code copy}), with Xen's checks: ref in range, {@code GTF_permit_access}, the
 * granted domid is the backend's, {@code GTF_readonly} forbids writable maps and copies into the page, and the
 * {@code GTF_reading}/{@code GTF_writing} busy bits are held while a mapping or copy is live so the frontend
 * cannot end access under the backend.
 *
 * <p>Every failure is a negative {@link GrantStatus} value, never an exception. Every successful map is released
 * exactly once, by {@link #unmap(int)} or {@link #unmapAll()}. One mapper per backend device; each method may be
 * called from the device's ring threads concurrently. This interface is also the seam where tests wrap a guest
 * that changes memory behind the backend's back.
 */
public interface GrantMapper
{
    /** The domain whose grants this mapper uses. */
    /**
     * False once the granting domain's memory or grant table was truncated under its mapping (an emulator shrank
     * what it shared): tells which device a memory fault came from. Not for the hot path.
     */
    default boolean memoryIntact()
    {
        return true;
    }

    int frontendDomid();

    /** The domain doing the mapping (the backend), which grant entries must name. */
    int backendDomid();

    /**
     * Maps one granted page ({@code GNTMAP_host_map}, plus {@code GNTMAP_readonly} when {@code readonly}). The page
     * stays the frame the entry named at the first pin, whatever the guest writes into the entry later.
     *
     * @return a handle (&gt;= 0) for {@link #wrap} and {@link #unmap}, or a negative {@link GrantStatus}.
     */
    int map(int ref, boolean readonly);

    /** Points {@code flyweight} at the 4 KiB page of a live mapping; false for a stale or unknown handle. */
    boolean wrap(int handle, UnsafeBuffer flyweight);

    /** Releases a mapping; {@link GrantStatus#GNTST_BAD_HANDLE} when it is not live (double unmap). */
    int unmap(int handle);

    /**
     * Maps {@code count} (1..16) grants writable as one contiguous ring (the backend's view of a multi-page shared
     * ring), all or nothing: on failure nothing stays mapped.
     *
     * <p>Limitation: the granted frames must be consecutive guest frames, as every real frontend allocates its ring
     * ({@code __get_free_pages(order)} in Linux); scattered frames fail with
     * {@link GrantStatus#GNTST_GENERAL_ERROR}, because the emulator maps guest frames where they are instead of
     * building a new virtual mapping as Xen's {@code xenbus_map_ring_valloc} does.
     *
     * @return the ring and a handle per page, or the status that stopped it (connect time, not a hot path).
     */
    RingMapping mapRing(int[] refs, int count);

    /** {@code GNTTABOP_copy} from a granted page into private memory; the copy may not cross the page. */
    int copyFromGuest(int ref, int offset, MutableDirectBuffer dst, int dstOffset, int length);

    /** {@code GNTTABOP_copy} into a granted page (needs a writable grant); may not cross the page. */
    int copyToGuest(int ref, int offset, DirectBuffer src, int srcOffset, int length);

    /** Live mappings, for leak checks. */
    int liveMappings();

    /** Teardown: releases every live mapping; returns how many were released. Idempotent. */
    int unmapAll();
}
