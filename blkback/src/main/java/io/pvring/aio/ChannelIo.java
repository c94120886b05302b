package io.pvring.aio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;

import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;

/**
 * Runs one request synchronously with positional {@link FileChannel} I/O, on a worker thread. Under {@code
 * O_DIRECT}, requests whose memory, offset or length miss the file's alignment go through an aligned bounce
 * buffer (a partial block at either end of a write is read, merged and written back, serialised per file), so the
 * caller never sees {@code EINVAL}. A write into the last, partial block of a file whose size is not a multiple
 * of the alignment writes that whole block, so the file grows to the next alignment boundary (disk images are
 * sized in whole sectors; an image of 4 KiB multiples never grows). One instance per worker thread.
 */
final class ChannelIo
{
    private final NativeView view = new NativeView();
    private final AlignedBufferPool bouncePool;

    ChannelIo(final AlignedBufferPool bouncePool)
    {
        this.bouncePool = bouncePool;
    }

    /** Executes {@code slot}; returns bytes transferred, 0 for sync, or a negated errno. */
    long execute(final AioSlot slot)
    {
        final AioFile file = slot.file;
        try
        {
            switch (slot.op)
            {
                case AioOp.READ:
                case AioOp.READV:
                    return slot.needsBounce() ? bounceRead(slot) : directRead(slot);
                case AioOp.WRITE:
                case AioOp.WRITEV:
                    return slot.needsBounce() ? bounceWrite(slot) : directWrite(slot);
                case AioOp.FSYNC:
                    file.channel().force(true);
                    return 0;
                case AioOp.FDATASYNC:
                    file.channel().force(false);
                    return 0;
                default:
                    return -Errno.EOPNOTSUPP;
            }
        }
        catch (final ClosedChannelException | NonWritableChannelException | NonReadableChannelException ex)
        {
            return -Errno.EBADF;
        }
        catch (final IOException ex)
        {
            return -Errno.EIO;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return -Errno.ECANCELED;
        }
    }

    private long directRead(final AioSlot slot) throws IOException
    {
        final FileChannel channel = slot.file.channel();
        if (slot.op == AioOp.READ)
        {
            return readFully(channel, view.point(slot.address, (int)slot.length), slot.position);
        }
        long done = 0;
        for (int i = 0; i < slot.segmentCount; i++)
        {
            final int length = slot.segmentLengths[i];
            final int n = readFully(channel, view.point(slot.segmentAddresses[i], length), slot.position + done);
            done += n;
            if (n < length)
            {
                break;
            }
        }
        return done;
    }

    private long directWrite(final AioSlot slot) throws IOException
    {
        final FileChannel channel = slot.file.channel();
        if (slot.op == AioOp.WRITE)
        {
            writeFully(channel, view.point(slot.address, (int)slot.length), slot.position);
            return slot.length;
        }
        long done = 0;
        for (int i = 0; i < slot.segmentCount; i++)
        {
            final int length = slot.segmentLengths[i];
            writeFully(channel, view.point(slot.segmentAddresses[i], length), slot.position + done);
            done += length;
        }
        return done;
    }

    private long bounceRead(final AioSlot slot) throws IOException, InterruptedException
    {
        final int alignment = slot.file.alignment();
        final long start = alignDown(slot.position, alignment);
        final long end = alignUp(slot.position + slot.length, alignment);
        final ByteBuffer bounce = bouncePool.acquire();
        try
        {
            final long bounceAddress = BufferUtil.address(bounce);
            final int n = readFully(slot.file.channel(), view.point(bounceAddress, (int)(end - start)), start);
            final long valid = Math.max(0, Math.min(slot.length, n - (slot.position - start)));
            scatter(slot, bounceAddress + (slot.position - start), valid);
            return valid;
        }
        finally
        {
            bouncePool.release(bounce);
        }
    }

    private long bounceWrite(final AioSlot slot) throws IOException, InterruptedException
    {
        final AioFile file = slot.file;
        final int alignment = file.alignment();
        final long start = alignDown(slot.position, alignment);
        final long end = alignUp(slot.position + slot.length, alignment);
        final boolean partialHead = start != slot.position;
        final boolean partialTail = end != slot.position + slot.length;
        final ByteBuffer bounce = bouncePool.acquire();
        try
        {
            final long bounceAddress = BufferUtil.address(bounce);
            if (!partialHead && !partialTail)
            {
                // Only the memory is unaligned: whole blocks, no neighbour to preserve.
                gather(slot, bounceAddress);
                writeFully(file.channel(), view.point(bounceAddress, (int)slot.length), start);
                return slot.length;
            }
            synchronized (file.rmwLock)
            {
                if (partialHead)
                {
                    readBlock(file, bounceAddress, start, alignment);
                }
                if (partialTail && (end - alignment != start || !partialHead))
                {
                    readBlock(file, bounceAddress + (end - alignment - start), end - alignment, alignment);
                }
                gather(slot, bounceAddress + (slot.position - start));
                writeFully(file.channel(), view.point(bounceAddress, (int)(end - start)), start);
            }
            return slot.length;
        }
        finally
        {
            bouncePool.release(bounce);
        }
    }

    /** Reads one aligned block to {@code target}; past end of file it is zeros. */
    private void readBlock(final AioFile file, final long target, final long position, final int alignment)
        throws IOException
    {
        final int n = readFully(file.channel(), view.point(target, alignment), position);
        if (n < alignment)
        {
            UnsafeApi.setMemory(target + n, alignment - n, (byte)0);
        }
    }

    /** Copies {@code bytes} from {@code source} into the request's memory, segment after segment. */
    private static void scatter(final AioSlot slot, final long source, final long bytes)
    {
        if (slot.op == AioOp.READ)
        {
            UnsafeApi.copyMemory(source, slot.address, bytes);
            return;
        }
        long done = 0;
        for (int i = 0; i < slot.segmentCount && done < bytes; i++)
        {
            final long n = Math.min(slot.segmentLengths[i], bytes - done);
            UnsafeApi.copyMemory(source + done, slot.segmentAddresses[i], n);
            done += n;
        }
    }

    /** Copies the request's memory, segment after segment, to {@code target}. */
    private static void gather(final AioSlot slot, final long target)
    {
        if (slot.op == AioOp.WRITE)
        {
            UnsafeApi.copyMemory(slot.address, target, slot.length);
            return;
        }
        long done = 0;
        for (int i = 0; i < slot.segmentCount; i++)
        {
            UnsafeApi.copyMemory(slot.segmentAddresses[i], target + done, slot.segmentLengths[i]);
            done += slot.segmentLengths[i];
        }
    }

    /** Reads until the buffer is full or end of file; returns bytes read. */
    private static int readFully(final FileChannel channel, final ByteBuffer buffer, final long position)
        throws IOException
    {
        final int start = buffer.position();
        while (buffer.hasRemaining())
        {
            final int n = channel.read(buffer, position + buffer.position() - start);
            if (n < 0)
            {
                break;
            }
        }
        return buffer.position() - start;
    }

    private static void writeFully(final FileChannel channel, final ByteBuffer buffer, final long position)
        throws IOException
    {
        final int start = buffer.position();
        while (buffer.hasRemaining())
        {
            channel.write(buffer, position + buffer.position() - start);
        }
    }

    static long alignDown(final long value, final int alignment)
    {
        return value & -(long)alignment;
    }

    static long alignUp(final long value, final int alignment)
    {
        return (value + alignment - 1) & -(long)alignment;
    }
}
