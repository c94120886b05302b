package io.pvring.bench.run;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MeasurementTest
{
    @Test
    void aCountThatRestartsGivesTheWorkSinceTheRestartNotANegativeRate()
    {
        assertEquals(500.0, Measurement.rate(1_000_000, 500, 1_000_000_000L));
        assertEquals(2000.0, Measurement.rate(1000, 3000, 1_000_000_000L));
        assertEquals(0.0, Measurement.rate(1000, 1000, 1_000_000_000L));
        assertEquals(0.0, Measurement.rate(0, 10, 0));
    }

    @Test
    void progressLinesNeverShowANegativeRateWhenTheWorkerRestartsItsCountLate()
    {
        // The coordinator samples the worker's count once as the measured phase starts, while it still holds the
        // warm-up total; the worker then restarts it from zero, so the first progress interval sees it go down.
        final AtomicLong samples = new AtomicLong();
        final RunControl control = new RunControl();
        final ByteArrayOutputStream lines = new ByteArrayOutputStream();
        final Progress progress = new Progress(new PrintStream(lines, true, StandardCharsets.UTF_8), false);
        final Measurement measurement = new Measurement("restarting", 1_000_000L, 1_200_000_000L, progress);
        measurement.run(control, () -> samples.getAndIncrement() == 0 ? 50_000_000L : 1000L * samples.get());

        final String printed = lines.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("restarting"), "no progress line printed: " + printed);
        assertFalse(printed.contains("-"), "a negative rate was printed: " + printed);
    }
}
