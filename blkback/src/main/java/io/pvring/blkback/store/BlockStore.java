package io.pvring.blkback.store;

import java.util.function.Consumer;

/**
 * A virtual disk behind a blkif device, asynchronous: the backend {@link #submit submits} a {@link BlockIo} and the
 * store completes it later, from any thread (a worker pool, an io_uring or an event loop), or at once on the
 * submitting thread (a store that is fast enough to work inline: the backend then takes a direct path with no
 * queue). Offsets and lengths are bytes; the backend has already checked them against {@link #sizeBytes()} and
 * {@link #logicalSectorSize()}.
 *
 * <p>I/O failures are values ({@link #OK}, {@link #EIO}, {@link #EOPNOTSUPP}) passed to
 * {@link BlockIo#complete(int)}, never exceptions: their cause may be guest input or the host, and the backend
 * turns them into {@code BLKIF_RSP_*}. Durability contract:
 * <ul>
 *   <li>a write completes only after the data reached the store (for a {@link #canFlush()} store, the OS page
 *   cache counts; otherwise the data must be durable when it completes);</li>
 *   <li>a flush completes {@link #OK} only after every write that completed before it was submitted is durable;</li>
 *   <li>a failed flush is sticky: every later flush fails until the store is reopened (fsyncgate: the kernel may
 *   have dropped the dirty pages, so a later success would lie).</li>
 * </ul>
 * Stores are used by every ring of a device at once: each method is thread-safe. {@link SynchronousBlockStore} is
 * the base of stores that do their I/O on the submitting thread.
 */
public interface BlockStore extends AutoCloseable
{
    int OK = 0;
    int EIO = -1;
    int EOPNOTSUPP = -2;

    /** Disk size in bytes; a multiple of {@link #logicalSectorSize()}. */
    long sizeBytes();

    /** {@code sector-size}: 512 or a larger power of two; request offsets must be aligned to it. */
    int logicalSectorSize();

    /** {@code physical-sector-size}. */
    int physicalSectorSize();

    boolean isReadOnly();

    /** True when writes may sit in a volatile cache that {@link #flush()} commits ({@code feature-flush-cache}). */
    boolean canFlush();

    /** True when {@link #discard} does something ({@code feature-discard}). */
    boolean canDiscard();

    /** True when a secure discard makes the data unrecoverable ({@code discard-secure}). */
    boolean canSecureDiscard();

    /** {@code discard-granularity} in bytes. */
    int discardGranularity();

    /**
     * Starts {@code io}; the store calls {@link BlockIo#complete(int)} exactly once. Never blocks for long on the
     * caller's thread unless the store is synchronous by design; never throws for an I/O failure.
     */
    void submit(BlockIo io);

    /**
     * Opens a ring's private path into this store (see {@link BlockQueue}), for one ring thread.
     *
     * @param maxInFlight      ios the ring may have in flight through it at once.
     * @param maxSegments      data segments per io at most.
     * @param completionSignal run from any thread when completions are waiting for {@link BlockQueue#poll()} (it
     *                         wakes the ring's thread; it must not block).
     */
    default BlockQueue openQueue(final int maxInFlight, final int maxSegments, final Runnable completionSignal)
    {
        return new BlockQueue.Direct(this);
    }

    /**
     * Registers who is told, once and from any thread, that this store can no longer serve (a remote disk's server
     * died, is unreachable or broke the protocol); {@code reason} names the server. Every request fails with
     * {@link #EIO} from then on. A store that failed before the call tells at once; stores that cannot fail this
     * way never tell. The listener must not block.
     */
    default void failureListener(final Consumer<String> listener)
    {
    }

    /**
     * Changes the disk size (online resize): a multiple of {@link #logicalSectorSize()}; data below the smaller
     * of the two sizes is kept, a grown tail reads as zeros.
     *
     * @return false when this store cannot take that size (the size is then unchanged).
     */
    boolean resize(long newSizeBytes);

    /** Short description for logs and the {@code params} key. */
    String describe();

    @Override
    void close();
}
