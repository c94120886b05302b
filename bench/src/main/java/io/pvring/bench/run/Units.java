package io.pvring.bench.run;

import java.util.Locale;

/** Human-readable numbers for tables and charts. */
public final class Units
{
    private Units()
    {
    }

    /** 1234567 -> "1.23 M". */
    public static String si(final double value)
    {
        final double abs = Math.abs(value);
        if (abs >= 1e9)
        {
            return String.format(Locale.ROOT, "%.2f G", value / 1e9);
        }
        if (abs >= 1e6)
        {
            return String.format(Locale.ROOT, "%.2f M", value / 1e6);
        }
        if (abs >= 1e3)
        {
            return String.format(Locale.ROOT, "%.1f k", value / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", value);
    }

    /** Bytes per second as MB/s (10^6). */
    public static String mbPerSec(final double bytesPerSec)
    {
        return String.format(Locale.ROOT, "%.0f", bytesPerSec / 1e6);
    }

    /** Microseconds with enough digits to tell 0.1 from 0.12. */
    public static String micros(final double us)
    {
        if (us >= 1000)
        {
            return String.format(Locale.ROOT, "%.0f", us);
        }
        if (us >= 10)
        {
            return String.format(Locale.ROOT, "%.1f", us);
        }
        return String.format(Locale.ROOT, "%.2f", us);
    }
}
