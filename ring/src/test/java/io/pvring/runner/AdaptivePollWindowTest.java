package io.pvring.runner;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** QEMU's {@code adjust_polling_time}, stepped with block times chosen by the test. */
class AdaptivePollWindowTest
{
    private static final long START = 4_000;
    private static final long MAX = 32_768;

    @Test
    void growsFromTheStartValueByTheGrowFactorUpToTheMaximum()
    {
        final AdaptivePollWindow window = new AdaptivePollWindow(START, MAX, 2, 0);
        assertEquals(0, window.windowNanos(), "a new agent does not poll");
        // Arrivals 20 us apart: each sleep was short enough that a longer poll would have caught the work.
        assertEquals(4_000, window.onBlocked(20_000));
        assertEquals(8_000, window.onBlocked(20_000));
        assertEquals(16_000, window.onBlocked(20_000));
        assertEquals(32_000, window.onBlocked(20_000));
        assertEquals(32_000, window.onBlocked(20_000), "20 us is inside the window now: the sweet spot");
        assertEquals(MAX, window.onBlocked(32_500), "capped at the maximum");
        assertEquals(MAX, window.onBlocked(32_700));
    }

    @Test
    void theDefaultMaximumOutlastsAWakeUpOntoAnotherVcpu()
    {
        // The blk bench at QD1 on 2 shared vCPUs: while the peer slept, a block time was its wake-up, 36-69 us.
        // With QEMU's 32768 ns every such spell reset the window, so neither end ever polled long enough to stop
        // sleeping. The default window must grow past these spells and then hold them as its sweet spot.
        final AdaptivePollWindow window = new AdaptivePollWindow(RunnerPoolConfig.DEFAULT_POLL_START_NANOS,
            RunnerPoolConfig.DEFAULT_POLL_MAX_NANOS, RunnerPoolConfig.DEFAULT_POLL_GROW,
            RunnerPoolConfig.DEFAULT_POLL_SHRINK);
        final long[] wakeUps = {36_000, 69_000, 52_000, 41_000, 66_000, 38_000, 69_000};
        for (final long block : wakeUps)
        {
            window.onBlocked(block);
        }
        assertTrue(window.windowNanos() >= 69_000,
            "after " + wakeUps.length + " spells of a peer's wake-up the window covers it: " + window);
        for (final long block : wakeUps)
        {
            assertEquals(window.windowNanos(), window.onBlocked(block), "polling catches a " + block + " ns wait");
        }
        assertEquals(0, window.onBlocked(RunnerPoolConfig.DEFAULT_POLL_MAX_NANOS + 1),
            "a quiet spell still stops the polling");
    }

    @Test
    void theSweetSpotLeavesTheWindowAlone()
    {
        final AdaptivePollWindow window = new AdaptivePollWindow(START, MAX, 2, 0);
        window.onBlocked(10_000);
        window.onBlocked(10_000);
        assertEquals(8_000, window.windowNanos());
        for (final long block : new long[] {0, 1, 7_999, 8_000})
        {
            assertEquals(8_000, window.onBlocked(block), "polling found the work after " + block + " ns");
        }
    }

    @Test
    void aBlockBeyondTheMaximumResetsTheWindowWithShrinkZero()
    {
        final AdaptivePollWindow window = new AdaptivePollWindow(START, MAX, 2, 0);
        window.onBlocked(10_000);
        window.onBlocked(10_000);
        window.onBlocked(10_000);
        assertEquals(16_000, window.windowNanos());
        assertEquals(0, window.onBlocked(MAX + 1), "polling could not have paid: stop polling");
        assertEquals(0, window.onBlocked(5_000_000), "stays at 0 while the guest is quiet");
        assertEquals(START, window.onBlocked(10_000), "and starts again when arrivals are close");
    }

    @Test
    void aShrinkFactorDividesInstead()
    {
        final AdaptivePollWindow window = new AdaptivePollWindow(START, MAX, 4, 2);
        assertEquals(4_000, window.onBlocked(30_000));
        assertEquals(16_000, window.onBlocked(30_000));
        assertEquals(MAX, window.onBlocked(30_000), "16000 * 4 is capped");
        assertEquals(MAX / 2, window.onBlocked(1_000_000));
        assertEquals(MAX / 4, window.onBlocked(1_000_000));
    }

    @Test
    void aBlockOfExactlyTheMaximumNeitherGrowsNorShrinks()
    {
        final AdaptivePollWindow window = new AdaptivePollWindow(START, MAX, 2, 0);
        window.onBlocked(10_000);
        assertEquals(4_000, window.onBlocked(MAX), "QEMU grows only for block_ns < poll_max_ns");
    }

    @Test
    void aZeroMaximumNeverPolls()
    {
        final AdaptivePollWindow window = new AdaptivePollWindow(START, 0, 2, 0);
        for (final long block : new long[] {0, 1, 1_000, 100_000})
        {
            assertEquals(0, window.onBlocked(block));
        }
    }

    @Test
    void staysWithinZeroAndTheMaximumForAnyBlockTimes()
    {
        final SplittableRandom random = new SplittableRandom(42);
        for (final long[] params : new long[][] {{2, 0}, {2, 2}, {3, 5}, {1_000_000, 0}, {Long.MAX_VALUE, 2}})
        {
            final AdaptivePollWindow window = new AdaptivePollWindow(START, MAX, params[0], params[1]);
            for (int i = 0; i < 100_000; i++)
            {
                final long block = random.nextBoolean() ? random.nextLong(0, 2 * MAX) : random.nextLong(0, MAX);
                final long w = window.onBlocked(block);
                assertTrue(w >= 0 && w <= MAX, "window=" + w + " after block=" + block + " " + window);
            }
        }
    }

    @Test
    void badParametersAreRefusedByName()
    {
        assertThrows(IllegalArgumentException.class, () -> new AdaptivePollWindow(0, MAX, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> new AdaptivePollWindow(START, -1, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> new AdaptivePollWindow(MAX + 1, MAX, 2, 0));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new AdaptivePollWindow(START, MAX, 1, 0))
            .getMessage().contains("pollGrow=1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new AdaptivePollWindow(START, MAX, 2, 1))
            .getMessage().contains("pollShrink=1"));
        assertThrows(IllegalArgumentException.class, () -> new RunnerPoolConfig().runners(0).validate());
    }
}
