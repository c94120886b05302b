package io.pvring.aio;

import io.pvring.uring.IoUringSupport;

/**
 * Chooses an engine by its {@code aio=} name: {@code io_uring} where the kernel allows it, else {@code threads}
 * ({@code auto}, the default); a named engine is forced, and forcing one that is unavailable fails with the reason.
 */
public final class AioEngines
{
    public static final String AUTO = "auto";

    private AioEngines()
    {
    }

    /**
     * Creates an engine.
     *
     * @param aio              {@code auto}, {@code threads} or {@code io_uring}.
     * @param completionSignal run after completions are published, on an engine thread or the submitting one (must
     *                         not block; may be null).
     * @throws IllegalArgumentException for an unknown name.
     * @throws IllegalStateException    when {@code io_uring} is forced and unavailable, naming why.
     */
    public static AioEngine create(final String aio, final AioConfig config, final Runnable completionSignal)
    {
        switch (aio)
        {
            case ThreadPoolEngine.NAME:
                return new ThreadPoolEngine(config, completionSignal);
            case IoUringEngine.NAME:
            {
                final String reason = IoUringSupport.unavailableReason();
                if (reason != null)
                {
                    throw new IllegalStateException("aio=io_uring is not available: " + reason);
                }
                return new IoUringEngine(config, completionSignal);
            }
            case AUTO:
                return IoUringSupport.unavailableReason() == null ?
                    new IoUringEngine(config, completionSignal) : new ThreadPoolEngine(config, completionSignal);
            default:
                throw new IllegalArgumentException("aio=" + aio + " (expected auto, threads or io_uring)");
        }
    }
}
