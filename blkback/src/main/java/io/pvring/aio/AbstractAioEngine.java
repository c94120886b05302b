package io.pvring.aio;

import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

/**
 * What both engines share: the preallocated request slots and their free list (submitting thread only), the
 * batch of requests queued since the last {@link #submitBatch()}, and the completion queue that engine threads
 * publish into and {@link #poll} drains.
 */
abstract class AbstractAioEngine implements AioEngine
{
    protected final AioConfig config;
    private final AioSlot[] slots;
    private final int[] freeSlots;
    private int freeCount;
    private final AioSlot[] batch;
    private int batchCount;
    private final ManyToOneConcurrentArrayQueue<AioSlot> completions;
    private final Runnable completionSignal;
    private int inFlight;
    private boolean closed;

    AbstractAioEngine(final AioConfig config, final Runnable completionSignal)
    {
        this.config = config.validate();
        this.completionSignal = completionSignal;
        final int depth = config.queueDepth();
        slots = new AioSlot[depth];
        freeSlots = new int[depth];
        for (int i = 0; i < depth; i++)
        {
            slots[i] = new AioSlot(i, config.maxSegments());
            freeSlots[i] = depth - 1 - i;
        }
        freeCount = depth;
        batch = new AioSlot[depth];
        completions = new ManyToOneConcurrentArrayQueue<>(depth);
    }

    /** Starts {@code count} prepared requests; they complete later through {@link #complete}. */
    protected abstract void dispatch(AioSlot[] requests, int count);

    /** Stops the engine's threads, waiting until {@code deadlineNanos} for requests in flight. */
    protected abstract void shutdown(long deadlineNanos);

    /** Called by {@link #poll} first: an engine whose completions only the polling thread sees reaps them here. */
    protected void reap()
    {
    }

    public boolean needsPolling()
    {
        return false;
    }

    final AioSlot slot(final int index)
    {
        return slots[index];
    }

    final int queueDepth()
    {
        return slots.length;
    }

    public final int inFlight()
    {
        return inFlight;
    }

    public boolean read(final AioFile file, final long tag, final long position, final long address, final int length)
    {
        return transfer(AioOp.READ, file, tag, position, address, length);
    }

    public boolean write(
        final AioFile file, final long tag, final long position, final long address, final int length)
    {
        return transfer(AioOp.WRITE, file, tag, position, address, length);
    }

    public boolean readv(final AioFile file, final long tag, final long position, final IoVector vector)
    {
        return vectored(AioOp.READV, file, tag, position, vector);
    }

    public boolean writev(final AioFile file, final long tag, final long position, final IoVector vector)
    {
        return vectored(AioOp.WRITEV, file, tag, position, vector);
    }

    public boolean sync(final AioFile file, final long tag, final boolean dataOnly)
    {
        final AioSlot slot = take(dataOnly ? AioOp.FDATASYNC : AioOp.FSYNC, file, tag, 0, 0, 0);
        if (slot == null)
        {
            return false;
        }
        enqueue(slot);
        return true;
    }

    public boolean punchHole(final AioFile file, final long tag, final long position, final long length)
    {
        if (position < 0 || length <= 0)
        {
            throw new IllegalArgumentException("position=" + position + " length=" + length);
        }
        final AioSlot slot = take(AioOp.PUNCH_HOLE, file, tag, position, 0, length);
        if (slot == null)
        {
            return false;
        }
        if (!canPunchHole())
        {
            completeNow(slot, -Errno.EOPNOTSUPP);
        }
        else
        {
            admit(slot);
        }
        return true;
    }

    public final int submitBatch()
    {
        final int count = batchCount;
        if (count == 0)
        {
            return 0;
        }
        for (int i = 0; i < count; i++)
        {
            batch[i].state = AioSlot.SUBMITTED;
        }
        batchCount = 0;
        dispatch(batch, count);
        return count;
    }

    public final int poll(final AioCompletionHandler handler, final int limit)
    {
        reap();
        int done = 0;
        while (done < limit)
        {
            final AioSlot slot = completions.poll();
            if (slot == null)
            {
                break;
            }
            final long tag = slot.tag;
            final long result = slot.result;
            release(slot);
            done++;
            handler.onComplete(tag, result);
        }
        return done;
    }

    public final void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (int i = 0; i < batchCount; i++)
        {
            final AioSlot slot = batch[i];
            slot.state = AioSlot.SUBMITTED;
            complete(slot, -Errno.ECANCELED);
        }
        batchCount = 0;
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.closeTimeoutMillis());
        shutdown(deadline);
        for (final AioSlot slot : slots)
        {
            if (slot.state == AioSlot.SUBMITTED)
            {
                // The engine did not finish it in time: the caller hears of it now, and a late completion loses
                // the race in tryComplete().
                complete(slot, -Errno.ETIMEDOUT);
            }
        }
    }

    final boolean isClosed()
    {
        return closed;
    }

    /** Publishes a result; called once per request by whichever thread finished it. */
    final void complete(final AioSlot slot, final long result)
    {
        if (publish(slot, result) && completionSignal != null)
        {
            completionSignal.run();
        }
    }

    /**
     * Publishes a result on the polling thread itself, which reaps it in the same {@link #poll}: no signal (it would
     * only wake the thread that is already running).
     */
    final void completeHere(final AioSlot slot, final long result)
    {
        publish(slot, result);
    }

    private boolean publish(final AioSlot slot, final long result)
    {
        if (!slot.tryComplete())
        {
            return false;
        }
        slot.result = result;
        // Capacity equals the number of slots, so there is always room.
        completions.offer(slot);
        return true;
    }

    /** True while some dispatched request has not yet published its completion. */
    final boolean hasOutstanding()
    {
        for (final AioSlot slot : slots)
        {
            if (slot.state == AioSlot.SUBMITTED)
            {
                return true;
            }
        }
        return false;
    }

    private boolean transfer(
        final byte op, final AioFile file, final long tag, final long position, final long address, final int length)
    {
        if (position < 0 || length <= 0 || length > config.maxIoBytes() || address == 0)
        {
            throw new IllegalArgumentException("position=" + position + " length=" + length + " address=" + address +
                " maxIoBytes=" + config.maxIoBytes());
        }
        final AioSlot slot = take(op, file, tag, position, address, length);
        if (slot == null)
        {
            return false;
        }
        admit(slot);
        return true;
    }

    private boolean vectored(
        final byte op, final AioFile file, final long tag, final long position, final IoVector vector)
    {
        final int count = vector.count();
        if (position < 0 || count == 0 || count > config.maxSegments() || vector.totalBytes() > config.maxIoBytes())
        {
            throw new IllegalArgumentException("position=" + position + " segments=" + count + " bytes=" +
                vector.totalBytes() + " maxSegments=" + config.maxSegments() + " maxIoBytes=" + config.maxIoBytes());
        }
        final AioSlot slot = take(op, file, tag, position, 0, vector.totalBytes());
        if (slot == null)
        {
            return false;
        }
        for (int i = 0; i < count; i++)
        {
            slot.segmentAddresses[i] = vector.address(i);
            slot.segmentLengths[i] = vector.length(i);
        }
        slot.segmentCount = count;
        admit(slot);
        return true;
    }

    private void admit(final AioSlot slot)
    {
        if (AioOp.isWrite(slot.op) && slot.file.isReadOnly())
        {
            // What write(2) answers on a descriptor opened read-only.
            completeNow(slot, -Errno.EBADF);
            return;
        }
        enqueue(slot);
    }

    private AioSlot take(
        final byte op, final AioFile file, final long tag, final long position, final long address,
        final long length)
    {
        if (closed)
        {
            throw new IllegalStateException("engine closed: " + name());
        }
        if (freeCount == 0)
        {
            return null;
        }
        final AioSlot slot = slots[freeSlots[--freeCount]];
        slot.op = op;
        slot.file = file;
        slot.tag = tag;
        slot.position = position;
        slot.address = address;
        slot.length = length;
        slot.segmentCount = 0;
        slot.result = 0;
        slot.state = AioSlot.PREPARED;
        inFlight++;
        return slot;
    }

    private void enqueue(final AioSlot slot)
    {
        if (!slot.file.isOpen())
        {
            completeNow(slot, -Errno.EBADF);
            return;
        }
        batch[batchCount++] = slot;
        if (batchCount == config.maxBatch())
        {
            submitBatch();
        }
    }

    private void completeNow(final AioSlot slot, final long result)
    {
        slot.state = AioSlot.SUBMITTED;
        complete(slot, result);
    }

    private void release(final AioSlot slot)
    {
        slot.file = null;
        slot.state = AioSlot.FREE;
        freeSlots[freeCount++] = slot.index;
        inFlight--;
    }
}
