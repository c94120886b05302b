package io.pvring.stats;

import java.util.List;

/**
 * The counters one device queue publishes: a contiguous range of Agrona type ids ({@code typeIdBase + index}), one
 * per named counter. {@link BlkCounters} and {@link NetCounters} define the sets and name their indices.
 */
public final class CounterSet
{
    private final DeviceKind kind;
    private final int typeIdBase;
    private final List<String> names;

    CounterSet(final DeviceKind kind, final int typeIdBase, final String... names)
    {
        this.kind = kind;
        this.typeIdBase = typeIdBase;
        this.names = List.of(names);
    }

    public DeviceKind kind()
    {
        return kind;
    }

    public int size()
    {
        return names.size();
    }

    public int typeId(final int index)
    {
        return typeIdBase + index;
    }

    /** The index of {@code typeId} in this set, or -1 when it is not one of its type ids. */
    public int index(final int typeId)
    {
        final int index = typeId - typeIdBase;
        return index >= 0 && index < names.size() ? index : -1;
    }

    /** The counter's name: what labels, JSON keys and {@link #indexOf(String)} use. */
    public String name(final int index)
    {
        return names.get(index);
    }

    /** The index of the counter named {@code name}, or -1. */
    public int indexOf(final String name)
    {
        return names.indexOf(name);
    }

    /** The set of {@code kind}'s devices, or null for a domain. */
    public static CounterSet of(final DeviceKind kind)
    {
        switch (kind)
        {
            case VBD:
                return BlkCounters.SET;
            case VIF:
                return NetCounters.SET;
            case RUNNER:
                return RunnerCounters.SET;
            default:
                return null;
        }
    }
}
