package io.pvring.bench.stat;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.pvring.stats.DeviceKind;
import io.pvring.stats.DeviceSample;

/** Renders one {@code pvring stat} report: an iostat-like table for vbds, an ifstat-like one for vifs, or JSON. */
public final class StatReport
{
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
        .withZone(ZoneId.systemDefault());

    private StatReport()
    {
    }

    /** The JSON name of a column given as header ({@code r/s}, {@code %util}) or JSON name; null if unknown. */
    public static String column(final String name)
    {
        for (int i = 0; i < DeviceFigures.VBD_COLUMNS.length; i++)
        {
            if (DeviceFigures.VBD_COLUMNS[i].equalsIgnoreCase(name) || DeviceFigures.VBD_HEADERS[i].equalsIgnoreCase(
                name))
            {
                return DeviceFigures.VBD_COLUMNS[i];
            }
        }
        for (int i = 0; i < DeviceFigures.VIF_COLUMNS.length; i++)
        {
            if (DeviceFigures.VIF_COLUMNS[i].equalsIgnoreCase(name) ||
                DeviceFigures.VIF_HEADERS[i].replace(' ', '-').equalsIgnoreCase(name))
            {
                return DeviceFigures.VIF_COLUMNS[i];
            }
        }
        return null;
    }

    /** Sorts by {@code column} descending (devices without it last), else by guest and device. */
    public static List<DeviceFigures> sorted(final List<DeviceFigures> rows, final String column)
    {
        final List<DeviceFigures> out = new ArrayList<>(rows);
        if (column != null)
        {
            out.sort(Comparator.comparingDouble((DeviceFigures r) ->
            {
                final Double v = r.figures().get(column);
                return v == null ? Double.NEGATIVE_INFINITY : v;
            }).reversed());
        }
        return out;
    }

    /** Whether {@code s} matches the filters (null: any): guest by name or domid, device by name or id. */
    public static boolean matches(final DeviceSample s, final String guest, final String device)
    {
        if (s.id().kind() == DeviceKind.RUNNER)
        {
            return true; // the host's threads: the footer whatever the filters
        }
        final boolean guestOk = guest == null || guest.equals(s.guest()) || guest.equals(Integer.toString(
            s.id().domid()));
        final boolean deviceOk = device == null || device.equals(DeviceFigures.name(s)) ||
            device.equals(s.id().toString()) || device.equals(Integer.toString(s.id().devid())) ||
            device.equals(s.id().kind().label());
        return guestOk && deviceOk;
    }

    /** The text report. */
    public static String text(final String file, final long pid, final long epochMillis, final Double interval,
        final List<DeviceFigures> rows)
    {
        final StringBuilder out = new StringBuilder();
        out.append("pvring stat  ").append(file).append("  pid ").append(pid).append("  ")
            .append(TIME.format(Instant.ofEpochMilli(epochMillis)))
            .append(interval == null ? "  (averages since each device connected)" :
                String.format(Locale.ROOT, "  interval %.1f s", interval)).append('\n');
        table(out, rows, DeviceKind.VBD, "vbd", DeviceFigures.VBD_COLUMNS, DeviceFigures.VBD_HEADERS);
        table(out, rows, DeviceKind.VIF, "vif", DeviceFigures.VIF_COLUMNS, DeviceFigures.VIF_HEADERS);
        if (rows.stream().allMatch(r -> r.sample().id().kind() == DeviceKind.RUNNER))
        {
            out.append("\nno devices connected\n");
        }
        runners(out, rows);
        return out.toString();
    }

    /** One footer line for the runner threads: rings on each, passes and parks per second, agent failures. */
    private static void runners(final StringBuilder out, final List<DeviceFigures> rows)
    {
        final StringBuilder line = new StringBuilder();
        for (final DeviceFigures r : rows)
        {
            if (r.sample().id().kind() == DeviceKind.RUNNER)
            {
                final Map<String, Double> f = r.figures();
                line.append(line.length() == 0 ? "\nrunners " : "  ").append(String.format(Locale.ROOT,
                    " %s: %d rings %.0f loops/s %.0f parks/s %d errors", r.name(), Math.round(f.get("load")),
                    f.get("loops_s"), f.get("parks_s"), Math.round(f.get("errors"))));
            }
        }
        if (line.length() > 0)
        {
            out.append(line).append('\n');
        }
    }

    private static void table(final StringBuilder out, final List<DeviceFigures> rows, final DeviceKind kind,
        final String title, final String[] columns, final String[] headers)
    {
        final List<String[]> lines = new ArrayList<>();
        final String[] header = new String[columns.length + 3];
        header[0] = "guest";
        header[1] = "domid";
        header[2] = title;
        System.arraycopy(headers, 0, header, 3, headers.length);
        for (final DeviceFigures r : rows)
        {
            if (r.sample().id().kind() != kind)
            {
                continue;
            }
            final String[] line = new String[header.length];
            line[0] = r.sample().guest();
            line[1] = Integer.toString(r.sample().id().domid());
            line[2] = r.name();
            for (int i = 0; i < columns.length; i++)
            {
                line[3 + i] = format(columns[i], r.figures().get(columns[i]));
            }
            lines.add(line);
        }
        if (lines.isEmpty())
        {
            return;
        }
        lines.add(0, header);
        final int[] widths = new int[header.length];
        for (final String[] line : lines)
        {
            for (int i = 0; i < line.length; i++)
            {
                widths[i] = Math.max(widths[i], line[i].length());
            }
        }
        out.append('\n');
        for (final String[] line : lines)
        {
            final StringBuilder l = new StringBuilder();
            for (int i = 0; i < line.length; i++)
            {
                final String cell = line[i];
                final String pad = " ".repeat(widths[i] - cell.length());
                l.append(i < 1 || i == 2 ? cell + pad : pad + cell).append(i + 1 < line.length ? "  " : "");
            }
            out.append(l.toString().stripTrailing()).append('\n');
        }
    }

    private static String format(final String column, final Double value)
    {
        if (value == null)
        {
            return "-";
        }
        switch (column)
        {
            case "in_flight":
            case "errors":
            case "drops":
                return Long.toString(Math.round(value));
            case "await_ms":
            case "p50_ms":
            case "p99_ms":
                return String.format(Locale.ROOT, "%.3f", value); // ms to the microsecond: fast disks show
            case "aqu_sz":
                return String.format(Locale.ROOT, "%.2f", value);
            default:
                return String.format(Locale.ROOT, "%.1f", value);
        }
    }

    /** The JSON report (a map for {@code Json.write}). */
    public static Map<String, Object> json(final String file, final long pid, final long epochMillis,
        final Double interval, final List<DeviceFigures> rows)
    {
        final Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("counters_file", file);
        doc.put("pid", pid);
        doc.put("time", Instant.ofEpochMilli(epochMillis).toString());
        doc.put("interval_s", interval);
        final List<Object> devices = new ArrayList<>();
        final List<Object> runners = new ArrayList<>();
        for (final DeviceFigures r : rows)
        {
            final DeviceSample s = r.sample();
            if (s.id().kind() == DeviceKind.RUNNER)
            {
                final Map<String, Object> d = new LinkedHashMap<>();
                d.put("name", r.name());
                d.put("seconds", r.seconds());
                d.put("figures", new LinkedHashMap<>(r.figures()));
                d.put("totals", totals(s));
                runners.add(d);
                continue;
            }
            final Map<String, Object> d = new LinkedHashMap<>();
            d.put("guest", s.guest());
            d.put("domid", s.id().domid());
            d.put("kind", s.id().kind().label());
            d.put("devid", s.id().devid());
            d.put("name", r.name());
            d.put("queues", s.queues());
            d.put("seconds", r.seconds());
            d.put("figures", new LinkedHashMap<>(r.figures()));
            d.put("latency_ns", r.latencySummary());
            d.put("totals", totals(s));
            devices.add(d);
        }
        doc.put("devices", devices);
        doc.put("runners", runners);
        return doc;
    }

    private static Map<String, Object> totals(final DeviceSample s)
    {
        final Map<String, Object> totals = new LinkedHashMap<>();
        for (int i = 0; i < s.set().size(); i++)
        {
            totals.put(s.set().name(i), s.totals()[i]);
        }
        return totals;
    }
}
