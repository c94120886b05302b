package io.pvring.memory;

import java.nio.file.Path;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A domain's guest-physical memory: 4 KiB frames numbered by guest frame number (gfn). Implementations are sparse
 * (resident memory grows only with frames touched) and may be backed by a file another process maps.
 * Thread-safe for concurrent access to different frames; the bytes themselves are shared memory with the guest.
 *
 * <p>Any run of up to {@link #MAX_CONTIGUOUS_FRAMES} consecutive frames can be wrapped as one contiguous buffer,
 * which is what a multi-page shared ring (up to {@code ring-page-order} 4) needs.
 *
 * <p>Factories: {@link #anonymous(long)} for process memory, {@link #file(Path, long)} for memory another process
 * maps; both are {@link MappedGuestMemory}.
 */
public interface GuestMemory extends AutoCloseable
{
    int PAGE_SIZE = 4096;
    int PAGE_SHIFT = 12;

    /** Largest guest-physical size a domain may have: 1 TiB. */
    long MAX_BYTES = 1L << 40;

    /** Longest run of frames {@link #wrap} always maps contiguously: 16 frames (64 KiB), a ring of order 4. */
    int MAX_CONTIGUOUS_FRAMES = 16;

    /**
     * Sparse process memory of {@code bytes} (a multiple of 4 KiB, at most {@link #MAX_BYTES}): a deleted file on
     * {@code /dev/shm}, mapped lazily one 1 GiB chunk at a time.
     */
    static MappedGuestMemory anonymous(final long bytes)
    {
        return MappedGuestMemory.anonymous(bytes);
    }

    /**
     * Sparse memory of {@code bytes} in a file another process can map at the same offsets (gfn * 4096): created if
     * absent, extended if shorter, kept on close.
     */
    static MappedGuestMemory file(final Path path, final long bytes)
    {
        return MappedGuestMemory.file(path, bytes);
    }

    /** Number of addressable frames (guest-physical size / 4 KiB). */
    long frames();

    /**
     * Whether frame {@code gfn} is backed by memory: below {@link #frames()} and, for memory with holes
     * ({@link RegionGuestMemory}), inside a region. Checked once when a grant is mapped or copied.
     */
    default boolean contains(final long gfn)
    {
        return gfn >= 0 && gfn < frames();
    }

    /**
     * Points {@code flyweight} at {@code count} frames starting at {@code gfn}. Allocation-free once the frames'
     * chunk is mapped (the first access to each chunk maps it).
     *
     * @return false when the range is outside this memory or not contiguous in this process's address space.
     */
    boolean wrap(UnsafeBuffer flyweight, long gfn, int count);

    /**
     * False once a file this memory maps was truncated under the mapping (an emulator shrank the memory it shared:
     * accesses beyond the new end fault). For telling which guest a memory fault came from, not for the hot path.
     */
    default boolean intact()
    {
        return true;
    }

    /**
     * Copies {@code length} bytes at {@code offset} within frame {@code gfn} into private memory. The range may not
     * cross the frame.
     *
     * @return false when the frame or a range is out of bounds (nothing copied).
     */
    default boolean getBytes(
        final long gfn, final int offset, final MutableDirectBuffer dst, final int dstOffset, final int length)
    {
        final UnsafeBuffer page = new UnsafeBuffer(new byte[0]);
        if (!isInFrame(offset, length) || !isInBuffer(dst.capacity(), dstOffset, length) || !wrap(page, gfn, 1))
        {
            return false;
        }
        page.getBytes(offset, dst, dstOffset, length);
        return true;
    }

    /**
     * Copies {@code length} bytes from private memory to {@code offset} within frame {@code gfn}. The range may not
     * cross the frame.
     *
     * @return false when the frame or a range is out of bounds (nothing copied).
     */
    default boolean putBytes(
        final long gfn, final int offset, final DirectBuffer src, final int srcOffset, final int length)
    {
        final UnsafeBuffer page = new UnsafeBuffer(new byte[0]);
        if (!isInFrame(offset, length) || !isInBuffer(src.capacity(), srcOffset, length) || !wrap(page, gfn, 1))
        {
            return false;
        }
        page.putBytes(offset, src, srcOffset, length);
        return true;
    }

    /** Releases the memory; frames wrapped earlier must no longer be used. Idempotent. */
    @Override
    void close();

    /** True when {@code [offset, offset + length)} lies inside one 4 KiB frame. */
    static boolean isInFrame(final int offset, final int length)
    {
        return offset >= 0 && length >= 0 && length <= PAGE_SIZE - offset;
    }

    /** True when {@code [offset, offset + length)} lies inside a buffer of {@code capacity} bytes. */
    static boolean isInBuffer(final int capacity, final int offset, final int length)
    {
        return offset >= 0 && length >= 0 && length <= capacity - offset;
    }
}
