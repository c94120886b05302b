package io.pvring.stats;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import static io.pvring.stats.TraceRecordDescriptor.FLAGS_OFFSET;
import static io.pvring.stats.TraceRecordDescriptor.ID_OFFSET;
import static io.pvring.stats.TraceRecordDescriptor.LATENCY_OFFSET;
import static io.pvring.stats.TraceRecordDescriptor.LENGTH;
import static io.pvring.stats.TraceRecordDescriptor.OPERATION_OFFSET;
import static io.pvring.stats.TraceRecordDescriptor.QUEUE_OFFSET;
import static io.pvring.stats.TraceRecordDescriptor.SECTOR_OFFSET;
import static io.pvring.stats.TraceRecordDescriptor.SEGMENTS_OFFSET;
import static io.pvring.stats.TraceRecordDescriptor.SIZE_OFFSET;
import static io.pvring.stats.TraceRecordDescriptor.STATUS_OFFSET;
import static io.pvring.stats.TraceRecordDescriptor.TIME_OFFSET;

/**
 * One queue's trace: off by default, and then {@link #enabled()} is the ring thread's only cost (one load, one
 * predictable branch). While a trace runs the ring thread appends fixed-size records to a buffer allocated when the
 * trace started (a one-to-one ring buffer: no lock, no allocation) and a drainer thread copies them to the file; a
 * record that finds the buffer full is counted as dropped, never waited for.
 */
public final class TraceRecorder
{
    /** Agrona ring buffer message type of a record. */
    public static final int MSG_TYPE = 1;
    /** Buffer bytes while tracing, about 18 000 records: 10 ms of drain latency at 1.8 M requests/s. */
    public static final int BUFFER_BYTES = 1 << 20;
    private static final VarHandle BUFFER;
    private static final VarHandle DROPPED;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            BUFFER = lookup.findVarHandle(TraceRecorder.class, "buffer", RingBuffer.class);
            DROPPED = lookup.findVarHandle(TraceRecorder.class, "dropped", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final int queue;
    /** Set and cleared by the drainer (release), read by the ring thread (acquire). */
    @SuppressWarnings("unused")
    private RingBuffer buffer;
    /** Written by the ring thread only (release), read by the drainer. */
    @SuppressWarnings("unused")
    private long dropped;

    public TraceRecorder(final int queue)
    {
        this.queue = queue;
    }

    public int queue()
    {
        return queue;
    }

    /** Whether a trace runs: test it before computing a record's fields when they cost anything. */
    public boolean enabled()
    {
        return BUFFER.getAcquire(this) != null;
    }

    /**
     * Appends a block request's completion (the ring thread; does nothing when no trace runs).
     *
     * @param operation {@code BLKIF_OP_*}.
     */
    public void blk(
        final long timeNanos, final long latencyNanos, final long id, final int operation, final long sector,
        final int segments, final int bytes, final int status)
    {
        append(timeNanos, latencyNanos, sector, id, status, operation, segments, bytes, 0);
    }

    /**
     * Appends a network packet's completion (the ring thread; does nothing when no trace runs).
     *
     * @param operation {@link TraceRecordDescriptor#OP_TX} or {@link TraceRecordDescriptor#OP_RX}.
     */
    public void net(
        final long timeNanos, final long id, final int operation, final int slots, final int size, final int flags,
        final int status)
    {
        append(timeNanos, 0, 0, id, status, operation, slots, size, flags);
    }

    private void append(
        final long time, final long latency, final long sector, final long id, final int status, final int operation,
        final int segments, final int size, final int flags)
    {
        final RingBuffer ring = (RingBuffer)BUFFER.getAcquire(this); // the drainer's buffer is set up before it
        if (ring == null)
        {
            return;
        }
        final int index = ring.tryClaim(MSG_TYPE, LENGTH);
        if (index < 0)
        {
            DROPPED.setRelease(this, (long)DROPPED.get(this) + 1);
            return;
        }
        final AtomicBuffer b = ring.buffer();
        b.putLong(index + TIME_OFFSET, time, ByteOrder.LITTLE_ENDIAN);
        b.putLong(index + LATENCY_OFFSET, latency, ByteOrder.LITTLE_ENDIAN);
        b.putLong(index + SECTOR_OFFSET, sector, ByteOrder.LITTLE_ENDIAN);
        b.putLong(index + ID_OFFSET, id, ByteOrder.LITTLE_ENDIAN);
        b.putShort(index + QUEUE_OFFSET, (short)queue, ByteOrder.LITTLE_ENDIAN);
        b.putShort(index + STATUS_OFFSET, (short)status, ByteOrder.LITTLE_ENDIAN);
        b.putByte(index + OPERATION_OFFSET, (byte)operation);
        b.putByte(index + SEGMENTS_OFFSET, (byte)segments);
        b.putInt(index + SIZE_OFFSET, size, ByteOrder.LITTLE_ENDIAN);
        b.putInt(index + FLAGS_OFFSET, flags, ByteOrder.LITTLE_ENDIAN);
        ring.commit(index); // the record is whole before the drainer may read it
    }

    /** Records dropped since the recorder was made (any thread). */
    public long dropped()
    {
        return (long)DROPPED.getAcquire(this);
    }

    /** The drainer: starts a trace with a fresh buffer. */
    RingBuffer start()
    {
        final RingBuffer ring = new OneToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(BUFFER_BYTES + RingBufferDescriptor.TRAILER_LENGTH)));
        BUFFER.setRelease(this, ring); // the buffer's header is initialised before the ring thread may see it
        return ring;
    }

    /** The drainer: stops the trace; a record the ring thread is writing now may still land in the old buffer. */
    void stop()
    {
        BUFFER.setRelease(this, null);
    }
}
