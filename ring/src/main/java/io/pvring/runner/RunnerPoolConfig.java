package io.pvring.runner;

import org.agrona.ErrorHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Settings of a {@link RunnerPool}, validated before any thread starts. The adaptive polling parameters are QEMU's
 * IOThread properties, with QEMU's defaults for {@code poll-grow} 2 and {@code poll-shrink} 0 (reset), windows
 * starting at 4 us, but {@code poll-max-ns} 131072 where QEMU has 32768.
 *
 * <p>Why a larger maximum: polling pays only if the window can outlast the wait it replaces, and when a ring's peer
 * slept that wait includes the peer's wake-up. On the shared-vCPU machines this project runs on, a wake-up onto
 * another vCPU costs 30-70 us (measured by the blk bench at QD1: the frontend's block time had p50 36 us, p90 69 us
 * while the backend slept), beyond 32768 ns. With QEMU's value every such spell resets the window to 0, both ends
 * of a ring settle at 0 and sleep on every request, and the polling they do in between is pure loss: adaptive ran
 * at 19 k ops/s against notify's 50 k. 128 us covers the wake-up, so the window grows until both ends poll (then
 * each arrival is sub-microsecond, the sweet spot) and it still resets on quiet spells (an idle ring polls at most
 * 128 us after its last request).
 */
public final class RunnerPoolConfig
{
    public static final long DEFAULT_POLL_START_NANOS = 4_000;
    public static final long DEFAULT_POLL_MAX_NANOS = 131_072;
    public static final long DEFAULT_POLL_GROW = 2;
    public static final long DEFAULT_POLL_SHRINK = 0;

    private static final System.Logger LOG = System.getLogger(RunnerPool.class.getName());

    private int runners = Runtime.getRuntime().availableProcessors();
    private long pollStartNanos = DEFAULT_POLL_START_NANOS;
    private long pollMaxNanos = DEFAULT_POLL_MAX_NANOS;
    private long pollGrow = DEFAULT_POLL_GROW;
    private long pollShrink = DEFAULT_POLL_SHRINK;
    private NanoClock nanoClock = SystemNanoClock.INSTANCE;
    private String threadNamePrefix = "pvring-runner-";
    private boolean kicksInRing = true;
    private ErrorHandler errorHandler = error -> LOG.log(System.Logger.Level.ERROR, "ring agent failed", error);

    /** Runner threads; default: the number of cores. */
    public RunnerPoolConfig runners(final int runners)
    {
        this.runners = runners;
        return this;
    }

    public int runners()
    {
        return runners;
    }

    /** The first adaptive window after 0 (QEMU starts at 4 us). */
    public RunnerPoolConfig pollStartNanos(final long nanos)
    {
        this.pollStartNanos = nanos;
        return this;
    }

    public long pollStartNanos()
    {
        return pollStartNanos;
    }

    /** {@code poll-max-ns}: the largest adaptive polling window; 0 makes {@code adaptive} behave as notify. */
    public RunnerPoolConfig pollMaxNanos(final long nanos)
    {
        this.pollMaxNanos = nanos;
        return this;
    }

    public long pollMaxNanos()
    {
        return pollMaxNanos;
    }

    /** {@code poll-grow}: the factor a window grows by while polling would have paid (at least 2). */
    public RunnerPoolConfig pollGrow(final long factor)
    {
        this.pollGrow = factor;
        return this;
    }

    public long pollGrow()
    {
        return pollGrow;
    }

    /** {@code poll-shrink}: the divisor when polling did not pay; 0 resets the window to 0. */
    public RunnerPoolConfig pollShrink(final long divisor)
    {
        this.pollShrink = divisor;
        return this;
    }

    public long pollShrink()
    {
        return pollShrink;
    }

    /**
     * Whether runners read the kick eventfds of out-of-process frontends in their own io_uring (default, where
     * io_uring works), or leave them to the socket's event loop, which then wakes the runner (one thread more per
     * kick; the way when io_uring is not available).
     */
    public RunnerPoolConfig kicksInRing(final boolean kicksInRing)
    {
        this.kicksInRing = kicksInRing;
        return this;
    }

    public boolean kicksInRing()
    {
        return kicksInRing;
    }

    /** The clock that times idle spells (a fake one in tests). */
    public RunnerPoolConfig nanoClock(final NanoClock clock)
    {
        this.nanoClock = clock;
        return this;
    }

    public NanoClock nanoClock()
    {
        return nanoClock;
    }

    public RunnerPoolConfig threadNamePrefix(final String prefix)
    {
        this.threadNamePrefix = prefix;
        return this;
    }

    public String threadNamePrefix()
    {
        return threadNamePrefix;
    }

    /**
     * Logs what agents throw (after the runner removed the agent and before its {@link AgentErrorListener} runs);
     * default: the JDK's {@link System.Logger} at ERROR.
     */
    public RunnerPoolConfig errorHandler(final ErrorHandler handler)
    {
        this.errorHandler = handler;
        return this;
    }

    public ErrorHandler errorHandler()
    {
        return errorHandler;
    }

    /** A new window with these parameters. */
    AdaptivePollWindow newWindow()
    {
        return new AdaptivePollWindow(pollStartNanos, pollMaxNanos, pollGrow, pollShrink);
    }

    /** @throws IllegalArgumentException naming the first bad setting. */
    public RunnerPoolConfig validate()
    {
        if (runners < 1 || runners > 1024)
        {
            throw new IllegalArgumentException("runners=" + runners + " must be in 1..1024");
        }
        AdaptivePollWindow.validate(pollStartNanos, pollMaxNanos, pollGrow, pollShrink);
        if (null == nanoClock || null == errorHandler || null == threadNamePrefix)
        {
            throw new IllegalArgumentException("nanoClock=" + nanoClock + " errorHandler=" + errorHandler +
                " threadNamePrefix=" + threadNamePrefix + " must all be set");
        }
        return this;
    }
}
