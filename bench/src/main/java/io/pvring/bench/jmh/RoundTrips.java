package io.pvring.bench.jmh;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Successful ring round trips, reported beside the call rate (JMHSample_23): the score to read in the ring
 * benchmarks, whose calls may do no work when the other side is behind.
 */
@AuxCounters(AuxCounters.Type.OPERATIONS)
@State(Scope.Thread)
public class RoundTrips
{
    public long roundTrips;

    @Setup(Level.Iteration)
    public void reset()
    {
        roundTrips = 0;
    }
}
