package io.pvring.grant;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;

import org.agrona.IoUtil;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.pvring.memory.SharedMemoryFile;

import static io.pvring.grant.GrantStatus.GNTST_GENERAL_ERROR;
import static io.pvring.grant.GrantStatus.GNTST_OKAY;
import static io.pvring.grant.GrantTableDescriptor.FRAME_OFFSET;
import static io.pvring.grant.GrantTableDescriptor.GTF_PERMIT_ACCESS;
import static io.pvring.grant.GrantTableDescriptor.GTF_READING;
import static io.pvring.grant.GrantTableDescriptor.GTF_READONLY;
import static io.pvring.grant.GrantTableDescriptor.GTF_TYPE_MASK;
import static io.pvring.grant.GrantTableDescriptor.GTF_WRITING;
import static io.pvring.grant.GrantTableDescriptor.entryOffset;

/**
 * One domain's grant table as the hypervisor holds it: the shared v1 entries ({@link GrantTableDescriptor}), which
 * the granting domain writes, plus Xen's private "active entry" per ref: how many read-only and writable pins
 * (maps and in-flight copies) backends hold, and the frame and domid cached at the first pin.
 *
 * <p>The shared {@code GTF_reading}/{@code GTF_writing} bits follow the pins exactly as in Xen: the first pin sets
 * {@code GTF_reading} (plus {@code GTF_writing} for the first writable pin) by compare-and-swap of the
 * {@code flags|domid} word after checking type, domid and {@code GTF_readonly}; the last writable unpin clears
 * {@code GTF_writing}, the last unpin {@code GTF_reading}. While any pin is held a frontend's end-access fails.
 *
 * <p>Pin counts live in one private 64-bit state word per ref: read-only count (bits 0-15), writable count
 * (16-31) and a transition bit (32). Pins that change no shared bit are one CAS; the first and last pins hold the
 * transition bit for the few instructions that update the shared word (Xen's active-entry lock), so a pin and an
 * unpin can never leave the shared bits disagreeing with the counts. Allocation-free.
 *
 * <p>The entries buffer is process memory ({@link #anonymous(int)}) or a named file ({@link #file(Path, int)}) that
 * an out-of-process frontend maps.
 */
public final class SharedGrantTable implements AutoCloseable
{
    private static final VarHandle STATES = MethodHandles.arrayElementVarHandle(long[].class);
    private static final long READ_PIN = 1L;
    private static final long WRITE_PIN = 1L << 16;
    private static final long TRANSITION = 1L << 32;
    private static final int MAX_PINS = 0xFFFF;
    /** Xen gives up on an entry the guest keeps rewriting after this many failed compare-and-swaps. */
    private static final int MAX_SET_STATUS_RETRIES = 4;

    private final SharedMemoryFile file;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer buffer;
    private final int capacity;
    private final int frames;
    private final long[] states;
    private final int[] pinnedFrame;
    private final int[] pinnedDomid;
    private boolean closed;

    private SharedGrantTable(final SharedMemoryFile file, final int frames)
    {
        final int bytes = GrantTableDescriptor.tableBytes(frames);
        this.file = file;
        this.frames = frames;
        this.mapped = file.map(0, bytes);
        this.buffer = new UnsafeBuffer(mapped);
        this.capacity = bytes / GrantTableDescriptor.ENTRY_LENGTH;
        this.states = new long[capacity];
        this.pinnedFrame = new int[capacity];
        this.pinnedDomid = new int[capacity];
    }

    /** A table of {@code frames} grant frames in process memory (a deleted sparse file on {@code /dev/shm}). */
    public static SharedGrantTable anonymous(final int frames)
    {
        return new SharedGrantTable(
            SharedMemoryFile.anonymous("pvring-gnttab-", GrantTableDescriptor.tableBytes(frames)), frames);
    }

    /** A table of {@code frames} grant frames in a named file (entry {@code ref} at byte {@code ref * 8}). */
    public static SharedGrantTable file(final Path path, final int frames)
    {
        return new SharedGrantTable(SharedMemoryFile.open(path, GrantTableDescriptor.tableBytes(frames)), frames);
    }

    /** The shared entries, for the granting side and for tests that play a hostile guest. */
    public AtomicBuffer buffer()
    {
        return buffer;
    }

    /** Number of entries ({@code frames * 512}). */
    public int capacity()
    {
        return capacity;
    }

    public int frames()
    {
        return frames;
    }

    /** The backing file (for process memory an already deleted name). */
    public Path path()
    {
        return file.path();
    }

    /** Pins (maps and copies in flight) currently held on {@code ref}, for leak checks. */
    public int pins(final int ref)
    {
        final long state = (long)STATES.getVolatile(states, ref);
        return readPins(state) + writePins(state);
    }

    /** Pins held on all refs together: 0 once every backend has released everything. */
    public long totalPins()
    {
        long total = 0;
        for (int ref = 0; ref < capacity; ref++)
        {
            total += pins(ref);
        }
        return total;
    }

    /**
     * Pins {@code ref} for {@code domid} (Xen's {@code map_grant_ref}/{@code acquire_grant_for_copy} up to the frame
     * lookup). The caller has checked {@code 0 <= ref < capacity}.
     *
     * @return the granted frame (u32, &gt;= 0), or {@link GrantStatus#GNTST_GENERAL_ERROR} when the entry does
     *     not permit this access (type, domid, {@code GTF_readonly}, unstable entry, pin count overflow).
     */
    long pin(final int ref, final int domid, final boolean writable)
    {
        final long increment = writable ? WRITE_PIN : READ_PIN;
        while (true)
        {
            final long state = (long)STATES.getVolatile(states, ref);
            if ((state & TRANSITION) != 0)
            {
                Thread.onSpinWait();
                continue;
            }
            final int reads = readPins(state);
            final int writes = writePins(state);
            if ((writable ? writes : reads) == MAX_PINS)
            {
                return GNTST_GENERAL_ERROR;
            }
            if (reads + writes > 0 && (!writable || writes > 0))
            {
                // The shared bits already cover this pin: count it, then check it is ours (Xen: act->domid).
                if (STATES.compareAndSet(states, ref, state, state + increment))
                {
                    if (pinnedDomid[ref] != domid)
                    {
                        unpin(ref, writable);
                        return GNTST_GENERAL_ERROR;
                    }
                    return pinnedFrame[ref] & 0xFFFF_FFFFL;
                }
                continue;
            }
            if (!STATES.compareAndSet(states, ref, state, state | TRANSITION))
            {
                continue;
            }
            if (reads + writes > 0 && pinnedDomid[ref] != domid)
            {
                STATES.setRelease(states, ref, state);
                return GNTST_GENERAL_ERROR;
            }
            final int status = setStatus(ref, domid, writable);
            if (GNTST_OKAY != status)
            {
                STATES.setRelease(states, ref, state);
                return status;
            }
            if (0 == reads + writes)
            {
                // Read once with the entry busy; later pins use this copy, whatever the guest writes afterwards.
                pinnedFrame[ref] = buffer.getIntVolatile(entryOffset(ref) + FRAME_OFFSET);
                pinnedDomid[ref] = domid;
            }
            // Release: the cached frame and domid are visible to whoever sees the new count.
            STATES.setRelease(states, ref, state + increment);
            return pinnedFrame[ref] & 0xFFFF_FFFFL;
        }
    }

    /** Drops one pin taken by {@link #pin}, clearing {@code GTF_writing}/{@code GTF_reading} on the last one. */
    void unpin(final int ref, final boolean writable)
    {
        final long decrement = writable ? WRITE_PIN : READ_PIN;
        while (true)
        {
            final long state = (long)STATES.getVolatile(states, ref);
            if ((state & TRANSITION) != 0)
            {
                Thread.onSpinWait();
                continue;
            }
            if ((writable ? writePins(state) : readPins(state)) == 0)
            {
                throw new IllegalStateException("ref=" + ref + " writable=" + writable + " is not pinned");
            }
            final long next = state - decrement;
            final int clear = (writable && writePins(next) == 0 ? GTF_WRITING : 0) |
                (readPins(next) + writePins(next) == 0 ? GTF_READING : 0);
            if (0 == clear)
            {
                if (STATES.compareAndSet(states, ref, state, next))
                {
                    return;
                }
                continue;
            }
            // The count drops before the bits clear: pins are never visible as 0 with the entry still free to end.
            if (!STATES.compareAndSet(states, ref, state, next | TRANSITION))
            {
                continue;
            }
            // One atomic AND (Xen's gnttab_clear_flags): cannot be starved by a guest rewriting the entry.
            UnsafeApi.getAndBitwiseAndInt(buffer.byteArray(), buffer.addressOffset() + entryOffset(ref), ~clear);
            STATES.setRelease(states, ref, next);
            return;
        }
    }

    /**
     * Xen's {@code _set_status_v1}: checks the entry permits this access by {@code domid} and sets the busy bits
     * in one compare-and-swap of {@code flags|domid}; a guest that keeps changing the word loses after a few tries.
     */
    private int setStatus(final int ref, final int domid, final boolean writable)
    {
        final int offset = entryOffset(ref);
        final int mask = GTF_TYPE_MASK | (writable ? GTF_READONLY : 0);
        final int busy = GTF_READING | (writable ? GTF_WRITING : 0);
        int word = buffer.getIntVolatile(offset);
        for (int retries = 0; ; retries++)
        {
            if ((word & mask) != GTF_PERMIT_ACCESS || (word >>> 16) != domid)
            {
                return GNTST_GENERAL_ERROR;
            }
            final int witness = buffer.compareAndExchangeInt(offset, word, word | busy);
            if (witness == word)
            {
                return GNTST_OKAY;
            }
            if (retries == MAX_SET_STATUS_RETRIES)
            {
                return GNTST_GENERAL_ERROR;
            }
            word = witness;
        }
    }

    /** False once the table's file was truncated under its mapping (see {@link SharedMemoryFile#intact()}). */
    public boolean intact()
    {
        return file.intact();
    }

    /** Unmaps the entries. Backends must have released their pins (the hypervisor closes mappers first). */
    @Override
    public synchronized void close()
    {
        if (!closed)
        {
            closed = true;
            IoUtil.unmap(mapped);
            file.close();
        }
    }

    public synchronized boolean isClosed()
    {
        return closed;
    }

    private static int readPins(final long state)
    {
        return (int)(state & MAX_PINS);
    }

    private static int writePins(final long state)
    {
        return (int)((state >>> 16) & MAX_PINS);
    }
}
