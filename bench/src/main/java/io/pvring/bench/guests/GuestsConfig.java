package io.pvring.bench.guests;

/**
 * The host side of a many-guests run, checked before anything starts; messages name the option.
 *
 * @param guests       guest domains, each with its own devices and frontend.
 * @param runners      the host's shared runner pool for the backends ({@code --runners}).
 * @param frontThreads threads that drive all guests' frontends (the guests' vCPUs, shared), each owning a set of
 *                     guests.
 */
public record GuestsConfig(int guests, int runners, int frontThreads)
{
    public static final int MAX_GUESTS = 256;

    public GuestsConfig
    {
        if (guests < 1 || guests > MAX_GUESTS)
        {
            throw new IllegalArgumentException("--guests must be 1.." + MAX_GUESTS + ", got " + guests);
        }
        if (runners < 1 || runners > 1024)
        {
            throw new IllegalArgumentException("--runners must be 1..1024, got " + runners);
        }
        if (frontThreads < 1 || frontThreads > 1024)
        {
            throw new IllegalArgumentException("--front-threads must be 1..1024, got " + frontThreads);
        }
    }

    /** The same host with {@code n} guests (the single-guest baseline of a run). */
    public GuestsConfig withGuests(final int n)
    {
        return new GuestsConfig(n, runners, frontThreads);
    }

    /** Frontend threads actually started: never more than there are guests. */
    int frontThreadsFor()
    {
        return Math.min(frontThreads, guests);
    }
}
