package io.pvring.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The structure every results file must have, checked by hand (no schema library): the tests and
 * {@code pvring report} both use it. Each problem is a path and what was expected there.
 */
public final class ResultsSchema
{
    private static final String[] LATENCY_KEYS = {"p50", "p99", "p999", "max"};
    private static final String[] ENVIRONMENT_NUMBERS = {"cpus"};
    private static final String[] ENVIRONMENT_STRINGS = {"jdk"};

    private ResultsSchema()
    {
    }

    /** Problems found in a parsed results document; empty when it conforms. */
    public static List<String> check(final Object doc)
    {
        final List<String> problems = new ArrayList<>();
        if (!(doc instanceof Map<?, ?> root))
        {
            problems.add("$: expected an object");
            return problems;
        }
        if (!ResultsFile.FORMAT.equals(root.get("format")))
        {
            problems.add("$.format: expected \"" + ResultsFile.FORMAT + "\"");
        }
        if (!(root.get("version") instanceof Number))
        {
            problems.add("$.version: expected a number");
        }
        if (!(root.get("records") instanceof List<?> records))
        {
            problems.add("$.records: expected an array");
            return problems;
        }
        for (int i = 0; i < records.size(); i++)
        {
            checkRecord("$.records[" + i + "]", records.get(i), problems);
        }
        return problems;
    }

    private static void checkRecord(final String path, final Object value, final List<String> problems)
    {
        if (!(value instanceof Map<?, ?> record))
        {
            problems.add(path + ": expected an object");
            return;
        }
        if (!(record.get("benchmark") instanceof String name) || name.isEmpty())
        {
            problems.add(path + ".benchmark: expected a non-empty string");
        }
        if (!(record.get("params") instanceof Map))
        {
            problems.add(path + ".params: expected an object");
        }
        nonNegative(path, record, "ops_per_sec", problems);
        nonNegative(path, record, "bytes_per_sec", problems);
        if (record.get("latency_us") instanceof Map<?, ?> latency)
        {
            for (final String key : LATENCY_KEYS)
            {
                nonNegative(path + ".latency_us", latency, key, problems);
            }
            if (problems.isEmpty() && number(latency, "p50") > number(latency, "max"))
            {
                problems.add(path + ".latency_us: p50 above max");
            }
        }
        else
        {
            problems.add(path + ".latency_us: expected an object");
        }
        if (record.get("notifications") instanceof Map<?, ?> notifications)
        {
            nonNegative(path + ".notifications", notifications, "sent", problems);
            nonNegative(path + ".notifications", notifications, "suppressed", problems);
        }
        else
        {
            problems.add(path + ".notifications: expected an object");
        }
        if (record.get("environment") instanceof Map<?, ?> environment)
        {
            for (final String key : ENVIRONMENT_NUMBERS)
            {
                nonNegative(path + ".environment", environment, key, problems);
            }
            for (final String key : ENVIRONMENT_STRINGS)
            {
                if (!(environment.get(key) instanceof String))
                {
                    problems.add(path + ".environment." + key + ": expected a string");
                }
            }
        }
        else
        {
            problems.add(path + ".environment: expected an object");
        }
    }

    private static void nonNegative(
        final String path, final Map<?, ?> map, final String key, final List<String> problems)
    {
        final Object value = map.get(key);
        if (!(value instanceof Number number) || number.doubleValue() < 0)
        {
            problems.add(path + "." + key + ": expected a number >= 0, got " + value);
        }
    }

    private static double number(final Map<?, ?> map, final String key)
    {
        return ((Number)map.get(key)).doubleValue();
    }
}
