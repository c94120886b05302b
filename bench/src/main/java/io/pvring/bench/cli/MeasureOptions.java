package io.pvring.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;

import io.pvring.bench.run.BenchRecord;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The options of a command that measures one configuration (picocli mixin of {@code blk} and {@code net}): how
 * long, how many rounds with the best kept, and where the JSON goes; and the run that uses them.
 */
final class MeasureOptions
{
    @Option(names = "--duration", paramLabel = "D", defaultValue = "5s", converter = DurationConverter.class,
        description = "measured time, e.g. 500ms, 10s, 2m (default ${DEFAULT-VALUE})")
    Duration duration;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "1",
        description = "run N times and keep the best (a shared machine's bursts then cost less) "
            + "(default ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--json", paramLabel = "FILE", description = "write the results as JSON")
    Path json;

    /** Rejects what the option types let through, before anything starts. */
    void validate(final CommandSpec spec)
    {
        Outputs.checkRounds(spec, rounds);
    }

    /** Runs {@code run} {@code --rounds} times, keeps the best, prints it and writes the JSON if asked. */
    void measureBest(final PrintWriter out, final Outputs.Run run) throws Exception
    {
        Outputs.measureAndReport(out, json, records ->
        {
            final BenchRecord record = Outputs.bestOf(rounds, run);
            records.add(record);
            return !record.partial();
        });
    }
}
