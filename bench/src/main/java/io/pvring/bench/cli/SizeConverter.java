package io.pvring.bench.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Byte sizes as fio writes them: {@code 512}, {@code 4k}, {@code 64K}, {@code 1m}, {@code 2g} (powers of 1024). */
public final class SizeConverter implements ITypeConverter<Long>
{
    private static final Pattern SIZE = Pattern.compile("(\\d+)([kmgt]?)(i?b)?");

    @Override
    public Long convert(final String value)
    {
        return parse(value);
    }

    public static long parse(final String value)
    {
        final Matcher m = SIZE.matcher(value.trim().toLowerCase(Locale.ROOT));
        if (!m.matches())
        {
            throw new TypeConversionException("expected a size like 512, 4k, 64k, 1m or 2g, got '" + value + "'");
        }
        final int shift = "kmgt".indexOf(m.group(2).isEmpty() ? ' ' : m.group(2).charAt(0)) * 10 + 10;
        final long amount = Long.parseLong(m.group(1));
        final long bytes = m.group(2).isEmpty() ? amount : amount << shift;
        if (bytes <= 0 || (!m.group(2).isEmpty() && amount > (Long.MAX_VALUE >> shift)))
        {
            throw new TypeConversionException("expected a positive size, got '" + value + "'");
        }
        return bytes;
    }
}
