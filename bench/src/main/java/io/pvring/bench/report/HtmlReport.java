package io.pvring.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import io.pvring.bench.run.Units;

/**
 * The self-contained HTML report of one or more result sets: headline ratios, throughput against the baselines
 * of the same run, throughput against the swept parameter (slot size, queue depth, frame size), latency
 * percentiles and the full table. Charts are inline SVG; nothing is fetched from anywhere.
 */
public final class HtmlReport
{
    public static final String DEFAULT_NAME = "report.html";

    /** The swept parameter drawn on the x axis of each benchmark's line chart. */
    private static final Map<String, String[]> SWEEPS = Map.of(
        "ring", new String[] {"slot_bytes", "Slot size (bytes)", "Round trips/s vs slot size"},
        "blk", new String[] {"qd", "Queue depth", "IOPS vs queue depth, per feature setting"},
        "net", new String[] {"frame", "Frame size (bytes)", "Packets/s vs frame size"});
    private static final Map<String, String> OPS_NAMES = Map.of(
        "ring", "round trips/s", "blk", "IOPS", "net", "packets/s");
    /** Parameters that follow from others (entries from slot size and order): never a label of their own. */
    private static final Set<String> DERIVED = Set.of("impl", "entries");
    private static final String[] PERCENTILES = {"p50", "p99", "p999", "max"};
    private static final String[] PERCENTILE_NAMES = {"p50", "p99", "p99.9", "max"};

    private HtmlReport()
    {
    }

    public static void write(final Path file, final List<ResultsFile.Run> runs) throws IOException
    {
        final Path parent = file.toAbsolutePath().getParent();
        if (parent != null)
        {
            Files.createDirectories(parent);
        }
        Files.writeString(file, render(runs), StandardCharsets.UTF_8);
    }

    public static String render(final List<ResultsFile.Run> runs)
    {
        final boolean several = runs.size() > 1;
        final List<Map<String, Object>> all = new ArrayList<>();
        final Map<Map<String, Object>, String> seriesNames = new IdentityHashMap<>();
        for (final ResultsFile.Run run : runs)
        {
            for (final Map<String, Object> record : run.records())
            {
                all.add(record);
                seriesNames.put(record, Records.impl(record) + (several ? " @ " + run.label() : ""));
            }
        }
        final StringBuilder html = new StringBuilder();
        head(html);
        html.append("<h1>pvring benchmark report</h1>\n");
        html.append("<p class='sub'>Generated ").append(Instant.now()).append(" from ")
            .append(runs.size()).append(runs.size() == 1 ? " result set" : " result sets").append(": ");
        for (int i = 0; i < runs.size(); i++)
        {
            html.append(i > 0 ? ", " : "").append("<code>").append(Svg.esc(runs.get(i).label())).append("</code>");
        }
        html.append(". Every pvring figure sits beside baselines measured in the same run.</p>\n");
        environment(html, runs);
        headline(html, runs);
        final Set<String> benchmarks = new LinkedHashSet<>();
        for (final Map<String, Object> record : all)
        {
            benchmarks.add(Records.benchmark(record));
        }
        for (final String benchmark : benchmarks)
        {
            section(html, benchmark, Records.of(all, benchmark), seriesNames);
        }
        GuestsReport.section(html, all);
        table(html, all, seriesNames);
        html.append("</body></html>\n");
        return html.toString();
    }

    private static void head(final StringBuilder html)
    {
        html.append("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>\n")
            .append("<title>pvring benchmark report</title>\n<style>\n")
            .append("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:28px auto;max-width:1000px;")
            .append("color:#1d2330;background:#fafbfc;padding:0 16px}\n")
            .append("h1{margin:0 0 4px;font-size:28px}h2{margin-top:36px;border-bottom:2px solid #dfe3ea;")
            .append("padding-bottom:6px}\n.sub{color:#5b6575;margin-top:0}\n")
            .append(".cards{display:flex;flex-wrap:wrap;gap:12px;margin:18px 0}\n")
            .append(".card{background:#fff;border:1px solid #dfe3ea;border-radius:10px;padding:12px 16px;")
            .append("min-width:190px}\n.card .big{font-size:26px;font-weight:600;color:#1f5fbf}\n")
            .append(".card .what{color:#5b6575;font-size:13px}\n.good{color:#2e9e5b}.bad{color:#d94848}\n")
            .append(".chart{background:#fff;border:1px solid #dfe3ea;border-radius:10px;margin:14px 0;padding:6px}\n")
            .append(".chart svg{width:100%;height:auto;display:block}\n")
            .append(".grid2{display:grid;grid-template-columns:1fr 1fr;gap:12px}\n")
            .append("svg text{font-family:system-ui,sans-serif;fill:#1d2330}\n")
            .append("svg .title{font-size:17px;font-weight:600}svg .leg{font-size:12px}\n")
            .append("svg .val{font-size:10px;text-anchor:middle;fill:#3a4252}\n")
            .append("svg .xl{font-size:11px;text-anchor:middle;fill:#3a4252}")
            .append("svg .yl{font-size:11px;text-anchor:end;fill:#5b6575}\n")
            .append("svg .axis{font-size:12px;text-anchor:middle;fill:#5b6575}\n")
            .append("svg .grid{stroke:#e6e9ef}svg .axisline,svg .tick{stroke:#9aa3b2}\n")
            .append("table{border-collapse:collapse;width:100%;font-size:12px;background:#fff}\n")
            .append("th,td{border-bottom:1px solid #e6e9ef;padding:4px 6px;text-align:right;white-space:nowrap}\n")
            .append("th{background:#eef1f6}td.l,th.l{text-align:left}td.w{white-space:normal;min-width:150px}\n")
            .append("code{background:#eef1f6;padding:1px 4px;border-radius:4px}\n")
            .append("</style></head><body>\n");
    }

    private static void environment(final StringBuilder html, final List<ResultsFile.Run> runs)
    {
        html.append("<p class='sub'>");
        for (final ResultsFile.Run run : runs)
        {
            if (run.records().isEmpty())
            {
                continue;
            }
            final Object env = run.records().get(0).get("environment");
            if (env instanceof Map<?, ?> map)
            {
                html.append("<b>").append(Svg.esc(run.label())).append("</b>: JDK ")
                    .append(Svg.esc(String.valueOf(map.get("jdk")))).append(", ")
                    .append(Svg.esc(String.valueOf(map.get("cpus")))).append(" CPUs (")
                    .append(Svg.esc(String.valueOf(map.get("cpu_model")))).append("), ")
                    .append(Svg.esc(String.valueOf(map.get("os")))).append("<br>");
            }
        }
        html.append("</p>\n");
    }

    /** Cards: the pvring ring's best round-trip rate and its ratio to each baseline at the same settings. */
    private static void headline(final StringBuilder html, final List<ResultsFile.Run> runs)
    {
        html.append("<div class='cards'>\n");
        for (final ResultsFile.Run run : runs)
        {
            final Map<String, Object> best = headlineRecord(run.records());
            if (best == null)
            {
                continue;
            }
            final String prefix = runs.size() > 1 ? Svg.esc(run.label()) + ": " : "";
            card(html, Units.si(Records.number(best, "ops_per_sec")) + "/s",
                prefix + "pvring ring round trips, " + Svg.esc(Records.settings(best, "entries", "idle")), null);
            for (final String baseline : new String[] {"agrona", "juc-abq", "native-c"})
            {
                final Map<String, Object> other = Records.sibling(run.records(), best, baseline);
                if (other != null && Records.number(other, "ops_per_sec") > 0)
                {
                    final double ratio = Records.number(best, "ops_per_sec") / Records.number(other, "ops_per_sec");
                    card(html, String.format(Locale.ROOT, "%.2fx", ratio),
                        prefix + "pvring vs " + baseline + " (" + Units.si(Records.number(other, "ops_per_sec"))
                        + "/s), same settings", ratio >= 1 ? "good" : ratio >= 0.7 ? null : "bad");
                }
            }
            final long sent = Records.notifications(best, "sent");
            final long suppressed = Records.notifications(best, "suppressed");
            if (sent + suppressed > 0)
            {
                card(html, String.format(Locale.ROOT, "%.1f%%", 100.0 * suppressed / (sent + suppressed)),
                    prefix + "of pushes needed no notification (event indices)", null);
            }
        }
        html.append("</div>\n");
    }

    /** The pvring ring record at the default settings (112-byte slots, batch 8) if there is one, else the fastest. */
    private static Map<String, Object> headlineRecord(final List<Map<String, Object>> records)
    {
        Map<String, Object> best = null;
        for (final Map<String, Object> record : Records.of(records, "ring"))
        {
            if (!"pvring".equals(Records.impl(record)))
            {
                continue;
            }
            if (Records.param(record, "slot_bytes") == 112 && Records.param(record, "batch") == 8
                && Records.param(record, "ring_order") == 0)
            {
                return record;
            }
            if (best == null || Records.number(record, "ops_per_sec") > Records.number(best, "ops_per_sec"))
            {
                best = record;
            }
        }
        return best;
    }

    private static void card(final StringBuilder html, final String big, final String what, final String cls)
    {
        html.append("<div class='card'><div class='big").append(cls == null ? "" : " " + cls).append("'>")
            .append(Svg.esc(big)).append("</div><div class='what'>").append(what).append("</div></div>\n");
    }

    private static void section(
        final StringBuilder html,
        final String benchmark,
        final List<Map<String, Object>> records,
        final Map<Map<String, Object>, String> seriesNames)
    {
        final String opsName = OPS_NAMES.getOrDefault(benchmark, "ops/s");
        html.append("<h2>").append(Svg.esc(benchmark)).append("</h2>\n");
        final Set<String> varying = varyingParams(records);
        final List<String> groups = new ArrayList<>();
        final List<String> series = new ArrayList<>();
        for (final Map<String, Object> record : records)
        {
            addOnce(groups, label(record, varying));
            addOnce(series, seriesNames.get(record));
        }
        final double[][] ops = new double[series.size()][groups.size()];
        for (final double[] row : ops)
        {
            java.util.Arrays.fill(row, Double.NaN);
        }
        for (final Map<String, Object> record : records)
        {
            ops[series.indexOf(seriesNames.get(record))][groups.indexOf(label(record, varying))] =
                Records.number(record, "ops_per_sec");
        }
        final String title = series.size() > 1 ? capitalise(opsName) + ": pvring and baselines, same run"
            : capitalise(opsName) + " by setting";
        chart(html, Svg.bars(title, opsName, groups, series, ops, false, false, Svg.WIDTH));
        sweep(html, benchmark, records, seriesNames);
        latency(html, records, varying, seriesNames);
    }

    private static void sweep(
        final StringBuilder html,
        final String benchmark,
        final List<Map<String, Object>> records,
        final Map<Map<String, Object>, String> seriesNames)
    {
        final String[] sweep = SWEEPS.get(benchmark);
        if (sweep == null)
        {
            return;
        }
        final String x = sweep[0];
        final Map<String, List<double[]>> lines = new LinkedHashMap<>();
        final Set<Double> xs = new LinkedHashSet<>();
        final Set<String> varyingOthers = varyingParams(records);
        varyingOthers.remove(x);
        for (final Map<String, Object> record : records)
        {
            final double xv = Records.param(record, x);
            if (Double.isNaN(xv))
            {
                continue;
            }
            final String others = label(record, varyingOthers, x);
            final String name = seriesNames.get(record) + (others.isEmpty() ? "" : " " + others);
            lines.computeIfAbsent(name, k -> new ArrayList<>()).add(new double[] {xv, Records.number(record,
                "ops_per_sec")});
            xs.add(xv);
        }
        lines.values().removeIf(points -> points.size() < 2);
        if (xs.size() < 2 || lines.isEmpty())
        {
            return;
        }
        chart(html, Svg.lines(sweep[2], sweep[1], OPS_NAMES.getOrDefault(benchmark, "ops/s"), lines));
    }

    private static void latency(
        final StringBuilder html,
        final List<Map<String, Object>> records,
        final Set<String> varying,
        final Map<Map<String, Object>, String> seriesNames)
    {
        final Set<String> series = new LinkedHashSet<>(seriesNames.values().size());
        for (final Map<String, Object> record : records)
        {
            series.add(seriesNames.get(record));
        }
        html.append("<h3>Latency percentiles (round trip, microseconds, log scale)</h3>\n");
        if (series.size() == 1)
        {
            // One implementation: one chart, a group of percentiles per setting.
            final List<String> groups = new ArrayList<>();
            for (final Map<String, Object> record : records)
            {
                groups.add(label(record, varying));
            }
            chart(html, Svg.bars(series.iterator().next() + " latency by setting", "microseconds", groups,
                List.of(PERCENTILE_NAMES), percentiles(records), true, true, Svg.WIDTH));
            return;
        }
        final Map<String, List<Map<String, Object>>> bySettings = new LinkedHashMap<>();
        for (final Map<String, Object> record : records)
        {
            bySettings.computeIfAbsent(label(record, varying), k -> new ArrayList<>()).add(record);
        }
        html.append("<div class='grid2'>\n");
        for (final Map.Entry<String, List<Map<String, Object>>> entry : bySettings.entrySet())
        {
            final List<String> groups = new ArrayList<>();
            for (final Map<String, Object> record : entry.getValue())
            {
                groups.add(seriesNames.get(record));
            }
            chart(html, Svg.bars(entry.getKey().isEmpty() ? "latency" : entry.getKey(), "microseconds", groups,
                List.of(PERCENTILE_NAMES), percentiles(entry.getValue()), true, true, Svg.HALF_WIDTH));
        }
        html.append("</div>\n");
    }

    /** {@code values[percentile][record]}, NaN where a record has no latency. */
    private static double[][] percentiles(final List<Map<String, Object>> records)
    {
        final double[][] values = new double[PERCENTILES.length][records.size()];
        for (int p = 0; p < PERCENTILES.length; p++)
        {
            for (int g = 0; g < records.size(); g++)
            {
                final double v = Records.latency(records.get(g), PERCENTILES[p]);
                values[p][g] = v > 0 ? v : Double.NaN;
            }
        }
        return values;
    }

    private static void table(
        final StringBuilder html,
        final List<Map<String, Object>> records,
        final Map<Map<String, Object>, String> seriesNames)
    {
        html.append("<h2>All runs</h2>\n<table><tr><th class='l'>benchmark</th><th class='l'>impl</th>")
            .append("<th class='l'>settings</th><th>ops/s</th><th>MB/s</th><th>p50 us</th><th>p99 us</th>")
            .append("<th>p99.9 us</th><th>max us</th><th>notify sent</th><th>suppressed</th>")
            .append("<th class='l'>vs baselines</th></tr>\n");
        for (final Map<String, Object> record : records)
        {
            html.append("<tr><td class='l'>").append(Svg.esc(Records.benchmark(record))).append("</td><td class='l'>")
                .append(Svg.esc(Objects.requireNonNull(seriesNames.get(record))))
                .append(Boolean.TRUE.equals(record.get("partial")) ? " (partial)" : "")
                .append("</td><td class='l w'>").append(Svg.esc(Records.settings(record, "entries"))).append("</td>");
            cell(html, Units.si(Records.number(record, "ops_per_sec")));
            cell(html, Units.mbPerSec(Records.number(record, "bytes_per_sec")));
            for (final String p : PERCENTILES)
            {
                cell(html, Units.micros(Records.latency(record, p)));
            }
            cell(html, Long.toString(Records.notifications(record, "sent")));
            cell(html, Long.toString(Records.notifications(record, "suppressed")));
            html.append("<td class='l w'>").append(Svg.esc(TerminalTable.ratios(records, record)))
                .append("</td></tr>\n");
        }
        html.append("</table>\n");
    }

    private static void cell(final StringBuilder html, final String text)
    {
        html.append("<td>").append(Svg.esc(text)).append("</td>");
    }

    private static void chart(final StringBuilder html, final String svg)
    {
        html.append("<div class='chart'>\n").append(svg).append("</div>\n");
    }

    /** Parameters (other than impl and derived ones) whose values differ between records. */
    static Set<String> varyingParams(final List<Map<String, Object>> records)
    {
        final Map<String, Set<String>> values = new LinkedHashMap<>();
        for (final Map<String, Object> record : records)
        {
            for (final Map.Entry<String, Object> entry : Records.params(record).entrySet())
            {
                values.computeIfAbsent(entry.getKey(), k -> new LinkedHashSet<>())
                    .add(String.valueOf(entry.getValue()));
            }
        }
        final Set<String> varying = new LinkedHashSet<>();
        for (final Map.Entry<String, Set<String>> entry : values.entrySet())
        {
            if (entry.getValue().size() > 1 && !DERIVED.contains(entry.getKey()))
            {
                varying.add(entry.getKey());
            }
        }
        return varying;
    }

    private static String label(final Map<String, Object> record, final Set<String> keys, final String... except)
    {
        final StringBuilder out = new StringBuilder();
        for (final Map.Entry<String, Object> entry : Records.params(record).entrySet())
        {
            if (keys.contains(entry.getKey()) && !List.of(except).contains(entry.getKey()))
            {
                out.append(out.length() > 0 ? " " : "").append(entry.getKey()).append('=').append(entry.getValue());
            }
        }
        return out.toString();
    }

    private static void addOnce(final List<String> list, final String value)
    {
        if (!list.contains(value))
        {
            list.add(value);
        }
    }

    private static String capitalise(final String s)
    {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
