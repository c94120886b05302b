package io.pvring.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

import io.pvring.bench.guests.GuestsConfig;
import io.pvring.bench.guests.IdleGuests;
import io.pvring.bench.run.Progress;
import io.pvring.event.WaitMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code pvring bench idle}: what a host full of connected, idle devices costs. */
@Command(
    name = "idle",
    mixinStandardHelpOptions = true,
    description = "N guest domains in one host, each with a connected vbd and vif and no traffic: the process's CPU "
        + "time over a window after connect, in percent of one core (issue 11's target: under 2% for 64 guests).",
    footer = {
        "",
        "Examples:",
        "  pvring bench idle                              64 guests, adaptive, a 10 s window",
        "  pvring bench idle --guests 16 --wait poll      what polling costs with nothing to do"})
public final class IdleCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    @Option(names = "--guests", paramLabel = "N", defaultValue = "64",
        description = "guest domains, each with a vbd and a vif (default ${DEFAULT-VALUE})")
    private int guests;

    @Option(names = "--wait", paramLabel = "poll|notify|adaptive", defaultValue = "adaptive",
        converter = RingWaitConverter.class,
        description = "how every backend ring waits (default ${DEFAULT-VALUE}, serve's default)")
    private WaitMode wait;

    @Option(names = "--runners", paramLabel = "N",
        description = "runner threads of the host's shared pool (default: the number of cores)")
    private Integer runners;

    @Option(names = "--duration", paramLabel = "D", defaultValue = "10s", converter = DurationConverter.class,
        description = "the measured window, after a settling warm-up of a fifth of it (default ${DEFAULT-VALUE})")
    private Duration duration;

    @Option(names = "--json", paramLabel = "FILE", description = "write the results as JSON")
    private Path json;

    @Override
    public Integer call() throws Exception
    {
        final GuestsConfig host;
        try
        {
            host = new GuestsConfig(guests, runners == null ? Runtime.getRuntime().availableProcessors() : runners,
                1);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), ex.getMessage());
        }
        final PrintWriter out = spec.commandLine().getOut();
        out.println("idle: " + guests + " guests, a vbd and a vif each, no traffic, " + wait.configName() + ", "
            + host.runners() + " runner(s), " + duration.toMillis() + " ms window");
        Outputs.measureAndReport(out, json, records ->
        {
            records.add(IdleGuests.run(host, wait, duration.toNanos(), Progress.stderr()));
            return !records.get(0).partial();
        });
        return Main.EXIT_OK;
    }
}
