package io.pvring.stats;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.HdrHistogram.Histogram;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.status.CountersReader;

/**
 * Reads a counters file from another process (or thread): samples every device's counters, summed over its queues,
 * and its latency histogram. Reading takes no lock the writer takes and writes nothing, so a reader never slows
 * the process it watches; it may attach and detach at any time.
 */
public final class StatsReader implements AutoCloseable
{
    private final CountersFile file;
    private final byte[] scratch = new byte[DeviceSlotDescriptor.HISTOGRAM_CAPACITY];

    private StatsReader(final CountersFile file)
    {
        this.file = file;
    }

    /** Maps {@code path}; see {@link CountersFile#openReader(Path)} for what it refuses. */
    public static StatsReader open(final Path path)
    {
        return new StatsReader(CountersFile.openReader(path));
    }

    public CountersFile file()
    {
        return file;
    }

    /** Every device registered now, sorted by guest domid, kind and devid. */
    public List<DeviceSample> sample()
    {
        final CountersReader reader = file.reader();
        final Map<Integer, String> guests = new HashMap<>();
        final Map<DeviceId, Group> groups = new HashMap<>();
        reader.forEach((CountersReader.MetaData)(counterId, typeId, key, label) ->
        {
            final CounterKey k = CounterKey.read(key, 0);
            final long value = reader.getCounterValue(counterId);
            if (typeId == CounterKeyDescriptor.DOMAIN_TYPE_ID && k.kind() == DeviceKind.DOMAIN)
            {
                guests.put(k.domid(), k.name());
                return;
            }
            if (k.kind() == null || k.kind() == DeviceKind.DOMAIN || k.domid() < 0 || k.devid() < 0)
            {
                return; // not a pvring device counter
            }
            final CounterSet set = CounterSet.of(k.kind());
            final int index = set.index(typeId);
            if (index < 0)
            {
                return;
            }
            final Group g = groups.computeIfAbsent(new DeviceId(k.kind(), k.domid(), k.devid()),
                id -> new Group(set.size()));
            g.totals[index] += value;
            g.queues = Math.max(g.queues, k.queue() + 1);
            g.slot = k.slot();
            g.generation = k.slotGeneration();
            g.registeredMicros = k.registeredMicros();
        });
        final List<DeviceSample> samples = new ArrayList<>();
        for (final Map.Entry<DeviceId, Group> e : groups.entrySet())
        {
            final DeviceId id = e.getKey();
            final Group g = e.getValue();
            samples.add(new DeviceSample(id, guests.getOrDefault(id.domid(), "dom" + id.domid()), g.queues,
                g.registeredMicros, g.totals, histogram(g.slot, g.generation)));
        }
        samples.sort(Comparator.comparingInt((DeviceSample s) -> s.id().domid())
            .thenComparing(s -> s.id().kind()).thenComparingInt(s -> s.id().devid()));
        return samples;
    }

    /**
     * Where {@code device}'s slot is: {@code {slot, generation}}, the slot being {@link CounterKeyDescriptor#SLOT_NONE}
     * when the device publishes counters only; null when the device is not registered.
     */
    public int[] slotOf(final DeviceId device)
    {
        final int[][] found = new int[1][];
        file.reader().forEach((CountersReader.MetaData)(counterId, typeId, key, label) ->
        {
            final CounterKey k = CounterKey.read(key, 0);
            if (k.kind() == device.kind() && k.domid() == device.domid() && k.devid() == device.devid())
            {
                final boolean inFile = k.slot() >= 0 && k.slot() < file.slotCount();
                found[0] = new int[]{inFile ? k.slot() : CounterKeyDescriptor.SLOT_NONE, k.slotGeneration()};
            }
        });
        return found[0];
    }

    private Histogram histogram(final int slot, final int generation)
    {
        if (slot < 0 || slot >= file.slotCount())
        {
            return null;
        }
        final AtomicBuffer slots = file.slots();
        final int offset = CountersFile.slotOffset(slot);
        final Histogram h = HistogramSlot.read(slots, offset, scratch);
        // a slot handed to another device meanwhile holds that device's latencies
        return slots.getIntVolatile(offset + DeviceSlotDescriptor.GENERATION_OFFSET) == generation ? h : null;
    }

    @Override
    public void close()
    {
        file.close();
    }

    private static final class Group
    {
        private final long[] totals;
        private int queues;
        private int slot;
        private int generation;
        private long registeredMicros;

        Group(final int size)
        {
            totals = new long[size];
        }
    }
}
