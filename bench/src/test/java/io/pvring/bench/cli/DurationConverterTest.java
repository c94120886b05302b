package io.pvring.bench.cli;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import picocli.CommandLine.TypeConversionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DurationConverterTest
{
    @Test
    void acceptsTheUnitsPeopleType()
    {
        assertEquals(Duration.ofMillis(500), DurationConverter.parse("500ms"));
        assertEquals(Duration.ofSeconds(10), DurationConverter.parse("10s"));
        assertEquals(Duration.ofMillis(1500), DurationConverter.parse("1.5s"));
        assertEquals(Duration.ofMinutes(2), DurationConverter.parse("2m"));
        assertEquals(Duration.ofHours(1), DurationConverter.parse("1H"));
    }

    @Test
    void refusesWhatIsNotADuration()
    {
        assertThrows(TypeConversionException.class, () -> DurationConverter.parse("10"));
        assertThrows(TypeConversionException.class, () -> DurationConverter.parse("s"));
        assertThrows(TypeConversionException.class, () -> DurationConverter.parse("-1s"));
        assertThrows(TypeConversionException.class, () -> DurationConverter.parse("0.1ms"));
    }
}
