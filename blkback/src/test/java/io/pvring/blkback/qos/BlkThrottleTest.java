package io.pvring.blkback.qos;

import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The leaky buckets on logical time: a guest that always has another request ready gets what QEMU's model
 * predicts, counted request by request (bucket size plus the leak over the time elapsed), with no clock involved.
 */
class BlkThrottleTest
{
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000_000_000L;

    private static BlkThrottle throttle(final Map<String, String> options)
    {
        return new BlkThrottle(ThrottleLimits.parse(options::get, ""));
    }

    /** A backlogged guest: at every step from {@code fromNs} to {@code toNs} as many requests as admitted start. */
    private static long offer(
        final BlkThrottle t, final boolean write, final long bytes, final long fromNs, final long toNs)
    {
        long admitted = 0;
        for (long now = fromNs; now <= toNs; now += MS)
        {
            while (t.admit(write, bytes, now) == 0)
            {
                admitted++;
            }
        }
        return admitted;
    }

    private static void assertWithin(final double expected, final double slack, final long actual, final String what)
    {
        assertTrue(Math.abs(actual - expected) <= slack, what + ": expected " + expected + " +- " + slack + ", got " +
            actual);
    }

    @Test
    void withoutABurstTheRateIsTheLimitAfterATenthOfASecondsWorth()
    {
        final BlkThrottle t = throttle(Map.of("iops-total", "100"));
        assertEquals(11, offer(t, false, 4096, 0, 0), "a tenth of a second's worth, and the one that fills it");
        // Ten seconds more: the bucket leaked 1000 operations, each one admitted as soon as it had.
        assertWithin(1000, 1, offer(t, true, 4096, MS, 10 * SECOND), "operations in the next 10 s");
    }

    @Test
    void aBurstRunsAtTheBurstRateForItsLengthThenTheAverageRateHolds()
    {
        final BlkThrottle t = throttle(Map.of("iops-total", "10", "iops-total-max", "100",
            "iops-total-max-length", "3"));
        assertEquals(11, offer(t, false, 4096, 0, 0), "a tenth of a second at the burst rate, at once");
        // Burst: 100 per second while the main bucket (100 x 3 s = 300) fills at 100 - 10 per second.
        final long burst = offer(t, false, 4096, MS, 2 * SECOND);
        assertWithin(200, 2, burst, "operations in the first 2 s of the burst");
        final long toFull = offer(t, false, 4096, 2 * SECOND + MS, 10 * SECOND);
        // 10 s at 10 per second, plus the 300 the bucket holds, minus what the first 2 s took.
        assertWithin(10 * 10 + 300 - 11 - burst, 2, toFull, "operations from 2 s to 10 s");
        assertWithin(100, 1, offer(t, false, 4096, 10 * SECOND + MS, 20 * SECOND),
            "operations from 10 s to 20 s: the average rate");
    }

    @Test
    void aRefusedRequestIsAdmittedExactlyWhenTheWaitSaid()
    {
        final BlkThrottle t = throttle(Map.of("iops-total", "100"));
        offer(t, false, 512, 0, 0);
        final long wait = t.admit(false, 512, 0);
        assertTrue(wait > 0 && wait <= 10 * MS, "one operation over a 100 per second limit waits <= 10 ms: " + wait);
        assertEquals(0, t.admit(false, 512, wait), "admitted when the wait is over");
    }

    @Test
    void directionalLimitsThrottleOnlyTheirDirection()
    {
        final BlkThrottle t = throttle(Map.of("bps-read", Long.toString(1 << 20)));
        assertEquals(0, t.admit(false, 1 << 20, 0), "the first read fits the empty bucket");
        for (int i = 0; i < 1000; i++)
        {
            assertEquals(0, t.admit(true, 1 << 20, 0), "writes are not limited");
        }
        final long wait = t.admit(false, 1 << 20, 0);
        // 1 MiB over the tenth of a second's worth (104857.6 bytes) leaks in 0.9 s.
        assertWithin(900 * MS, MS, wait, "the second read's wait in ns");
    }

    @Test
    void largeRequestsCountAsSeveralOperationsOfIopsSize()
    {
        final BlkThrottle t = throttle(Map.of("iops-total", "100", "iops-size", "4096"));
        assertEquals(0, t.admit(true, 64 * 1024, 0), "16 operations' worth fits the empty bucket");
        assertTrue(t.admit(true, 4096, 0) > 0, "16 > the 10 the bucket holds: the next one waits");
        // 6.000001 operations leak in 60 ms.
        assertEquals(0, t.admit(true, 4096, 61 * MS), "a small request counts one operation");
    }

    @Test
    void newLimitsTakeEffectAtTheNextRequestWithEmptyBuckets()
    {
        final BlkThrottle t = throttle(Map.of("iops-total", "1"));
        assertEquals(0, t.admit(true, 4096, 0));
        assertTrue(t.admit(true, 4096, 0) > 0, "one per second: the second waits");
        t.limits(ThrottleLimits.parse(Map.of("iops-total", "1000")::get, ""));
        assertEquals(0, t.admit(true, 4096, 0), "the raised limit admits at once");
        t.limits(ThrottleLimits.NONE);
        assertFalse(t.limited(), "no limit: rings no longer ask");
    }
}
