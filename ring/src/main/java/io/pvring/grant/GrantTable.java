package io.pvring.grant;

/**
 * A domain's own grant table, the frontend side of {@code grant_table.h} (v1 entries: {@code flags} u16,
 * {@code domid} u16, {@code frame} u32). Mirrors Linux's {@code gnttab_*} calls. Thread-safe.
 */
public interface GrantTable
{
    /** Number of entries; refs below {@code GNTTAB_NR_RESERVED_ENTRIES} (8) are never handed out. */
    int capacity();

    /** {@code gnttab_claim_grant_reference}: a free ref, or -1 when the table is full. */
    int claimRef();

    /**
     * {@code gnttab_grant_foreign_access_ref}: writes frame and domid, then publishes {@code GTF_permit_access}
     * (plus {@code GTF_readonly}) with release ordering.
     */
    void grantAccessRef(int ref, int domid, long gfn, boolean readonly);

    /** {@link #claimRef()} then {@link #grantAccessRef}: the ref, or -1 when the table is full. */
    int grantAccess(int domid, long gfn, boolean readonly);

    /**
     * {@code gnttab_end_foreign_access_ref}: atomically clears the entry unless the backend is using it
     * ({@code GTF_reading}/{@code GTF_writing} set).
     *
     * @return false while the page is still mapped or being copied by the backend; the entry is then unchanged.
     */
    boolean endForeignAccessRef(int ref);

    /** {@code gnttab_free_grant_reference}: the ref (access already ended) goes back to the free list. */
    void releaseRef(int ref);
}
