package io.pvring.bench.cli;

import java.util.LinkedHashSet;
import java.util.List;

import io.pvring.bench.oop.Doorbell;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code --doorbell} of {@code bench blk} and {@code bench net} (picocli mixin): how the C frontend of {@code
 * --frontend process} notifies and waits, one run per value given.
 */
final class DoorbellOptions
{
    @Option(names = "--doorbell", paramLabel = "eventfd|socket", split = ",",
        description = "with --frontend process: how the C frontend notifies and waits, through eventfd kick and"
            + " call doorbells (the client's default) or messages on the event socket; a list (eventfd,socket)"
            + " measures each in the same run (default eventfd)")
    List<Doorbell> doorbells;

    /** The doorbells to measure, each once, in the order given; a usage error without {@code --frontend process}. */
    List<Doorbell> doorbells(final CommandSpec spec, final FrontendKind frontend)
    {
        if (doorbells != null && frontend != FrontendKind.PROCESS)
        {
            throw new ParameterException(spec.commandLine(), "--doorbell goes with --frontend process");
        }
        return doorbells == null ? List.of(Doorbell.EVENTFD) : List.copyOf(new LinkedHashSet<>(doorbells));
    }
}
