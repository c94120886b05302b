package io.pvring.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.pvring.bench.run.Units;

/**
 * The "Many guests" section of the HTML report: the figures of {@link GuestsTable} as a table with the issue's
 * targets, and per run with several guests a bar per guest (its rate), so an unfair host shows at a glance.
 */
final class GuestsReport
{
    private GuestsReport()
    {
    }

    static void section(final StringBuilder html, final List<Map<String, Object>> records)
    {
        final List<Map<String, Object>> runs = new ArrayList<>();
        for (final Map<String, Object> record : records)
        {
            if (record.get("guests") instanceof Map || record.get("cpu_percent") instanceof Map)
            {
                runs.add(record);
            }
        }
        if (runs.isEmpty())
        {
            return;
        }
        html.append("<h2>Many guests</h2>\n<p class='sub'>CPU in percent of one core over the measured window: ")
            .append("process CPU time over wall time; frontend = the guest threads' CPU time; backend = process - ")
            .append("frontend.</p>\n<table><tr><th class='l'>benchmark</th><th class='l'>settings</th>")
            .append("<th>ops/s</th><th>lowest</th><th>highest</th><th>lowest/mean</th><th>p50 us</th>")
            .append("<th>p99 us</th><th>cpu process</th><th>backend</th><th>frontend</th>")
            .append("<th class='l'>targets</th></tr>\n");
        for (final Map<String, Object> record : runs)
        {
            final Map<?, ?> guests = map(record.get("guests"));
            final Map<?, ?> cpu = map(record.get("cpu_percent"));
            html.append("<tr><td class='l'>").append(Svg.esc(Records.benchmark(record)))
                .append("</td><td class='l w'>").append(Svg.esc(Records.settings(record))).append("</td>");
            cell(html, guests == null ? "-" : Units.si(Records.number(record, "ops_per_sec")));
            cell(html, guests == null ? "-" : Units.si(value(guests, "lowest_ops_per_sec")));
            cell(html, guests == null ? "-" : Units.si(value(guests, "highest_ops_per_sec")));
            cell(html, guests == null ? "-" : String.format(Locale.ROOT, "%.2f", value(guests, "lowest_over_mean")));
            cell(html, guests == null ? "-" : Units.micros(Records.latency(record, "p50")));
            cell(html, guests == null ? "-" : Units.micros(Records.latency(record, "p99")));
            for (final String key : new String[] {"process", "backend", "frontend"})
            {
                cell(html, cpu == null ? "-" : String.format(Locale.ROOT, "%.1f%%", value(cpu, key)));
            }
            html.append("<td class='l w'>").append(Svg.esc(targets(map(record.get("targets"))))).append("</td></tr>\n");
        }
        html.append("</table>\n");
        for (final Map<String, Object> record : runs)
        {
            perGuest(html, record);
        }
    }

    private static void perGuest(final StringBuilder html, final Map<String, Object> record)
    {
        final Map<?, ?> guests = map(record.get("guests"));
        final double seconds = Records.number(record, "duration_sec");
        if (guests == null || !(guests.get("ops") instanceof List<?> ops) || ops.size() < 2 || seconds <= 0)
        {
            return;
        }
        final List<String> names = new ArrayList<>();
        final double[][] rates = new double[1][ops.size()];
        for (int g = 0; g < ops.size(); g++)
        {
            names.add(Integer.toString(g));
            rates[0][g] = ops.get(g) instanceof Number n ? n.doubleValue() / seconds : Double.NaN;
        }
        html.append("<div class='chart'>\n").append(Svg.bars("Per guest: " + Records.benchmark(record) + " "
            + Records.settings(record), "ops/s", names, List.of("guest"), rates, false, false, Svg.WIDTH))
            .append("</div>\n");
    }

    private static String targets(final Map<?, ?> targets)
    {
        if (targets == null)
        {
            return "";
        }
        final StringBuilder out = new StringBuilder();
        for (final Map.Entry<?, ?> entry : targets.entrySet())
        {
            final Map<?, ?> goal = map(entry.getValue());
            if (goal != null)
            {
                out.append(out.length() > 0 ? "; " : "").append(String.format(Locale.ROOT, "%s %.3f (%s, %s)",
                    entry.getKey(), value(goal, "value"), goal.get("target"),
                    Boolean.TRUE.equals(goal.get("met")) ? "met" : "not met"));
            }
        }
        return out.toString();
    }

    private static void cell(final StringBuilder html, final String text)
    {
        html.append("<td>").append(Svg.esc(text)).append("</td>");
    }

    private static Map<?, ?> map(final Object value)
    {
        return value instanceof Map<?, ?> map ? map : null;
    }

    private static double value(final Map<?, ?> map, final String key)
    {
        return map.get(key) instanceof Number n ? n.doubleValue() : 0;
    }
}
