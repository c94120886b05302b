package io.pvring.blkback.qos;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A device's I/O limits as QEMU's throttling takes them (docs/throttle.txt), validated: per {@link ThrottleBucket}
 * an average rate ({@code iops-total}, {@code bps-read}, ...; 0 = no limit), an optional burst rate
 * ({@code iops-total-max}) and how many seconds that burst may last ({@code iops-total-max-length}, default 1), plus
 * {@code iops-size}: a request larger than it counts as {@code size / iops-size} operations.
 *
 * <p>The rules are QEMU's {@code throttle_is_valid}: every value within [0, 10^15]; a total limit and a read or
 * write limit of the same unit exclude each other; a burst needs its average and is not below it; a burst length
 * is at least 1 and needs its burst.
 *
 * <p>Immutable; {@link #NONE} limits nothing.
 */
public final class ThrottleLimits
{
    /** QEMU's {@code THROTTLE_VALUE_MAX}. */
    public static final long VALUE_MAX = 1_000_000_000_000_000L;
    /** The option naming the operation size of {@code iops-*} limits. */
    public static final String IOPS_SIZE = "iops-size";
    /** No limit at all. */
    public static final ThrottleLimits NONE = new ThrottleLimits(new long[6], new long[6], ones(), 0);
    /** Every option name {@link #parse} reads, in a stable order. */
    public static final Set<String> KEYS = keys();

    private final long[] avg;
    private final long[] max;
    private final long[] maxLength;
    private final long iopsSize;

    private ThrottleLimits(final long[] avg, final long[] max, final long[] maxLength, final long iopsSize)
    {
        this.avg = avg;
        this.max = max;
        this.maxLength = maxLength;
        this.iopsSize = iopsSize;
    }

    private static long[] ones()
    {
        final long[] ones = new long[ThrottleBucket.ALL.length];
        Arrays.fill(ones, 1);
        return ones;
    }

    private static Set<String> keys()
    {
        final Set<String> keys = new LinkedHashSet<>();
        for (final ThrottleBucket b : ThrottleBucket.ALL)
        {
            keys.add(b.key());
            keys.add(b.key() + "-max");
            keys.add(b.key() + "-max-length");
        }
        keys.add(IOPS_SIZE);
        return Collections.unmodifiableSet(keys);
    }

    /**
     * Reads and validates the options {@code values} gives (null = not set) under the names of {@link #KEYS}.
     *
     * @param where names the options' source in messages, e.g. {@code "qos-"} for backend keys: each message names
     *     the offending key as {@code where + key}.
     * @throws IllegalArgumentException naming the key, its value and the rule it breaks.
     */
    public static ThrottleLimits parse(final Function<String, String> values, final String where)
    {
        final int n = ThrottleBucket.ALL.length;
        final long[] avg = new long[n];
        final long[] max = new long[n];
        final long[] maxLength = ones();
        boolean any = false;
        for (final ThrottleBucket b : ThrottleBucket.ALL)
        {
            final int i = b.ordinal();
            avg[i] = value(values, where, b.key(), 0);
            max[i] = value(values, where, b.key() + "-max", 0);
            maxLength[i] = value(values, where, b.key() + "-max-length", 1);
            any |= avg[i] != 0 || max[i] != 0 || values.apply(b.key() + "-max-length") != null;
        }
        final long iopsSize = value(values, where, IOPS_SIZE, 0);
        if (!any && iopsSize == 0)
        {
            return NONE;
        }
        for (final ThrottleBucket b : ThrottleBucket.ALL)
        {
            final int i = b.ordinal();
            final String key = where + b.key();
            if (b != b.total() && (avg[i] != 0 || max[i] != 0) &&
                (avg[b.total().ordinal()] != 0 || max[b.total().ordinal()] != 0))
            {
                throw new IllegalArgumentException(key + " and " + where + b.total().key() +
                    " cannot be used at the same time (a total limit or limits by direction)");
            }
            if (max[i] != 0 && avg[i] == 0)
            {
                throw new IllegalArgumentException(key + "-max=" + max[i] + " needs " + key + " set as well");
            }
            if (max[i] != 0 && max[i] < avg[i])
            {
                throw new IllegalArgumentException(key + "-max=" + max[i] + " cannot be lower than " + key + "=" +
                    avg[i]);
            }
            if (maxLength[i] == 0)
            {
                throw new IllegalArgumentException(key + "-max-length cannot be 0 (seconds, at least 1)");
            }
            if (maxLength[i] > 1 && max[i] == 0)
            {
                throw new IllegalArgumentException(key + "-max-length=" + maxLength[i] + " needs " + key +
                    "-max set as well");
            }
        }
        return new ThrottleLimits(avg, max, maxLength, iopsSize);
    }

    private static long value(
        final Function<String, String> values, final String where, final String key, final long absent)
    {
        final String text = values.apply(key);
        if (text == null)
        {
            return absent;
        }
        final String trimmed = text.trim();
        if (trimmed.isEmpty() || trimmed.length() > 16 || !trimmed.chars().allMatch(c -> c >= '0' && c <= '9'))
        {
            throw new IllegalArgumentException(where + key + "='" + text + "' is not a number within [0, " +
                VALUE_MAX + "]");
        }
        final long value = Long.parseLong(trimmed);
        if (value > VALUE_MAX)
        {
            throw new IllegalArgumentException(where + key + "=" + value + " is above the maximum " + VALUE_MAX);
        }
        return value;
    }

    /** True when some bucket has a limit: only then does a device consult its buckets. */
    public boolean limited()
    {
        for (final long a : avg)
        {
            if (a != 0)
            {
                return true;
            }
        }
        return false;
    }

    /** Units per second the bucket leaks (its sustained limit), 0 = no limit. */
    public long avg(final ThrottleBucket bucket)
    {
        return avg[bucket.ordinal()];
    }

    /** The burst rate, 0 = no burst beyond QEMU's one tenth of a second at {@link #avg}. */
    public long max(final ThrottleBucket bucket)
    {
        return max[bucket.ordinal()];
    }

    /** Seconds the burst rate may last (at least 1). */
    public long maxLength(final ThrottleBucket bucket)
    {
        return maxLength[bucket.ordinal()];
    }

    /** Bytes one operation stands for in the {@code iops-*} buckets, 0 = every request is one. */
    public long iopsSize()
    {
        return iopsSize;
    }

    /** The options set (non-default), by name: what {@link #parse} reads back into equal limits. */
    public Map<String, String> options()
    {
        final Map<String, String> options = new LinkedHashMap<>();
        for (final ThrottleBucket b : ThrottleBucket.ALL)
        {
            final int i = b.ordinal();
            if (avg[i] != 0)
            {
                options.put(b.key(), Long.toString(avg[i]));
            }
            if (max[i] != 0)
            {
                options.put(b.key() + "-max", Long.toString(max[i]));
            }
            if (maxLength[i] != 1)
            {
                options.put(b.key() + "-max-length", Long.toString(maxLength[i]));
            }
        }
        if (iopsSize != 0)
        {
            options.put(IOPS_SIZE, Long.toString(iopsSize));
        }
        return options;
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof ThrottleLimits other && Arrays.equals(avg, other.avg) && Arrays.equals(max, other.max) &&
            Arrays.equals(maxLength, other.maxLength) && iopsSize == other.iopsSize;
    }

    @Override
    public int hashCode()
    {
        return 31 * (31 * (31 * Arrays.hashCode(avg) + Arrays.hashCode(max)) + Arrays.hashCode(maxLength)) +
            Long.hashCode(iopsSize);
    }

    /** {@code iops-total=100,bps-total-max=...} or {@code none}. */
    @Override
    public String toString()
    {
        final StringBuilder text = new StringBuilder();
        options().forEach((k, v) -> text.append(text.length() == 0 ? "" : ",").append(k).append('=').append(v));
        return text.length() == 0 ? "none" : text.toString();
    }
}
