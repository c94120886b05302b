package io.pvring.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.pvring.bench.run.Units;

/**
 * The many-guests figures under the summary table (records with {@code guests} or {@code cpu_percent}): aggregate rate,
 * lowest and highest guest, lowest over mean, p50/p99 over all guests, CPU of the process, the backends and the
 * frontends in percent of one core; then each record's targets with their ratios. Empty when no record has guests.
 */
public final class GuestsTable
{
    private static final String[] HEADER = {
        "benchmark", "guests", "settings", "ops/s", "lowest (guest)", "highest (guest)", "lowest/mean", "p50 us",
        "p99 us", "cpu % process", "backend", "frontend"};

    private GuestsTable()
    {
    }

    public static String render(final List<Map<String, Object>> records)
    {
        final List<String[]> rows = new ArrayList<>();
        final StringBuilder targets = new StringBuilder();
        for (final Map<String, Object> record : records)
        {
            final Map<?, ?> guests = map(record, "guests");
            final Map<?, ?> cpu = map(record, "cpu_percent");
            if (guests == null && cpu == null)
            {
                continue;
            }
            final boolean load = guests != null;
            rows.add(new String[] {
                Records.benchmark(record),
                String.valueOf(Records.params(record).get("guests")),
                Records.settings(record, "guests", "runners", "front_threads"),
                load ? Units.si(Records.number(record, "ops_per_sec")) : "-",
                load ? Units.si(value(guests, "lowest_ops_per_sec")).trim() + " (" + number(guests, "lowest_guest")
                    + ")" : "-",
                load ? Units.si(value(guests, "highest_ops_per_sec")).trim() + " (" + number(guests, "highest_guest")
                    + ")" : "-",
                load ? String.format(Locale.ROOT, "%.2f", value(guests, "lowest_over_mean")) : "-",
                load ? Units.micros(Records.latency(record, "p50")) : "-",
                load ? Units.micros(Records.latency(record, "p99")) : "-",
                percent(cpu, "process"),
                percent(cpu, "backend"),
                percent(cpu, "frontend")});
            final Map<?, ?> goals = map(record, "targets");
            if (goals != null)
            {
                targets.append("targets (issue 11), ").append(Records.benchmark(record)).append(' ')
                    .append(Records.settings(record, "runners", "front_threads")).append(":\n");
                for (final Map.Entry<?, ?> entry : goals.entrySet())
                {
                    final Map<?, ?> goal = (Map<?, ?>)entry.getValue();
                    targets.append(String.format(Locale.ROOT, "  %-28s %8.3f  target %-6s %s%n", entry.getKey(),
                        value(goal, "value"), goal.get("target"), Boolean.TRUE.equals(goal.get("met")) ? "met"
                            : "not met"));
                }
            }
        }
        if (rows.isEmpty())
        {
            return "";
        }
        rows.add(0, HEADER);
        final int[] widths = new int[HEADER.length];
        for (final String[] row : rows)
        {
            for (int i = 0; i < row.length; i++)
            {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        final StringBuilder out = new StringBuilder("\nmany guests (cpu in % of one core; backend = process - "
            + "frontend threads):\n");
        for (int r = 0; r < rows.size(); r++)
        {
            final StringBuilder line = new StringBuilder();
            for (int i = 0; i < HEADER.length; i++)
            {
                final String cell = rows.get(r)[i];
                final String pad = " ".repeat(widths[i] - cell.length());
                line.append(i < 3 ? cell + pad : pad + cell).append(i + 1 < HEADER.length ? "  " : "");
            }
            out.append(line.toString().stripTrailing()).append('\n');
            if (r == 0)
            {
                out.append("-".repeat(line.toString().stripTrailing().length())).append('\n');
            }
        }
        return out.append(targets).toString();
    }

    private static String percent(final Map<?, ?> cpu, final String key)
    {
        return cpu == null ? "-" : String.format(Locale.ROOT, "%.1f", value(cpu, key));
    }

    private static Map<?, ?> map(final Map<String, Object> record, final String key)
    {
        return record.get(key) instanceof Map<?, ?> map ? map : null;
    }

    private static double value(final Map<?, ?> map, final String key)
    {
        return map.get(key) instanceof Number n ? n.doubleValue() : 0;
    }

    private static Object number(final Map<?, ?> map, final String key)
    {
        final Object value = map.get(key);
        return value instanceof Number ? value : 0;
    }
}
