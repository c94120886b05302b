package io.pvring.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Read access to parsed JSON records, shared by the terminal table and the HTML report. */
public final class Records
{
    /** Parameters that name the implementation, not the workload: runs differing only here are compared. */
    public static final String IMPL = "impl";
    /** The out-of-process frontends' setting (eventfd or socket), absent from in-process records. */
    public static final String DOORBELL = "doorbell";

    private Records()
    {
    }

    public static String benchmark(final Map<String, Object> record)
    {
        return String.valueOf(record.get("benchmark"));
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> params(final Map<String, Object> record)
    {
        final Object params = record.get("params");
        return params instanceof Map ? (Map<String, Object>)params : Map.of();
    }

    public static String impl(final Map<String, Object> record)
    {
        final Object impl = params(record).get(IMPL);
        return impl == null ? benchmark(record) : impl.toString();
    }

    public static double number(final Map<String, Object> record, final String key)
    {
        final Object value = record.get(key);
        return value instanceof Number n ? n.doubleValue() : 0;
    }

    public static double latency(final Map<String, Object> record, final String key)
    {
        final Object latency = record.get("latency_us");
        if (latency instanceof Map<?, ?> map && map.get(key) instanceof Number n)
        {
            return n.doubleValue();
        }
        return 0;
    }

    public static long notifications(final Map<String, Object> record, final String key)
    {
        final Object notifications = record.get("notifications");
        if (notifications instanceof Map<?, ?> map && map.get(key) instanceof Number n)
        {
            return n.longValue();
        }
        return 0;
    }

    public static double param(final Map<String, Object> record, final String key)
    {
        final Object value = params(record).get(key);
        return value instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** The workload settings other than the implementation and {@code except}, as "k=v k=v". */
    public static String settings(final Map<String, Object> record, final String... except)
    {
        final StringBuilder out = new StringBuilder();
        for (final Map.Entry<String, Object> entry : params(record).entrySet())
        {
            if (entry.getKey().equals(IMPL) || List.of(except).contains(entry.getKey()) || isDefaultZero(entry))
            {
                continue;
            }
            if (out.length() > 0)
            {
                out.append(' ');
            }
            out.append(entry.getKey()).append('=').append(entry.getValue());
        }
        return out.toString();
    }

    private static boolean isDefaultZero(final Map.Entry<String, Object> entry)
    {
        return "rate".equals(entry.getKey()) && entry.getValue() instanceof Number n && n.doubleValue() == 0;
    }

    /**
     * The record with the same benchmark and settings but implementation {@code impl}, or null. The
     * out-of-process frontends' {@code doorbell} is not compared: the in-process run it stands beside has none.
     */
    public static Map<String, Object> sibling(
        final List<Map<String, Object>> records, final Map<String, Object> record, final String impl)
    {
        for (final Map<String, Object> other : records)
        {
            if (impl.equals(impl(other)) && benchmark(other).equals(benchmark(record))
                && Objects.equals(settings(other, DOORBELL), settings(record, DOORBELL)))
            {
                return other;
            }
        }
        return null;
    }

    /** Records of one benchmark, in order. */
    public static List<Map<String, Object>> of(final List<Map<String, Object>> records, final String benchmark)
    {
        final List<Map<String, Object>> out = new ArrayList<>();
        for (final Map<String, Object> record : records)
        {
            if (benchmark.equals(benchmark(record)))
            {
                out.add(record);
            }
        }
        return out;
    }
}
