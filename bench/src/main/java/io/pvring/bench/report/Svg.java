package io.pvring.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.pvring.bench.run.Units;

/**
 * Inline SVG charts drawn here, no JavaScript and no network: grouped bars (linear or log axis) and lines.
 * Colours are fixed per series name so pvring and each baseline look the same in every chart.
 */
public final class Svg
{
    public static final int WIDTH = 960;
    public static final int HALF_WIDTH = 560;
    static final int HEIGHT = 400;
    private static final int LEFT = 78;
    private static final int RIGHT = 20;
    private static final int TOP = 66;
    private static final int BOTTOM = 92;
    private static final String[] PALETTE = {
        "#1f5fbf", "#e8812c", "#8a8f98", "#2e9e5b", "#b03a8c", "#c9a227", "#4bb6c9", "#7a5230", "#d94848"};
    private static final Map<String, String> FIXED = Map.of(
        "pvring", "#1f5fbf", "agrona", "#e8812c", "juc-abq", "#8a8f98", "native-c", "#2e9e5b",
        "p50", "#1f5fbf", "p99", "#e8812c", "p99.9", "#d94848", "max", "#8a8f98");

    private Svg()
    {
    }

    /**
     * Colours for a chart's series: fixed for known names (also as a prefix, "pvring @ run"), so pvring and each
     * baseline look the same everywhere; a name whose fixed colour is already taken in this chart (two pvring
     * series with different settings) gets the next free palette colour.
     */
    static List<String> colors(final List<String> series)
    {
        final List<String> colors = new ArrayList<>();
        for (final String name : series)
        {
            String color = null;
            for (final Map.Entry<String, String> fixed : FIXED.entrySet())
            {
                if (name.equals(fixed.getKey()) || name.startsWith(fixed.getKey() + " "))
                {
                    color = fixed.getValue();
                }
            }
            if (color == null || colors.contains(color))
            {
                color = null;
                for (int i = 0; i < PALETTE.length && color == null; i++)
                {
                    final String candidate = PALETTE[(i + 4) % PALETTE.length];
                    if (!colors.contains(candidate))
                    {
                        color = candidate;
                    }
                }
                if (color == null)
                {
                    color = PALETTE[colors.size() % PALETTE.length];
                }
            }
            colors.add(color);
        }
        return colors;
    }

    /**
     * Grouped bars: {@code values[series][group]}, NaN for a missing bar.
     */
    public static String bars(
        final String title,
        final String yLabel,
        final List<String> groups,
        final List<String> series,
        final double[][] values,
        final boolean log,
        final boolean microseconds,
        final int width)
    {
        double max = 0;
        double min = Double.MAX_VALUE;
        for (final double[] row : values)
        {
            for (final double v : row)
            {
                if (!Double.isNaN(v) && v > 0)
                {
                    max = Math.max(max, v);
                    min = Math.min(min, v);
                }
            }
        }
        final Axis axis = log ? Axis.log(min == Double.MAX_VALUE ? 1 : min, Math.max(max, 1e-9))
            : Axis.linear(max);
        final List<String> colors = colors(series);
        final StringBuilder svg = open(title, width);
        yAxis(svg, axis, yLabel, microseconds, width);
        legend(svg, series, colors, width);
        final double plotWidth = width - LEFT - RIGHT;
        final double groupWidth = plotWidth / Math.max(1, groups.size());
        final double barWidth = Math.min(46, groupWidth * 0.8 / Math.max(1, series.size()));
        final boolean labels = barWidth >= 30;
        for (int g = 0; g < groups.size(); g++)
        {
            final double groupX = LEFT + g * groupWidth;
            final double first = groupX + (groupWidth - barWidth * series.size()) / 2;
            for (int s = 0; s < series.size(); s++)
            {
                final double v = values[s][g];
                if (Double.isNaN(v))
                {
                    continue;
                }
                final double y = axis.y(v);
                final double x = first + s * barWidth;
                final double base = axis.y(axis.min);
                svg.append(String.format(Locale.ROOT,
                    "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'><title>%s, %s: %s</title></rect>%n",
                    x + 1, Math.min(y, base), barWidth - 2, Math.abs(base - y), colors.get(s),
                    esc(series.get(s)), esc(groups.get(g)), esc(format(v, microseconds))));
                if (labels)
                {
                    svg.append(String.format(Locale.ROOT,
                        "<text x='%.1f' y='%.1f' class='val'>%s</text>%n", x + barWidth / 2, Math.min(y, base) - 4,
                        esc(shortFormat(v, microseconds))));
                }
            }
            xLabel(svg, groupX + groupWidth / 2, groups.get(g), (int)Math.max(6, groupWidth / 6.4));
        }
        return close(svg);
    }

    /** Lines through (x, y) points per series; x on a log2 axis when the values span more than 8x. */
    public static String lines(
        final String title,
        final String xLabel,
        final String yLabel,
        final Map<String, List<double[]>> series)
    {
        double maxY = 0;
        double minX = Double.MAX_VALUE;
        double maxX = 0;
        for (final List<double[]> points : series.values())
        {
            for (final double[] p : points)
            {
                maxY = Math.max(maxY, p[1]);
                minX = Math.min(minX, p[0]);
                maxX = Math.max(maxX, p[0]);
            }
        }
        final Axis axis = Axis.linear(maxY);
        final boolean logX = minX > 0 && maxX / minX > 8;
        final double x0 = logX ? Math.log(minX) / Math.log(2) : minX;
        final double x1 = logX ? Math.log(maxX) / Math.log(2) : maxX;
        final double plotWidth = WIDTH - LEFT - RIGHT - 40;
        final List<String> names = new ArrayList<>(series.keySet());
        final List<String> colors = colors(names);
        final StringBuilder svg = open(title, WIDTH);
        yAxis(svg, axis, yLabel, false, WIDTH);
        legend(svg, names, colors, WIDTH);
        final List<Double> ticks = new ArrayList<>();
        for (final List<double[]> points : series.values())
        {
            for (final double[] p : points)
            {
                if (!ticks.contains(p[0]))
                {
                    ticks.add(p[0]);
                }
            }
        }
        for (final double t : ticks)
        {
            final double x = xPos(t, logX, x0, x1, plotWidth);
            svg.append(String.format(Locale.ROOT,
                "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' class='tick'/>%n", x, HEIGHT - BOTTOM, x,
                HEIGHT - BOTTOM + 5));
            svg.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' class='xl'>%s</text>%n", x,
                HEIGHT - BOTTOM + 20, esc(Units.si(t).trim())));
        }
        svg.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' class='axis'>%s</text>%n",
            LEFT + plotWidth / 2.0 + 20, HEIGHT - 22, esc(xLabel)));
        int s = 0;
        for (final Map.Entry<String, List<double[]>> entry : series.entrySet())
        {
            final String color = colors.get(s++);
            final StringBuilder path = new StringBuilder();
            final List<double[]> points = new ArrayList<>(entry.getValue());
            points.sort((a, b) -> Double.compare(a[0], b[0]));
            for (final double[] p : points)
            {
                path.append(path.length() == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f",
                    xPos(p[0], logX, x0, x1, plotWidth), axis.y(p[1])));
            }
            svg.append("<path d='").append(path).append("' fill='none' stroke='").append(color)
                .append("' stroke-width='2.5'/>\n");
            for (final double[] p : points)
            {
                svg.append(String.format(Locale.ROOT,
                    "<circle cx='%.1f' cy='%.1f' r='4' fill='%s'><title>%s @ %s: %s</title></circle>%n",
                    xPos(p[0], logX, x0, x1, plotWidth), axis.y(p[1]), color, esc(entry.getKey()),
                    esc(Units.si(p[0]).trim()), esc(format(p[1], false))));
            }
        }
        return close(svg);
    }

    private static double xPos(final double v, final boolean logX, final double x0, final double x1,
        final double plotWidth)
    {
        final double t = logX ? Math.log(v) / Math.log(2) : v;
        final double span = x1 - x0;
        return LEFT + 20 + (span == 0 ? plotWidth / 2 : (t - x0) / span * plotWidth);
    }

    private static StringBuilder open(final String title, final int width)
    {
        final StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT,
            "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 %d %d' width='%d' height='%d' role='img'>%n",
            width, HEIGHT, width, HEIGHT));
        svg.append("<title>").append(esc(title)).append("</title>\n");
        svg.append(String.format(Locale.ROOT, "<text x='%d' y='26' class='title'>%s</text>%n", LEFT, esc(title)));
        return svg;
    }

    private static String close(final StringBuilder svg)
    {
        return svg.append("</svg>\n").toString();
    }

    private static void yAxis(
        final StringBuilder svg, final Axis axis, final String label, final boolean micros, final int width)
    {
        for (final double tick : axis.ticks())
        {
            final double y = axis.y(tick);
            svg.append(String.format(Locale.ROOT,
                "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' class='grid'/>%n", LEFT, y, width - RIGHT, y));
            svg.append(String.format(Locale.ROOT, "<text x='%d' y='%.1f' class='yl'>%s</text>%n", LEFT - 8, y + 4,
                esc(shortFormat(tick, micros))));
        }
        svg.append(String.format(Locale.ROOT,
            "<line x1='%d' y1='%d' x2='%d' y2='%d' class='axisline'/>%n", LEFT, TOP, LEFT, HEIGHT - BOTTOM));
        svg.append(String.format(Locale.ROOT,
            "<text transform='translate(18 %d) rotate(-90)' class='axis'>%s</text>%n",
            (TOP + HEIGHT - BOTTOM) / 2, esc(label)));
    }

    private static void legend(
        final StringBuilder svg, final List<String> series, final List<String> colors, final int width)
    {
        double x = width - RIGHT;
        for (int s = series.size() - 1; s >= 0; s--)
        {
            final String name = series.get(s);
            x -= 22 + name.length() * 7.2;
            svg.append(String.format(Locale.ROOT,
                "<rect x='%.1f' y='36' width='12' height='12' fill='%s'/><text x='%.1f' y='47' class='leg'>%s</text>%n",
                x, colors.get(s), x + 16, esc(name)));
        }
    }

    private static void xLabel(final StringBuilder svg, final double x, final String label, final int maxChars)
    {
        final String[] words = label.split(" ");
        int line = 0;
        StringBuilder current = new StringBuilder();
        final List<String> lines = new ArrayList<>();
        for (final String word : words)
        {
            if (current.length() > 0 && current.length() + 1 + word.length() > maxChars)
            {
                lines.add(current.toString());
                current = new StringBuilder();
            }
            current.append(current.length() > 0 ? " " : "").append(word);
        }
        lines.add(current.toString());
        for (final String text : lines)
        {
            svg.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' class='xl'>%s</text>%n", x,
                HEIGHT - BOTTOM + 18 + line++ * 14, esc(text)));
        }
    }

    static String format(final double v, final boolean micros)
    {
        return micros ? Units.micros(v) + " us" : Units.si(v).trim();
    }

    static String shortFormat(final double v, final boolean micros)
    {
        if (micros)
        {
            if (v >= 1e6)
            {
                return Units.micros(v / 1e6).replaceAll("\\.0+$", "") + " s";
            }
            if (v >= 1000)
            {
                return Units.micros(v / 1000).replaceAll("\\.0+$", "") + " ms";
            }
            return Units.micros(v);
        }
        return Units.si(v).replace(" ", "");
    }

    static String esc(final String s)
    {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;")
            .replace("\"", "&quot;");
    }

    /** A vertical axis: linear from 0, or log10 across the data's decades. */
    private static final class Axis
    {
        final double min;
        final double max;
        final boolean log;

        private Axis(final double min, final double max, final boolean log)
        {
            this.min = min;
            this.max = max;
            this.log = log;
        }

        static Axis linear(final double dataMax)
        {
            return new Axis(0, niceCeiling(dataMax <= 0 ? 1 : dataMax * 1.12), false);
        }

        static Axis log(final double dataMin, final double dataMax)
        {
            final double lo = Math.pow(10, Math.floor(Math.log10(dataMin)));
            double hi = Math.pow(10, Math.ceil(Math.log10(dataMax * 1.5)));
            if (hi <= lo)
            {
                hi = lo * 10;
            }
            return new Axis(lo, hi, true);
        }

        double y(final double v)
        {
            final double plot = HEIGHT - TOP - BOTTOM;
            final double t;
            if (log)
            {
                t = (Math.log10(Math.max(v, min)) - Math.log10(min)) / (Math.log10(max) - Math.log10(min));
            }
            else
            {
                t = (v - min) / (max - min);
            }
            return HEIGHT - BOTTOM - t * plot;
        }

        List<Double> ticks()
        {
            final List<Double> ticks = new ArrayList<>();
            if (log)
            {
                for (double v = min; v <= max * 1.0001; v *= 10)
                {
                    ticks.add(v);
                }
                return ticks;
            }
            final double step = niceStep(max / 5);
            for (double v = 0; v <= max * 1.0001; v += step)
            {
                ticks.add(v);
            }
            return ticks;
        }

        static double niceStep(final double raw)
        {
            final double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
            final double f = raw / magnitude;
            final double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
            return nice * magnitude;
        }

        static double niceCeiling(final double v)
        {
            final double step = niceStep(v / 5);
            return Math.ceil(v / step) * step;
        }
    }
}
