package io.pvring.bench.run;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class PacerTest
{
    @Test
    void requestsAreDueOnScheduleAndStampedWithTheirIntendedTime()
    {
        final Pacer pacer = new Pacer(1_000_000); // one per microsecond
        pacer.start(10_000);

        assertEquals(1, pacer.due(10_000), "the first request is due at the start");
        assertEquals(10_000, pacer.nextIntended());
        assertEquals(0, pacer.due(10_500));
        assertEquals(10, pacer.due(20_000), "a stall of 10 us makes 10 requests due at once");
        assertEquals(11_000, pacer.nextIntended(), "stamped with when it should have left, not now");
        assertEquals(12_000, pacer.nextIntended());
        assertEquals(8, pacer.due(20_000));
    }

    @Test
    void saysHowLongUntilTheNextRequestFallsDue()
    {
        final Pacer pacer = new Pacer(1_000_000);
        pacer.start(10_000);

        assertEquals(0, pacer.nanosUntilNext(10_000), "the first is due at once");
        pacer.nextIntended();
        assertEquals(600, pacer.nanosUntilNext(10_400));
        assertEquals(-500, pacer.nanosUntilNext(11_500), "overdue: negative");
    }

    @Test
    void zeroRateMeansClosedLoop()
    {
        assertFalse(new Pacer(0).paced());
    }
}
