package io.pvring.blkback.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * A disk that completes every request without moving data: reads leave the guest's pages as they are, writes are
 * dropped. For benchmarks of the protocol path (Linux {@code null_blk}).
 */
public final class NullBlockStore implements BlockStore
{
    private volatile long sizeBytes;
    private final int sectorSize;

    public NullBlockStore(final long sizeBytes, final int sectorSize)
    {
        StoreChecks.checkGeometry(sizeBytes, sectorSize);
        this.sizeBytes = sizeBytes;
        this.sectorSize = sectorSize;
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
        return false;
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

    public int read(final long offset, final MutableDirectBuffer dst, final int dstOffset, final int length)
    {
        return OK;
    }

    public int write(final long offset, final DirectBuffer src, final int srcOffset, final int length)
    {
        return OK;
    }

    public int flush()
    {
        return OK;
    }

    public boolean resize(final long newSizeBytes)
    {
        StoreChecks.checkGeometry(newSizeBytes, sectorSize);
        sizeBytes = newSizeBytes;
        return true;
    }

    public int discard(final long offset, final long length, final boolean secure)
    {
        return OK;
    }

    public String describe()
    {
        return "null:" + sizeBytes;
    }

    public void close()
    {
    }
}
