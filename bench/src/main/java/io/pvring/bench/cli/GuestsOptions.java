package io.pvring.bench.cli;

import io.pvring.bench.guests.GuestsConfig;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The many-guests options of {@code bench blk} and {@code bench net} (picocli mixin): how many guest domains, the
 * host's runner pool for the backends, and the threads that drive the guests' frontends. Without {@code --guests}
 * the commands run their classic single-guest benchmark.
 */
final class GuestsOptions
{
    @Option(names = "--guests", paramLabel = "N",
        description = "N guest domains in one host, each with its own device and frontend; the backends share the "
            + "host's runners (--runners), the frontends share --front-threads threads; reports aggregate and "
            + "per-guest rates (lowest, highest, lowest/mean), p50/p99 over all guests and backend CPU")
    Integer guests;

    @Option(names = "--runners", paramLabel = "N",
        description = "with --guests: runner threads of the host's shared pool (default: the number of cores)")
    Integer runners;

    @Option(names = "--front-threads", paramLabel = "N",
        description = "with --guests: threads driving all guests' frontends, each owning a share of the guests "
            + "(default: the number of cores)")
    Integer frontThreads;

    boolean enabled()
    {
        return guests != null;
    }

    /** The host of a many-guests run, or a usage error naming the option. */
    GuestsConfig config(final CommandSpec spec)
    {
        final int cores = Runtime.getRuntime().availableProcessors();
        try
        {
            return new GuestsConfig(guests, runners == null ? cores : runners,
                frontThreads == null ? cores : frontThreads);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), ex.getMessage());
        }
    }

    /** Rejects the many-guests host options without {@code --guests}. */
    void checkUnused(final CommandSpec spec)
    {
        if (!enabled() && (runners != null || frontThreads != null))
        {
            throw new ParameterException(spec.commandLine(), "--runners and --front-threads go with --guests");
        }
    }
}
