package io.pvring.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.pvring.bench.run.Units;

/**
 * The summary table printed after a run: one row per record, throughput, latency percentiles, notifications,
 * and for the pvring ring its ratio to the baselines measured in the same run.
 */
public final class TerminalTable
{
    private static final String[] HEADER = {
        "benchmark", "impl", "settings", "ops/s", "MB/s", "p50 us", "p99 us", "p99.9 us", "max us",
        "notify sent/suppr", "vs baselines"};
    /** The impl of a run whose frontend is another process (bench blk/net --frontend process). */
    private static final String OUT_OF_PROCESS = "pvring-process";

    private TerminalTable()
    {
    }

    public static String render(final List<Map<String, Object>> records)
    {
        final StringBuilder out = new StringBuilder();
        final List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (final Map<String, Object> record : records)
        {
            rows.add(new String[] {
                Records.benchmark(record),
                Records.impl(record) + (Boolean.TRUE.equals(record.get("partial")) ? " (partial)" : ""),
                Records.settings(record),
                Units.si(Records.number(record, "ops_per_sec")),
                Units.mbPerSec(Records.number(record, "bytes_per_sec")),
                Units.micros(Records.latency(record, "p50")),
                Units.micros(Records.latency(record, "p99")),
                Units.micros(Records.latency(record, "p999")),
                Units.micros(Records.latency(record, "max")),
                notifications(record),
                ratios(records, record)});
        }
        final int[] widths = new int[HEADER.length];
        for (final String[] row : rows)
        {
            for (int i = 0; i < row.length; i++)
            {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (int r = 0; r < rows.size(); r++)
        {
            final StringBuilder line = new StringBuilder();
            final String[] row = rows.get(r);
            for (int i = 0; i < row.length; i++)
            {
                final boolean numeric = i >= 3 && i <= 8;
                final String cell = numeric ? pad(row[i], widths[i], true) : pad(row[i], widths[i], false);
                line.append(cell).append(i + 1 < row.length ? "  " : "");
            }
            out.append(line.toString().stripTrailing()).append('\n');
            if (r == 0)
            {
                out.append("-".repeat(line.toString().stripTrailing().length())).append('\n');
            }
        }
        return out.toString();
    }

    private static String notifications(final Map<String, Object> record)
    {
        final long sent = Records.notifications(record, "sent");
        final long suppressed = Records.notifications(record, "suppressed");
        if (sent == 0 && suppressed == 0)
        {
            return "-";
        }
        return Units.si(sent).trim() + " / " + Units.si(suppressed).trim();
    }

    /** The baselines a pvring record is compared with, when the same run measured them. */
    private static final String[] BASELINES =
        {"agrona", "juc-abq", "native-c", "fio-psync", "fio-io_uring", "fio-nbd"};

    /**
     * "1.23x agrona 0.87x juc-abq 0.71x native-c" (or "0.91x fio-psync ...") for a pvring row, "0.62x in-process"
     * for an out-of-process row ({@code pvring-process}), with its p50 latency as a multiple of the in-process p50; ""
     * otherwise.
     */
    static String ratios(final List<Map<String, Object>> records, final Map<String, Object> record)
    {
        final StringBuilder out = new StringBuilder();
        ratioMap(records, record).forEach((baseline, ratio) -> out.append(out.length() > 0 ? " " : "")
            .append(String.format(Locale.ROOT, "%.2fx %s", ratio, baseline)));
        if (OUT_OF_PROCESS.equals(Records.impl(record)) && out.length() > 0)
        {
            final double p50 = Records.latency(Records.sibling(records, record, "pvring"), "p50");
            if (p50 > 0)
            {
                out.append(String.format(Locale.ROOT, " (p50 %.2fx)", Records.latency(record, "p50") / p50));
            }
        }
        return out.toString();
    }

    /**
     * A pvring record's ops per second over each baseline's at the same settings in {@code records}, by baseline
     * name (the results file's {@code ratios}); for an out-of-process record, over the in-process one
     * ({@code in-process}); empty for other records or when no baseline ran.
     */
    public static Map<String, Double> ratioMap(
        final List<Map<String, Object>> records, final Map<String, Object> record)
    {
        final Map<String, Double> ratios = new LinkedHashMap<>();
        if (OUT_OF_PROCESS.equals(Records.impl(record)))
        {
            final Map<String, Object> inProcess = Records.sibling(records, record, "pvring");
            if (inProcess != null && Records.number(inProcess, "ops_per_sec") > 0)
            {
                ratios.put("in-process",
                    Records.number(record, "ops_per_sec") / Records.number(inProcess, "ops_per_sec"));
            }
            return ratios;
        }
        if (!"pvring".equals(Records.impl(record)))
        {
            return ratios;
        }
        for (final String baseline : BASELINES)
        {
            final Map<String, Object> other = Records.sibling(records, record, baseline);
            if (other != null && Records.number(other, "ops_per_sec") > 0)
            {
                ratios.put(baseline, Records.number(record, "ops_per_sec") / Records.number(other, "ops_per_sec"));
            }
        }
        return ratios;
    }

    private static String pad(final String s, final int width, final boolean right)
    {
        final String spaces = " ".repeat(Math.max(0, width - s.length()));
        return right ? spaces + s : s + spaces;
    }
}
