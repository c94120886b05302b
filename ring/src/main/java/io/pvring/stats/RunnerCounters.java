package io.pvring.stats;

/**
 * The figures of one runner thread of the host's pool (type ids {@value #TYPE_ID_BASE} + index), keyed
 * {@link DeviceKind#RUNNER} with the runner's index as devid: copied from {@link io.pvring.runner.Runner} by the
 * {@link IoStats} publisher, so {@code pvring stat} can show how the rings share the runners.
 */
public final class RunnerCounters
{
    public static final int TYPE_ID_BASE = 300;

    /** Gauge: ring agents on the runner. */
    public static final int LOAD = 0;
    /** Passes over its agents (constant while it sleeps). */
    public static final int LOOPS = 1;
    /** Times it parked, every agent asleep. */
    public static final int PARKS = 2;
    /** Wake-ups that needed an unpark. */
    public static final int UNPARKS = 3;
    /** Agents it removed because they threw. */
    public static final int ERRORS = 4;

    public static final CounterSet SET = new CounterSet(DeviceKind.RUNNER, TYPE_ID_BASE,
        "load", "loops", "parks", "unparks", "errors");

    static
    {
        if (SET.size() != ERRORS + 1)
        {
            throw new AssertionError("names out of step with indices: " + SET.size());
        }
    }

    private RunnerCounters()
    {
    }
}
