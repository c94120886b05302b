package io.pvring.netback.test;

import io.pvring.runner.AgentWaker;

/** A waker for agents stepped by hand: counts wake-ups and keeps the earliest timer asked for. */
public final class RecordingWaker implements AgentWaker
{
    public int wakes;
    /** The earliest {@link #wakeWithin} since the last {@link #reset()}, or -1. */
    public long within = -1;

    @Override
    public void wake()
    {
        wakes++;
    }

    @Override
    public void wakeWithin(final long nanos)
    {
        within = within < 0 ? nanos : Math.min(within, nanos);
    }

    public void reset()
    {
        wakes = 0;
        within = -1;
    }
}
