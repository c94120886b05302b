package io.pvring.blkback.test;

import io.pvring.blkback.store.BlockIo;
import io.pvring.blkback.store.BlockStore;
import io.pvring.blkback.store.MemoryBlockStore;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A store whose I/O completes only when the test says so, in any order, on any thread: submissions are held, and
 * {@link #complete(int, int)} performs the held io against a RAM disk (at completion time, like a real device)
 * before it hands back the status. {@link #inline(boolean)} makes it complete during submit instead, on the
 * submitting thread. Flushes are counted; {@link #failFlushes} makes every later flush fail (sticky, as a store
 * must after a failed fsync). Allocation-free once warm (held ios sit in a fixed array).
 */
public final class ControlledBlockStore implements BlockStore
{
    private final MemoryBlockStore disk;
    private final BlockIo[] held = new BlockIo[4096];
    private int count;
    private volatile boolean inline;
    private volatile boolean flushFailed;
    private volatile int flushes;
    private volatile int submissions;

    public ControlledBlockStore(final long sizeBytes)
    {
        disk = new MemoryBlockStore(sizeBytes, 512);
    }

    /** The RAM disk behind it, to check data. */
    public MemoryBlockStore disk()
    {
        return disk;
    }

    public ControlledBlockStore inline(final boolean value)
    {
        inline = value;
        return this;
    }

    /** From now on every flush fails, as after an fsync error. */
    public void failFlushes()
    {
        flushFailed = true;
    }

    public synchronized int held()
    {
        return count;
    }

    /** The operation of held io {@code index} (submission order). */
    public synchronized int heldOp(final int index)
    {
        return held[index].op();
    }

    /** The disk offset of held io {@code index}. */
    public synchronized long heldOffset(final int index)
    {
        return held[index].offset();
    }

    public synchronized BlockIo heldIo(final int index)
    {
        return held[index];
    }

    public int flushes()
    {
        return flushes;
    }

    public int submissions()
    {
        return submissions;
    }

    public void submit(final BlockIo io)
    {
        synchronized (this)
        {
            submissions++;
        }
        if (inline)
        {
            io.complete(perform(io));
            return;
        }
        synchronized (this)
        {
            held[count++] = io;
        }
    }

    /**
     * Completes held io {@code index}: with {@code status} {@link #OK} it is performed first (and completes with
     * what that returned); any other status completes it without touching the disk.
     */
    public void complete(final int index, final int status)
    {
        final BlockIo io;
        synchronized (this)
        {
            io = held[index];
            System.arraycopy(held, index + 1, held, index, count - index - 1);
            held[--count] = null;
        }
        io.complete(status == OK ? perform(io) : status);
    }

    /** Completes every held io, oldest first. */
    public void completeAll(final int status)
    {
        while (held() > 0)
        {
            complete(0, status);
        }
    }

    /** Calls {@code complete} a second time on an io the store already completed: a store bug the ring survives. */
    public static void completeAgain(final BlockIo io)
    {
        io.complete(OK);
    }

    private int perform(final BlockIo io)
    {
        switch (io.op())
        {
            case BlockIo.READ:
            case BlockIo.WRITE:
            {
                long position = io.offset();
                for (int i = 0; i < io.segments(); i++)
                {
                    final UnsafeBuffer page = io.page(i);
                    if (page == null)
                    {
                        return EIO;
                    }
                    final int length = io.segmentLength(i);
                    final int rc = io.op() == BlockIo.WRITE ?
                        disk.write(position, page, io.segmentPageOffset(i), length) :
                        disk.read(position, page, io.segmentPageOffset(i), length);
                    if (rc != OK)
                    {
                        return rc;
                    }
                    position += length;
                }
                return OK;
            }
            case BlockIo.FLUSH:
                flushes++;
                return flushFailed ? EIO : OK;
            case BlockIo.DISCARD:
                return disk.discard(io.offset(), io.length(), io.secure());
            default:
                return EOPNOTSUPP;
        }
    }

    public long sizeBytes()
    {
        return disk.sizeBytes();
    }

    public int logicalSectorSize()
    {
        return 512;
    }

    public int physicalSectorSize()
    {
        return 512;
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
        return false;
    }

    public int discardGranularity()
    {
        return 512;
    }

    public boolean resize(final long newSizeBytes)
    {
        return false;
    }

    public String describe()
    {
        return "controlled:" + disk.sizeBytes();
    }

    public void close()
    {
        disk.close();
    }
}
