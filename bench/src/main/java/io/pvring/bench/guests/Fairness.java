package io.pvring.bench.guests;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How evenly the guests were served: each guest's completed operations in the measured interval, the lowest and
 * highest guest, the mean, and lowest over mean (1.0 = perfectly even; the target is at least 0.7).
 *
 * @param ops per guest, in guest order.
 */
record Fairness(long[] ops, int lowestGuest, int highestGuest, double mean)
{
    static Fairness of(final long[] ops)
    {
        if (ops.length == 0)
        {
            throw new IllegalArgumentException("no guests");
        }
        int lowest = 0;
        int highest = 0;
        long total = 0;
        for (int g = 0; g < ops.length; g++)
        {
            lowest = ops[g] < ops[lowest] ? g : lowest;
            highest = ops[g] > ops[highest] ? g : highest;
            total += ops[g];
        }
        return new Fairness(ops.clone(), lowest, highest, (double)total / ops.length);
    }

    long lowest()
    {
        return ops[lowestGuest];
    }

    long highest()
    {
        return ops[highestGuest];
    }

    long total()
    {
        long total = 0;
        for (final long n : ops)
        {
            total += n;
        }
        return total;
    }

    /** Lowest guest over the mean; 0 when nothing was done. */
    double lowestOverMean()
    {
        return mean > 0 ? lowest() / mean : 0;
    }

    /** The {@code guests} object of a JSON record (rates per second over {@code seconds}). */
    Map<String, Object> toJson(final double seconds)
    {
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("count", ops.length);
        json.put("lowest_guest", lowestGuest);
        json.put("lowest_ops_per_sec", rate(lowest(), seconds));
        json.put("highest_guest", highestGuest);
        json.put("highest_ops_per_sec", rate(highest(), seconds));
        json.put("mean_ops_per_sec", seconds > 0 ? mean / seconds : 0);
        json.put("lowest_over_mean", lowestOverMean());
        final List<Object> each = new ArrayList<>();
        for (final long n : ops)
        {
            each.add(n);
        }
        json.put("ops", each);
        return json;
    }

    private static double rate(final long ops, final double seconds)
    {
        return seconds > 0 ? ops / seconds : 0;
    }
}
