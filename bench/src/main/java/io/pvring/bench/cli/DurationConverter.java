package io.pvring.bench.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Durations as people type them: {@code 500ms}, {@code 10s}, {@code 1.5s}, {@code 2m}, {@code 1h}. */
public final class DurationConverter implements ITypeConverter<Duration>
{
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

    @Override
    public Duration convert(final String value)
    {
        return parse(value);
    }

    public static Duration parse(final String value)
    {
        final Matcher m = DURATION.matcher(value.trim().toLowerCase(Locale.ROOT));
        if (!m.matches())
        {
            throw new TypeConversionException("expected a duration like 500ms, 10s or 2m, got '" + value + "'");
        }
        final double amount = Double.parseDouble(m.group(1));
        final double millis;
        switch (m.group(2))
        {
            case "ms":
                millis = amount;
                break;
            case "s":
                millis = amount * 1000;
                break;
            case "m":
                millis = amount * 60_000;
                break;
            default:
                millis = amount * 3_600_000;
                break;
        }
        if (millis < 1)
        {
            throw new TypeConversionException("expected a duration of at least 1ms, got '" + value + "'");
        }
        return Duration.ofNanos((long)(millis * 1_000_000));
    }
}
