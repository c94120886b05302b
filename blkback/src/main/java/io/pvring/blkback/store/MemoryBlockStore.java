package io.pvring.blkback.store;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReferenceArray;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A RAM disk in off-heap memory, sparse: 64 KiB chunks are allocated on first write, unwritten ranges read as
 * zeros, and a discard of whole chunks gives their memory back. Chunk tables are two-level so a 1 TiB disk costs
 * nothing until written. Nothing is volatile beyond the process, so flush has nothing to do.
 */
public final class MemoryBlockStore implements BlockStore
{
    static final int CHUNK_SHIFT = 16;
    static final int CHUNK_SIZE = 1 << CHUNK_SHIFT;
    private static final int TABLE_SHIFT = 12;
    private static final int TABLE_SIZE = 1 << TABLE_SHIFT;

    private volatile long sizeBytes;
    private final long maxSizeBytes;
    private final int sectorSize;
    private final boolean readOnly;
    private final AtomicReferenceArray<AtomicReferenceArray<UnsafeBuffer>> tables;

    public MemoryBlockStore(final long sizeBytes, final int sectorSize)
    {
        this(sizeBytes, sectorSize, false);
    }

    public MemoryBlockStore(final long sizeBytes, final int sectorSize, final boolean readOnly)
    {
        this(sizeBytes, sectorSize, readOnly, sizeBytes);
    }

    /** @param maxSizeBytes the largest size {@link #resize} may grow to (chunk tables cover it, sparsely). */
    public MemoryBlockStore(
        final long sizeBytes, final int sectorSize, final boolean readOnly, final long maxSizeBytes)
    {
        StoreChecks.checkGeometry(sizeBytes, sectorSize);
        if (maxSizeBytes < sizeBytes)
        {
            throw new IllegalArgumentException("maxSizeBytes=" + maxSizeBytes + " < sizeBytes=" + sizeBytes);
        }
        this.sizeBytes = sizeBytes;
        this.maxSizeBytes = maxSizeBytes;
        this.sectorSize = sectorSize;
        this.readOnly = readOnly;
        final long chunks = (maxSizeBytes + CHUNK_SIZE - 1) >>> CHUNK_SHIFT;
        this.tables = new AtomicReferenceArray<>((int)((chunks + TABLE_SIZE - 1) >>> TABLE_SHIFT));
    }

    public long sizeBytes()
    {
        return sizeBytes;
    }

    public int logicalSectorSize()
    {
        return sectorSize;
    }

    public int physicalSectorSize()
    {
        return sectorSize;
    }

    public boolean isReadOnly()
    {
        return readOnly;
    }

    public boolean canFlush()
    {
        return true;
    }

    public boolean canDiscard()
    {
        return true;
    }

    public boolean canSecureDiscard()
    {
        return true;
    }

    public int discardGranularity()
    {
        return sectorSize;
    }

    /** Chunks holding memory now, for sparseness checks. */
    public int residentChunks()
    {
        int count = 0;
        for (int t = 0; t < tables.length(); t++)
        {
            final AtomicReferenceArray<UnsafeBuffer> table = tables.get(t);
            if (table != null)
            {
                for (int i = 0; i < TABLE_SIZE; i++)
                {
                    if (table.get(i) != null)
                    {
                        count++;
                    }
                }
            }
        }
        return count;
    }

    public int read(final long offset, final MutableDirectBuffer dst, final int dstOffset, final int length)
    {
        long position = offset;
        int done = 0;
        while (done < length)
        {
            final int inChunk = (int)(position & (CHUNK_SIZE - 1));
            final int n = Math.min(length - done, CHUNK_SIZE - inChunk);
            final UnsafeBuffer chunk = chunk(position >>> CHUNK_SHIFT);
            if (chunk == null)
            {
                dst.setMemory(dstOffset + done, n, (byte)0);
            }
            else
            {
                chunk.getBytes(inChunk, dst, dstOffset + done, n);
            }
            done += n;
            position += n;
        }
        return OK;
    }

    public int write(final long offset, final DirectBuffer src, final int srcOffset, final int length)
    {
        long position = offset;
        int done = 0;
        while (done < length)
        {
            final int inChunk = (int)(position & (CHUNK_SIZE - 1));
            final int n = Math.min(length - done, CHUNK_SIZE - inChunk);
            chunkForWrite(position >>> CHUNK_SHIFT).putBytes(inChunk, src, srcOffset + done, n);
            done += n;
            position += n;
        }
        return OK;
    }

    public int flush()
    {
        return OK;
    }

    public boolean resize(final long newSizeBytes)
    {
        StoreChecks.checkGeometry(newSizeBytes, sectorSize);
        if (newSizeBytes > maxSizeBytes)
        {
            return false;
        }
        final long old = sizeBytes;
        if (newSizeBytes < old)
        {
            // Drop the cut tail now, so growing again later reads zeros there.
            final long end = Math.min(old, (long)tables.length() << (TABLE_SHIFT + CHUNK_SHIFT));
            discard(newSizeBytes, end - newSizeBytes, true);
        }
        sizeBytes = newSizeBytes;
        return true;
    }

    public int discard(final long offset, final long length, final boolean secure)
    {
        long position = offset;
        final long end = offset + length;
        while (position < end)
        {
            final int inChunk = (int)(position & (CHUNK_SIZE - 1));
            final long n = Math.min(end - position, CHUNK_SIZE - inChunk);
            final long index = position >>> CHUNK_SHIFT;
            if (n == CHUNK_SIZE)
            {
                final AtomicReferenceArray<UnsafeBuffer> table = tables.get((int)(index >>> TABLE_SHIFT));
                if (table != null)
                {
                    table.set((int)(index & (TABLE_SIZE - 1)), null);
                }
            }
            else
            {
                final UnsafeBuffer chunk = chunk(index);
                if (chunk != null)
                {
                    chunk.setMemory(inChunk, (int)n, (byte)0);
                }
            }
            position += n;
        }
        return OK;
    }

    public String describe()
    {
        return "memory:" + sizeBytes;
    }

    public void close()
    {
        for (int t = 0; t < tables.length(); t++)
        {
            tables.set(t, null);
        }
    }

    private UnsafeBuffer chunk(final long index)
    {
        final AtomicReferenceArray<UnsafeBuffer> table = tables.get((int)(index >>> TABLE_SHIFT));
        return table == null ? null : table.get((int)(index & (TABLE_SIZE - 1)));
    }

    private UnsafeBuffer chunkForWrite(final long index)
    {
        final int t = (int)(index >>> TABLE_SHIFT);
        AtomicReferenceArray<UnsafeBuffer> table = tables.get(t);
        if (table == null)
        {
            tables.compareAndSet(t, null, new AtomicReferenceArray<>(TABLE_SIZE));
            table = tables.get(t);
        }
        final int i = (int)(index & (TABLE_SIZE - 1));
        UnsafeBuffer chunk = table.get(i);
        if (chunk == null)
        {
            // First touch of a chunk: the only allocation, and a racing writer's chunk wins or loses as a whole.
            table.compareAndSet(i, null, new UnsafeBuffer(ByteBuffer.allocateDirect(CHUNK_SIZE)));
            chunk = table.get(i);
        }
        return chunk;
    }
}
