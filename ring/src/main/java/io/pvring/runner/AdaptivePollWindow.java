package io.pvring.runner;

/**
 * The polling window of one {@link io.pvring.event.WaitMode#ADAPTIVE} agent, adapted as QEMU adapts an IOThread's
 * {@code poll-ns} ({@code util/aio-posix.c}, {@code adjust_polling_time}): after each idle spell the runner reports
 * the <em>block time</em>, from the moment the agent ran dry until work reached it again (found while polling, or
 * after it slept and was woken), and the window changes as follows:
 * <ul>
 *     <li>block time within the window: the sweet spot, polling found the work; no change;</li>
 *     <li>block time beyond the maximum: polling could not have paid, so the window shrinks (divided by the shrink
 *     factor, or reset to 0 when the factor is 0, QEMU's default);</li>
 *     <li>block time beyond the window but below the maximum: a longer poll would have caught the work without a
 *     sleep and a wake-up, so the window grows (times the grow factor, from the start value when it was 0), capped
 *     at the maximum.</li>
 * </ul>
 * Plain arithmetic on the runner thread; the window is published through the agent's counters.
 */
public final class AdaptivePollWindow
{
    private final long startNanos;
    private final long maxNanos;
    private final long grow;
    private final long shrink;
    private long windowNanos;

    /**
     * @param startNanos the first window after 0 (QEMU: 4 us).
     * @param maxNanos the largest window, {@code poll-max-ns} (QEMU's IOThread default: 32768 ns; ours, and why it
     *     is larger, in {@link RunnerPoolConfig}); 0 never polls.
     * @param grow {@code poll-grow}, at least 2.
     * @param shrink {@code poll-shrink}: 0 resets the window to 0 when polling did not pay, else at least 2.
     */
    public AdaptivePollWindow(final long startNanos, final long maxNanos, final long grow, final long shrink)
    {
        validate(startNanos, maxNanos, grow, shrink);
        this.startNanos = startNanos;
        this.maxNanos = maxNanos;
        this.grow = grow;
        this.shrink = shrink;
    }

    static void validate(final long startNanos, final long maxNanos, final long grow, final long shrink)
    {
        if (maxNanos < 0 || startNanos <= 0 || (maxNanos > 0 && startNanos > maxNanos))
        {
            throw new IllegalArgumentException(
                "pollStartNanos=" + startNanos + " must be in 1..pollMaxNanos=" + maxNanos + " (pollMaxNanos >= 0)");
        }
        if (grow < 2)
        {
            throw new IllegalArgumentException("pollGrow=" + grow + " must be at least 2");
        }
        if (shrink != 0 && shrink < 2)
        {
            throw new IllegalArgumentException("pollShrink=" + shrink + " must be 0 (reset) or at least 2");
        }
    }

    /** The current window: how long the agent polls after running dry before it arms and sleeps. */
    public long windowNanos()
    {
        return windowNanos;
    }

    public long maxNanos()
    {
        return maxNanos;
    }

    /**
     * Adapts the window to one idle spell.
     *
     * @param blockNanos from running dry until work reached the agent again.
     * @return the new window.
     */
    public long onBlocked(final long blockNanos)
    {
        if (blockNanos <= windowNanos)
        {
            return windowNanos;
        }
        if (blockNanos > maxNanos)
        {
            windowNanos = shrink == 0 ? 0 : windowNanos / shrink;
        }
        else if (windowNanos < maxNanos && blockNanos < maxNanos)
        {
            // Overflow-safe: windowNanos < maxNanos, and the cap applies before the product could matter.
            windowNanos = windowNanos == 0 ? startNanos :
                (windowNanos > maxNanos / grow ? maxNanos : windowNanos * grow);
            windowNanos = Math.min(windowNanos, maxNanos);
        }
        return windowNanos;
    }

    @Override
    public String toString()
    {
        return "AdaptivePollWindow{window=" + windowNanos + "ns, max=" + maxNanos + "ns, grow=" + grow +
            ", shrink=" + shrink + '}';
    }
}
