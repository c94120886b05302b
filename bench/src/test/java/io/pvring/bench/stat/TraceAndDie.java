package io.pvring.bench.stat;

import java.nio.file.Path;

import io.pvring.stats.DeviceId;
import io.pvring.stats.StatsReader;
import io.pvring.stats.TraceClient;

/** A trace client that dies without stopping its trace: args COUNTERS_FILE DEVICE OUTPUT. */
public final class TraceAndDie
{
    private TraceAndDie()
    {
    }

    public static void main(final String[] args)
    {
        final StatsReader reader = StatsReader.open(Path.of(args[0]));
        TraceClient.start(reader, DeviceId.parse(args[1]), Path.of(args[2]), 30_000);
        System.out.println("tracing");
        System.out.flush();
        Runtime.getRuntime().halt(0); // no shutdown hooks, no stop: as if killed
    }
}
