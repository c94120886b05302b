package io.pvring.memory;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * A domain's guest-physical memory: 4 KiB frames numbered by guest frame number (gfn). Implementations are sparse
 * (resident memory grows only with frames touched) and may be backed by a file another process maps.
 * Thread-safe for concurrent access to different frames; the bytes themselves are shared memory with the guest.
 */
public interface GuestMemory extends AutoCloseable
{
    int PAGE_SIZE = 4096;
    int PAGE_SHIFT = 12;

    /** Number of addressable frames (guest-physical size / 4 KiB). */
    long frames();

    /**
     * Points {@code flyweight} at {@code count} frames starting at {@code gfn}. Allocation-free.
     *
     * @return false when the range is outside this memory or not contiguous in this process's address space.
     */
    boolean wrap(UnsafeBuffer flyweight, long gfn, int count);

    /** Releases the memory; frames wrapped earlier must no longer be used. Idempotent. */
    @Override
    void close();
}
