package io.pvring.blkback.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * A raw disk image file (what {@code qemu-img create -f raw} makes) through positional {@link FileChannel} I/O.
 * Sparse files stay sparse: only written ranges get blocks. Read-only images ({@code mode=r}) are opened without
 * write access.
 *
 * <p>Durability: with {@code writeCache} the store advertises {@code feature-flush-cache}; a write is complete in
 * the page cache and {@link #flush()} is {@code force(false)} (fdatasync). Without it the file is opened
 * {@code DSYNC}, every write is durable when it returns, and flush is not offered. A failed {@code force()} is
 * sticky: later flushes fail until the image is reopened, because the kernel may already have dropped the dirty
 * pages it could not write ("fsyncgate").
 *
 * <p>Discard is not offered ({@link #canDiscard()} is false, so blkback writes {@code feature-discard=0} and answers
 * {@code BLKIF_OP_DISCARD} with {@code BLKIF_RSP_EOPNOTSUPP}): the JDK has no way to deallocate a file range.
 * {@code FileChannel} offers read, write, truncate, force, map and lock only; {@code truncate} frees the tail,
 * never a middle range; {@code Files} and the {@code FileStore} attributes have nothing either. Punching a hole
 * needs {@code fallocate(FALLOC_FL_PUNCH_HOLE)}, reachable only through native code (JNI, or the foreign function
 * API that is final only from JDK 22, above this project's Java 17 baseline). Writing zeros instead would make a
 * sparse image dense, so it is not done. Use {@link MemoryBlockStore} (which frees discarded chunks) or
 * {@link NullBlockStore} when discard matters.
 */
public final class RawFileBlockStore implements BlockStore
{
    private static final int BOUNCE_SIZE = 128 * 1024;

    private final FileChannel channel;
    private final String name;
    private volatile long sizeBytes;
    private final int sectorSize;
    private final boolean readOnly;
    private final boolean writeCache;
    private final ThreadLocal<ByteBuffer> bounce = ThreadLocal.withInitial(
        () -> ByteBuffer.allocateDirect(BOUNCE_SIZE));
    private final ThreadLocal<AddressView> views = ThreadLocal.withInitial(() -> new AddressView(BOUNCE_SIZE));
    private volatile boolean flushFailed;

    /**
     * Opens an existing image; its size (rounded down to {@code sectorSize}) is the disk size.
     *
     * @param writeCache true for page-cache writes plus flush, false for synchronous ({@code DSYNC}) writes.
     */
    public static RawFileBlockStore open(
        final Path path, final int sectorSize, final boolean readOnly, final boolean writeCache)
    {
        try
        {
            final OpenOption[] options = readOnly ?
                new OpenOption[]{ StandardOpenOption.READ } :
                writeCache ?
                new OpenOption[]{ StandardOpenOption.READ, StandardOpenOption.WRITE } :
                new OpenOption[]{ StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.DSYNC };
            final FileChannel channel = FileChannel.open(path, options);
            final long size = channel.size() / sectorSize * sectorSize;
            return new RawFileBlockStore(channel, path.toString(), size, sectorSize, readOnly, writeCache);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open image " + path, ex);
        }
    }

    /** Over an open channel (tests wrap one to inject I/O errors). */
    public RawFileBlockStore(
        final FileChannel channel,
        final String name,
        final long sizeBytes,
        final int sectorSize,
        final boolean readOnly,
        final boolean writeCache)
    {
        StoreChecks.checkGeometry(sizeBytes, sectorSize);
        this.channel = channel;
        this.name = name;
        this.sizeBytes = sizeBytes;
        this.sectorSize = sectorSize;
        this.readOnly = readOnly;
        this.writeCache = writeCache;
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
        return Math.max(sectorSize, 4096);
    }

    public boolean isReadOnly()
    {
        return readOnly;
    }

    public boolean canFlush()
    {
        return writeCache && !readOnly;
    }

    public boolean canDiscard()
    {
        return false;
    }

    public boolean canSecureDiscard()
    {
        return false;
    }

    public int discardGranularity()
    {
        return sectorSize;
    }

    public int read(final long offset, final MutableDirectBuffer dst, final int dstOffset, final int length)
    {
        // Straight into the guest page when it is native memory; through a bounce buffer otherwise.
        final ByteBuffer direct = views.get().point(dst, dstOffset, length);
        if (direct != null)
        {
            return readFully(direct, offset);
        }
        final ByteBuffer bb = bounce.get();
        try
        {
            int done = 0;
            while (done < length)
            {
                final int n = Math.min(length - done, BOUNCE_SIZE);
                bb.clear().limit(n);
                while (bb.hasRemaining())
                {
                    final int r = channel.read(bb, offset + done + bb.position());
                    if (r < 0)
                    {
                        // Past the end of a file shorter than the disk: a sparse tail reads as zeros.
                        while (bb.hasRemaining())
                        {
                            bb.put((byte)0);
                        }
                    }
                }
                dst.putBytes(dstOffset + done, bb, 0, n);
                done += n;
            }
            return OK;
        }
        catch (final IOException ex)
        {
            return EIO;
        }
    }

    public int write(final long offset, final DirectBuffer src, final int srcOffset, final int length)
    {
        if (readOnly)
        {
            return EIO;
        }
        final ByteBuffer direct = views.get().point(src, srcOffset, length);
        if (direct != null)
        {
            try
            {
                while (direct.hasRemaining())
                {
                    channel.write(direct, offset + direct.position());
                }
                return OK;
            }
            catch (final IOException ex)
            {
                return EIO;
            }
        }
        final ByteBuffer bb = bounce.get();
        try
        {
            int done = 0;
            while (done < length)
            {
                final int n = Math.min(length - done, BOUNCE_SIZE);
                src.getBytes(srcOffset + done, bb, 0, n);
                bb.clear().limit(n);
                while (bb.hasRemaining())
                {
                    channel.write(bb, offset + done + bb.position());
                }
                done += n;
            }
            return OK;
        }
        catch (final IOException ex)
        {
            return EIO;
        }
    }

    private int readFully(final ByteBuffer bb, final long offset)
    {
        try
        {
            while (bb.hasRemaining())
            {
                if (channel.read(bb, offset + bb.position()) < 0)
                {
                    // Past the end of a file shorter than the disk: a sparse tail reads as zeros.
                    while (bb.hasRemaining())
                    {
                        bb.put((byte)0);
                    }
                }
            }
            return OK;
        }
        catch (final IOException ex)
        {
            return EIO;
        }
    }

    public int flush()
    {
        if (!canFlush())
        {
            return EOPNOTSUPP;
        }
        if (flushFailed)
        {
            return EIO;
        }
        try
        {
            channel.force(false);
            return OK;
        }
        catch (final IOException ex)
        {
            flushFailed = true;
            return EIO;
        }
    }

    /** Grows the image sparsely or truncates it; the new size is the disk size. */
    public boolean resize(final long newSizeBytes)
    {
        StoreChecks.checkGeometry(newSizeBytes, sectorSize);
        if (readOnly)
        {
            return false;
        }
        try
        {
            if (newSizeBytes < channel.size())
            {
                channel.truncate(newSizeBytes);
            }
            else if (newSizeBytes > channel.size())
            {
                // One zero byte at the new end extends the file without allocating the gap.
                channel.write(ByteBuffer.allocate(1), newSizeBytes - 1);
            }
            sizeBytes = newSizeBytes;
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    public int discard(final long offset, final long length, final boolean secure)
    {
        return EOPNOTSUPP;
    }

    /** True once a flush failed; only reopening the image clears it. */
    public boolean hasFlushFailed()
    {
        return flushFailed;
    }

    public String describe()
    {
        return "file:" + name;
    }

    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("closing " + name, ex);
        }
    }
}
