package io.pvring.blkback.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * A virtual disk behind a blkif device. Offsets and lengths are bytes; the backend has already checked them
 * against {@link #sizeBytes()} and {@link #logicalSectorSize()}.
 *
 * <p>I/O failures are values ({@link #OK}, {@link #EIO}, {@link #EOPNOTSUPP}), never exceptions: their cause may be
 * guest input or the host, and the backend turns them into {@code BLKIF_RSP_*}. Durability contract:
 * <ul>
 *   <li>{@link #write} returns only after the data reached the store (for a {@link #canFlush()} store, the OS page
 *   cache counts; otherwise the data must be durable when it returns);</li>
 *   <li>{@link #flush} returns {@link #OK} only after every write that returned before it is durable;</li>
 *   <li>a failed flush is sticky: every later flush fails until the store is reopened.</li>
 * </ul>
 * Stores are used by every ring of a device at once: each method is thread-safe.
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

    int read(long offset, MutableDirectBuffer dst, int dstOffset, int length);

    int write(long offset, DirectBuffer src, int srcOffset, int length);

    int flush();

    /**
     * Changes the disk size (online resize): a multiple of {@link #logicalSectorSize()}; data below the smaller
     * of the two sizes is kept, a grown tail reads as zeros.
     *
     * @return false when this store cannot take that size (the size is then unchanged).
     */
    boolean resize(long newSizeBytes);

    /** Drops the data of a range (it reads back as zeros afterwards for every store here). */
    int discard(long offset, long length, boolean secure);

    /** Short description for logs and the {@code params} key. */
    String describe();

    @Override
    void close();
}
