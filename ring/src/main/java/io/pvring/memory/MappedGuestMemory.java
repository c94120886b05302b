package io.pvring.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * {@link GuestMemory} over a sparse {@link SharedMemoryFile}, as a table of 1 GiB chunks mapped on first use (an
 * Agrona buffer, like a {@code MappedByteBuffer}, stops at 2 GiB, while a domain may have up to 1 TiB).
 *
 * <pre>
 *   file:    | chunk 0 (1 GiB)             | chunk 1 (1 GiB)             | chunk 2 ...
 *   map 0:   [=============================[64K]
 *   map 1:                                 [=============================[64K]
 * </pre>
 * Each chunk's mapping runs {@link #OVERLAP_BYTES} (16 frames) into the next chunk, over the same file pages, so any
 * run of up to {@link GuestMemory#MAX_CONTIGUOUS_FRAMES} frames is contiguous in this process even when it
 * crosses a chunk boundary: a 16-page ring never needs a copy. Writes through either mapping are the same bytes.
 *
 * <p>Reading the chunk table is lock-free (an acquire load per access); mapping a chunk takes this object's
 * monitor once per chunk. {@link #close()} unmaps everything: buffers wrapped earlier must not be used after it.
 */
public final class MappedGuestMemory implements GuestMemory
{
    public static final int CHUNK_SHIFT = 30;
    public static final long CHUNK_BYTES = 1L << CHUNK_SHIFT;
    /** How far each chunk's mapping extends into the next one. */
    public static final int OVERLAP_BYTES = MAX_CONTIGUOUS_FRAMES * PAGE_SIZE;

    private static final int FRAMES_PER_CHUNK_SHIFT = CHUNK_SHIFT - PAGE_SHIFT;
    private static final VarHandle ADDRESSES = MethodHandles.arrayElementVarHandle(long[].class);

    private final SharedMemoryFile file;
    private final long bytes;
    private final long frames;
    /** Base address of each mapped chunk, 0 while unmapped or after close; published with release. */
    private final long[] chunkAddresses;
    private final MappedByteBuffer[] chunkBuffers;
    private volatile boolean closed;

    private MappedGuestMemory(final SharedMemoryFile file, final long bytes)
    {
        this.file = file;
        this.bytes = bytes;
        this.frames = bytes >>> PAGE_SHIFT;
        final int chunks = (int)((bytes + CHUNK_BYTES - 1) >>> CHUNK_SHIFT);
        this.chunkAddresses = new long[chunks];
        this.chunkBuffers = new MappedByteBuffer[chunks];
    }

    /** Process memory: see {@link GuestMemory#anonymous(long)}. */
    public static MappedGuestMemory anonymous(final long bytes)
    {
        checkBytes(bytes);
        return new MappedGuestMemory(SharedMemoryFile.anonymous("pvring-mem-", bytes), bytes);
    }

    /**
     * {@code bytes} of someone else's memory at {@code offset} of an existing file: see
     * {@link SharedMemoryFile#existing}. Closing unmaps it and leaves the file as it was.
     */
    public static MappedGuestMemory existing(final Path path, final long offset, final long bytes)
    {
        checkBytes(bytes);
        return new MappedGuestMemory(SharedMemoryFile.existing(path, offset, bytes), bytes);
    }

    /** Memory in a named file: see {@link GuestMemory#file(Path, long)}. */
    public static MappedGuestMemory file(final Path path, final long bytes)
    {
        checkBytes(bytes);
        return new MappedGuestMemory(SharedMemoryFile.open(path, bytes), bytes);
    }

    private static void checkBytes(final long bytes)
    {
        if (bytes <= 0 || bytes > MAX_BYTES || (bytes & (PAGE_SIZE - 1)) != 0)
        {
            throw new IllegalArgumentException(
                "bytes=" + bytes + " must be a positive multiple of " + PAGE_SIZE + " up to " + MAX_BYTES);
        }
    }

    @Override
    public long frames()
    {
        return frames;
    }

    @Override
    public boolean intact()
    {
        return file.intact();
    }

    /** Guest-physical size in bytes. */
    public long bytes()
    {
        return bytes;
    }

    /** The backing file (for anonymous memory an already deleted name). */
    public Path path()
    {
        return file.path();
    }

    public boolean isAnonymous()
    {
        return file.isAnonymous();
    }

    /** Chunks mapped so far: mapping is lazy, one chunk per GiB touched. */
    public synchronized int mappedChunks()
    {
        int mapped = 0;
        for (final MappedByteBuffer buffer : chunkBuffers)
        {
            mapped += null != buffer ? 1 : 0;
        }
        return mapped;
    }

    @Override
    public boolean wrap(final UnsafeBuffer flyweight, final long gfn, final int count)
    {
        if (count <= 0 || gfn < 0 || gfn >= frames || count > frames - gfn)
        {
            return false;
        }
        final int chunk = (int)(gfn >>> FRAMES_PER_CHUNK_SHIFT);
        final long offset = (gfn << PAGE_SHIFT) & (CHUNK_BYTES - 1);
        final long length = (long)count << PAGE_SHIFT;
        if (offset + length > chunkMappedBytes(chunk))
        {
            return false;
        }
        final long base = chunkAddress(chunk);
        if (0 == base)
        {
            return false;
        }
        flyweight.wrap(base + offset, (int)length);
        return true;
    }

    @Override
    public boolean getBytes(
        final long gfn, final int offset, final MutableDirectBuffer dst, final int dstOffset, final int length)
    {
        final long address = frameAddress(gfn);
        if (0 == address || !GuestMemory.isInFrame(offset, length) ||
            !GuestMemory.isInBuffer(dst.capacity(), dstOffset, length))
        {
            return false;
        }
        UnsafeApi.copyMemory(null, address + offset, dst.byteArray(), dst.addressOffset() + dstOffset, length);
        return true;
    }

    @Override
    public boolean putBytes(
        final long gfn, final int offset, final DirectBuffer src, final int srcOffset, final int length)
    {
        final long address = frameAddress(gfn);
        if (0 == address || !GuestMemory.isInFrame(offset, length) ||
            !GuestMemory.isInBuffer(src.capacity(), srcOffset, length))
        {
            return false;
        }
        UnsafeApi.copyMemory(src.byteArray(), src.addressOffset() + srcOffset, null, address + offset, length);
        return true;
    }

    /** Unmaps every chunk and closes the file. Idempotent. */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (int i = 0; i < chunkBuffers.length; i++)
        {
            ADDRESSES.setRelease(chunkAddresses, i, 0L);
            if (null != chunkBuffers[i])
            {
                IoUtil.unmap(chunkBuffers[i]);
                chunkBuffers[i] = null;
            }
        }
        file.close();
    }

    public boolean isClosed()
    {
        return closed;
    }

    @Override
    public String toString()
    {
        return "MappedGuestMemory{bytes=" + bytes + ", file=" + file + ", closed=" + closed + '}';
    }

    private long frameAddress(final long gfn)
    {
        if (gfn < 0 || gfn >= frames)
        {
            return 0;
        }
        final long base = chunkAddress((int)(gfn >>> FRAMES_PER_CHUNK_SHIFT));
        return 0 == base ? 0 : base + ((gfn << PAGE_SHIFT) & (CHUNK_BYTES - 1));
    }

    private long chunkMappedBytes(final int chunk)
    {
        return Math.min(CHUNK_BYTES + OVERLAP_BYTES, bytes - ((long)chunk << CHUNK_SHIFT));
    }

    private long chunkAddress(final int chunk)
    {
        // Acquire: the mapping is complete before its address is seen.
        final long address = (long)ADDRESSES.getAcquire(chunkAddresses, chunk);
        return 0 != address || closed ? address : mapChunk(chunk);
    }

    private synchronized long mapChunk(final int chunk)
    {
        if (closed)
        {
            return 0;
        }
        if (null == chunkBuffers[chunk])
        {
            final MappedByteBuffer buffer = file.map((long)chunk << CHUNK_SHIFT, chunkMappedBytes(chunk));
            chunkBuffers[chunk] = buffer;
            ADDRESSES.setRelease(chunkAddresses, chunk, BufferUtil.address(buffer));
        }
        return chunkAddresses[chunk];
    }
}
