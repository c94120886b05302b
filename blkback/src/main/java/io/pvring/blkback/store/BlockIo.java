package io.pvring.blkback.store;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * One I/O the backend submits to a {@link BlockStore}: an operation on a byte range of the disk, and for reads and
 * writes the guest pages (mapped grants) that hold the data, one segment per page. The backend has validated every
 * field; a store does not check them again.
 *
 * <p>The store answers with {@link #complete(int)} exactly once, from any thread, possibly before
 * {@link BlockStore#submit} returns. Until then the io, its pages and its segments stay valid and unchanged; after
 * it, the store must not touch them (the backend reuses the io and may unmap the pages).
 *
 * <p>Durability: a {@link #FLUSH} completes {@link BlockStore#OK} only when every write that completed before the
 * flush was submitted is durable. Ordering among ios in flight together is the store's choice; the backend waits
 * for completions where blkif asks for order (barriers).
 */
public interface BlockIo
{
    int READ = 0;
    int WRITE = 1;
    int FLUSH = 2;
    int DISCARD = 3;

    /** {@link #READ}, {@link #WRITE}, {@link #FLUSH} or {@link #DISCARD}. */
    int op();

    /** Disk offset in bytes (0 for a flush). */
    long offset();

    /** Bytes covered: the sum of the segment lengths, the discarded range, 0 for a flush. */
    long length();

    /** For a discard: the data must be unrecoverable afterwards ({@code BLKIF_DISCARD_SECURE}). */
    boolean secure();

    /** Data segments of a read or write (0 otherwise); they follow each other on the disk from {@link #offset()}. */
    int segments();

    /** Where segment {@code index}'s data starts in its page. */
    int segmentPageOffset(int index);

    /** Bytes of segment {@code index}: a multiple of 512, at most a page. */
    int segmentLength(int index);

    /**
     * The 4 KiB page of segment {@code index}, through a flyweight this io owns: valid until the next call on this
     * io, so a store reads or writes one segment at a time (or copies out the address of each). Null only if the
     * mapping went away, which the backend prevents while the io is in flight: complete with {@link BlockStore#EIO}.
     */
    UnsafeBuffer page(int index);

    /** Hands the result back: {@link BlockStore#OK}, {@link BlockStore#EIO} or {@link BlockStore#EOPNOTSUPP}. */
    void complete(int status);
}
