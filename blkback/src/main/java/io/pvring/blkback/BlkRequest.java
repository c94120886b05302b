package io.pvring.blkback;

import io.pvring.blkif.BlkifDescriptor;

/**
 * A blkif request after {@link BlkRequestParser} validated it: plain values in private memory, nothing the guest can
 * change any more. One instance per request the ring can have outstanding, reused (no allocation per request).
 * Sector numbers and counts are 512-byte units, as on the wire.
 */
final class BlkRequest
{
    /** What the backend does; the operation echoed in the response is {@link #responseOp()}. */
    enum Kind
    {
        READ, WRITE, FLUSH, BARRIER, DISCARD
    }

    private final int[] gref;
    private final int[] firstSect;
    private final int[] sectors;
    private Kind kind;
    private long id;
    private int responseOp;
    private long sector;
    private long nrSectors;
    private int segments;
    private boolean secure;

    BlkRequest(final int maxSegments)
    {
        final int capacity = Math.max(maxSegments, BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST);
        gref = new int[capacity];
        firstSect = new int[capacity];
        sectors = new int[capacity];
    }

    /** Starts a new parse: the id and operation every response needs, whatever else turns out wrong. */
    BlkRequest reset(final long id, final int responseOp)
    {
        this.id = id;
        this.responseOp = responseOp;
        kind = null;
        sector = 0;
        nrSectors = 0;
        segments = 0;
        secure = false;
        return this;
    }

    void kind(final Kind kind, final long sector)
    {
        this.kind = kind;
        this.sector = sector;
    }

    void responseOp(final int responseOp)
    {
        this.responseOp = responseOp;
    }

    void discardRange(final long nrSectors, final boolean secure)
    {
        this.nrSectors = nrSectors;
        this.secure = secure;
    }

    /** Appends a checked segment; {@link #nrSectors()} grows by {@code count}. */
    void addSegment(final int ref, final int first, final int count)
    {
        gref[segments] = ref;
        firstSect[segments] = first;
        sectors[segments] = count;
        segments++;
        nrSectors += count;
    }

    Kind kind()
    {
        return kind;
    }

    long id()
    {
        return id;
    }

    int responseOp()
    {
        return responseOp;
    }

    long sector()
    {
        return sector;
    }

    /** Sectors covered: the sum over the segments, or the discarded range. */
    long nrSectors()
    {
        return nrSectors;
    }

    int segments()
    {
        return segments;
    }

    int gref(final int index)
    {
        return gref[index];
    }

    int firstSect(final int index)
    {
        return firstSect[index];
    }

    int sectors(final int index)
    {
        return sectors[index];
    }

    boolean secure()
    {
        return secure;
    }

    boolean isWriteLike()
    {
        return kind == Kind.WRITE || (kind == Kind.FLUSH || kind == Kind.BARRIER) && segments > 0;
    }

    public String toString()
    {
        return "BlkRequest{kind=" + kind + ", id=" + id + ", op=" + responseOp + ", sector=" + sector +
            ", nrSectors=" + nrSectors + ", segments=" + segments + ", secure=" + secure + '}';
    }
}
