package io.pvring.bench.cli;

import io.pvring.event.WaitMode;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --wait poll|notify|adaptive} for the commands whose rings run on the shared runners (blk, serve): the
 * ring-level {@link WaitMode}. {@code backoff} is left out: {@code adaptive} supersedes it.
 */
final class RingWaitConverter implements ITypeConverter<WaitMode>
{
    @Override
    public WaitMode convert(final String value)
    {
        final WaitMode mode;
        try
        {
            mode = WaitMode.parse(value);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new TypeConversionException("'" + value + "' is not poll, notify or adaptive");
        }
        if (mode == WaitMode.BACKOFF)
        {
            throw new TypeConversionException("'" + value + "' is not poll, notify or adaptive");
        }
        return mode;
    }
}
