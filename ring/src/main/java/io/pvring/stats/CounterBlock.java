package io.pvring.stats;

import java.nio.charset.StandardCharsets;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

/**
 * One queue's counters of a {@link CounterSet}, allocated in a counters buffer (each value on its own 128-byte
 * record, so queues on different threads never share a cache line). Written by one thread, the queue's: every
 * update is a plain read and a release store, no lock, no atomic read-modify-write, no allocation, and a reader in
 * another process sees whole, monotonic values.
 */
public final class CounterBlock implements AutoCloseable
{
    private final CountersManager manager;
    private final CounterSet set;
    private final CounterKey key;
    private final AtomicBuffer values;
    private final int[] ids;
    private final int[] offsets;
    private boolean closed;

    private CounterBlock(
        final CountersManager manager, final CounterSet set, final CounterKey key, final int[] ids)
    {
        this.manager = manager;
        this.set = set;
        this.key = key;
        this.values = manager.valuesBuffer();
        this.ids = ids;
        this.offsets = new int[ids.length];
        for (int i = 0; i < ids.length; i++)
        {
            offsets[i] = CountersReader.counterOffset(ids[i]);
        }
    }

    /**
     * Allocates {@code set}'s counters, keyed {@code key} and labelled {@code "<label> <counter name>"} with the
     * name's underscores as spaces ({@code "vif1.0 q0 tx packets"}: the labels netback published before).
     *
     * @throws IllegalStateException when the buffer has no room left (nothing stays allocated then).
     */
    public static CounterBlock allocate(
        final CountersManager manager, final CounterSet set, final CounterKey key, final String label)
    {
        if (key.kind() != set.kind())
        {
            throw new IllegalArgumentException("key kind=" + key.kind() + " set kind=" + set.kind());
        }
        final UnsafeBuffer keyBuffer = new UnsafeBuffer(new byte[CounterKeyDescriptor.LENGTH]);
        key.write(keyBuffer);
        final int[] ids = new int[set.size()];
        int allocated = 0;
        try
        {
            for (; allocated < ids.length; allocated++)
            {
                final byte[] text = bytes(label + " " + set.name(allocated).replace('_', ' '));
                ids[allocated] = manager.allocate(set.typeId(allocated), keyBuffer, 0, keyBuffer.capacity(),
                    new UnsafeBuffer(text), 0, Math.min(text.length, CountersReader.MAX_LABEL_LENGTH));
            }
        }
        catch (final IllegalStateException ex)
        {
            for (int i = 0; i < allocated; i++)
            {
                manager.free(ids[i]);
            }
            throw new IllegalStateException("counters file full: " + label + " needs " + ids.length +
                " counters, " + allocated + " were free", ex);
        }
        return new CounterBlock(manager, set, key, ids);
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    public CounterSet set()
    {
        return set;
    }

    public CounterKey key()
    {
        return key;
    }

    /** Adds {@code delta} to counter {@code index} (the owning thread only). */
    public void add(final int index, final long delta)
    {
        final int offset = offsets[index];
        values.putLongRelease(offset, values.getLong(offset) + delta); // whole value visible to other processes
    }

    /** Sets counter {@code index} (a gauge, or a copy of a private counter); the owning thread only. */
    public void set(final int index, final long value)
    {
        values.putLongRelease(offsets[index], value);
    }

    public long get(final int index)
    {
        return values.getLongVolatile(offsets[index]);
    }

    /** The Agrona counter id of counter {@code index}. */
    public int counterId(final int index)
    {
        return ids[index];
    }

    /** Frees the counters (after the owning thread stopped writing them); their records are reused. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            for (final int id : ids)
            {
                manager.free(id);
            }
        }
    }
}
