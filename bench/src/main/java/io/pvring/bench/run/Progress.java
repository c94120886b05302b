package io.pvring.bench.run;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The live progress line of a long run: once a second on stderr, rewritten in place with {@code \r} on a
 * terminal, one line per second otherwise (logs stay readable).
 */
public final class Progress
{
    /** Runs shorter than this print no progress. */
    public static final long MIN_RUN_NANOS = 1_000_000_000L;

    private final PrintStream out;
    private final boolean tty;
    private int lastLength;
    private int runs;
    private int runsStarted;

    public Progress(final PrintStream out, final boolean tty)
    {
        this.out = out;
        this.tty = tty;
    }

    /** Progress on stderr, in place when the JVM has a console. */
    public static Progress stderr()
    {
        return new Progress(System.err, System.console() != null);
    }

    /** A progress sink that prints nothing (tests, quiet runs). */
    public static Progress silent()
    {
        return new Progress(null, false);
    }

    /** A sequence of {@code runs} measurements follows (the suite): lines get a [n/runs] prefix. */
    public void expectRuns(final int runs)
    {
        this.runs = runs;
        this.runsStarted = 0;
    }

    /** One measurement of the sequence starts. */
    public void runStarted()
    {
        runsStarted++;
    }

    public void update(final String label, final double elapsedSec, final double totalSec, final double opsPerSec)
    {
        if (out == null)
        {
            return;
        }
        final String prefix = runs > 0 ? String.format(Locale.ROOT, "[%d/%d] ", runsStarted, runs) : "";
        final String line = String.format(Locale.ROOT, "  %s%-40s %5.1f/%.1f s  %s ops/s",
            prefix, label, elapsedSec, totalSec, Units.si(opsPerSec));
        if (tty)
        {
            out.print('\r' + line + " ".repeat(Math.max(0, lastLength - line.length())));
            lastLength = line.length();
        }
        else
        {
            out.println(line);
        }
        out.flush();
    }

    /** Clears the in-place line before the result is printed. */
    public void done()
    {
        if (out != null && tty && lastLength > 0)
        {
            out.print('\r' + " ".repeat(lastLength) + '\r');
            out.flush();
            lastLength = 0;
        }
    }
}
