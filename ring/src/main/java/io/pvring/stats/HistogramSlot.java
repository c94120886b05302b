package io.pvring.stats;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

import org.HdrHistogram.Histogram;
import org.agrona.concurrent.AtomicBuffer;

import static io.pvring.stats.DeviceSlotDescriptor.HISTOGRAM_CAPACITY;
import static io.pvring.stats.DeviceSlotDescriptor.HISTOGRAM_LENGTH_OFFSET;
import static io.pvring.stats.DeviceSlotDescriptor.HISTOGRAM_OFFSET;
import static io.pvring.stats.DeviceSlotDescriptor.HISTOGRAM_SEQUENCE_OFFSET;

/**
 * A latency histogram in a device slot, published by one writer under a seqlock: the sequence is odd while the
 * writer rewrites the bytes, and a reader keeps a copy only if it saw the same even sequence before and after
 * copying, so it never decodes a torn histogram.
 */
public final class HistogramSlot
{
    /** A reader gives up after this many torn copies (the writer rewrites at most once a second). */
    public static final int MAX_READ_ATTEMPTS = 1000;

    private HistogramSlot()
    {
    }

    /** A scratch buffer for {@link #publish}. */
    public static ByteBuffer newScratch()
    {
        return ByteBuffer.allocate(HISTOGRAM_CAPACITY);
    }

    /** Writes {@code histogram} into the slot at {@code offset} (the slot's single writer). */
    public static void publish(
        final AtomicBuffer slots, final int offset, final Histogram histogram, final ByteBuffer scratch)
    {
        scratch.clear();
        final int length = histogram.encodeIntoByteBuffer(scratch);
        final long sequence = slots.getLong(offset + HISTOGRAM_SEQUENCE_OFFSET);
        slots.putLong(offset + HISTOGRAM_SEQUENCE_OFFSET, sequence + 1);
        VarHandle.storeStoreFence(); // the odd sequence is visible before any byte of the new histogram
        slots.putBytes(offset + HISTOGRAM_OFFSET, scratch.array(), 0, length);
        slots.putInt(offset + HISTOGRAM_LENGTH_OFFSET, length);
        slots.putLongRelease(offset + HISTOGRAM_SEQUENCE_OFFSET, sequence + 2); // bytes before the even sequence
    }

    /** Empties the slot's histogram (its device went away). */
    public static void clear(final AtomicBuffer slots, final int offset)
    {
        final long sequence = slots.getLong(offset + HISTOGRAM_SEQUENCE_OFFSET);
        slots.putLong(offset + HISTOGRAM_SEQUENCE_OFFSET, sequence + 1);
        VarHandle.storeStoreFence();
        slots.putInt(offset + HISTOGRAM_LENGTH_OFFSET, 0);
        slots.putLongRelease(offset + HISTOGRAM_SEQUENCE_OFFSET, sequence + 2);
    }

    /**
     * Reads the slot's histogram: null when none was published yet.
     *
     * @param scratch at least {@link DeviceSlotDescriptor#HISTOGRAM_CAPACITY} bytes.
     * @throws IllegalStateException when every attempt raced the writer, or the slot holds no valid histogram.
     */
    public static Histogram read(final AtomicBuffer slots, final int offset, final byte[] scratch)
    {
        for (int attempt = 0; attempt < MAX_READ_ATTEMPTS; attempt++)
        {
            final long before = slots.getLongVolatile(offset + HISTOGRAM_SEQUENCE_OFFSET);
            if ((before & 1) != 0)
            {
                Thread.yield(); // the writer is mid-copy (a few microseconds): let it finish
                continue;
            }
            final int length = Math.max(0, Math.min(HISTOGRAM_CAPACITY,
                slots.getInt(offset + HISTOGRAM_LENGTH_OFFSET)));
            slots.getBytes(offset + HISTOGRAM_OFFSET, scratch, 0, length);
            VarHandle.loadLoadFence(); // the copy is complete before the sequence is read again
            if (slots.getLongVolatile(offset + HISTOGRAM_SEQUENCE_OFFSET) != before)
            {
                continue;
            }
            if (length == 0)
            {
                return null;
            }
            try
            {
                return Histogram.decodeFromByteBuffer(ByteBuffer.wrap(scratch, 0, length), 0);
            }
            catch (final RuntimeException ex)
            {
                throw new IllegalStateException("histogram slot at offset " + offset + " holds no valid histogram " +
                    "(length=" + length + "): " + ex, ex);
            }
        }
        throw new IllegalStateException("histogram slot at offset " + offset + ": writer busy for " +
            MAX_READ_ATTEMPTS + " attempts");
    }
}
