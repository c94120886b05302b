package io.pvring.blkback.store;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Base of the stores that do their I/O on the submitting thread (memory, null, a file already in the page cache):
 * {@link #submit} runs the io segment by segment through {@link #read}/{@link #write}/{@link #flush}/{@link #discard}
 * and completes it before returning, so the backend answers it on its direct path. The four methods are also the
 * store's own synchronous API (tests and tools use them).
 */
public abstract class SynchronousBlockStore implements BlockStore
{
    @Override
    public final void submit(final BlockIo io)
    {
        io.complete(execute(io));
    }

    private int execute(final BlockIo io)
    {
        switch (io.op())
        {
            case BlockIo.READ:
            case BlockIo.WRITE:
            {
                final boolean write = io.op() == BlockIo.WRITE;
                long position = io.offset();
                for (int i = 0; i < io.segments(); i++)
                {
                    final UnsafeBuffer page = io.page(i);
                    final int length = io.segmentLength(i);
                    if (page == null)
                    {
                        return EIO;
                    }
                    final int rc = write ?
                        write(position, page, io.segmentPageOffset(i), length) :
                        read(position, page, io.segmentPageOffset(i), length);
                    if (rc != OK)
                    {
                        return rc;
                    }
                    position += length;
                }
                return OK;
            }
            case BlockIo.FLUSH:
                return flush();
            case BlockIo.DISCARD:
                return discard(io.offset(), io.length(), io.secure());
            default:
                return EOPNOTSUPP;
        }
    }

    public abstract int read(long offset, MutableDirectBuffer dst, int dstOffset, int length);

    public abstract int write(long offset, DirectBuffer src, int srcOffset, int length);

    /** {@link #OK} only after every write that returned before it is durable; a failure is sticky. */
    public abstract int flush();

    /** Drops the data of a range (it reads back as zeros afterwards for every store here). */
    public abstract int discard(long offset, long length, boolean secure);
}
