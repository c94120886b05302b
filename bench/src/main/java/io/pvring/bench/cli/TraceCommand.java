package io.pvring.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.pvring.bench.stat.CountersLocator;
import io.pvring.bench.stat.TracePrinter;
import io.pvring.stats.DeviceId;
import io.pvring.stats.StatsReader;
import io.pvring.stats.TraceClient;
import io.pvring.stats.TraceFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code pvring trace}: records every request a device of a running serve completes (the serve writes the file:
 * its ring threads append to a buffer, a drainer thread copies it), or prints a trace file.
 */
@Command(
    name = "trace",
    mixinStandardHelpOptions = true,
    description = "Record a device's ring traffic (one record per completed request: time, queue, id, operation, "
        + "sector, segments, status, latency) from a running pvring serve into a compact binary file, or print one "
        + "(--print) as blkparse-like text or JSON. Tracing is off unless a trace runs; it stops when this command "
        + "ends (Ctrl-C, --for), or if it is killed.",
    footer = {
        "",
        "DEVICE is KIND-DOMID-DEVID as in xenstore's backend/KIND/DOMID/DEVID: vbd-1-51712 (xvda of domid 1), vif-1-0.",
        "",
        "Examples:",
        "  pvring trace vbd-1-51712 --for 10s -o xvda.trace     the one running serve",
        "  pvring trace /dev/shm/vm1 vif-2-0                    a serve started with --dir /dev/shm/vm1, until Ctrl-C",
        "  pvring trace --print xvda.trace                      blkparse-like text (--json for JSON)"})
public final class TraceCommand implements Callable<Integer>
{
    static final long ANSWER_MS = 10_000;

    @Spec
    private CommandSpec spec;

    @Parameters(arity = "0..2", paramLabel = "[DIR] DEVICE", description = "the serve's --dir (default: the one "
        + "running serve) and the device")
    private List<String> args = new ArrayList<>();

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "trace file (default: DEVICE.trace)")
    private Path output;

    @Option(names = "--for", paramLabel = "D", converter = DurationConverter.class,
        description = "trace for this long (default: until interrupted)")
    private Duration duration;

    @Option(names = "--print", paramLabel = "FILE", description = "print a trace file instead of recording")
    private Path print;

    @Option(names = "--json", description = "with --print: JSON instead of text")
    private boolean json;

    @Override
    public Integer call() throws InterruptedException
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        if (print != null)
        {
            if (!args.isEmpty())
            {
                throw new ParameterException(spec.commandLine(), "--print takes no DIR or DEVICE");
            }
            try
            {
                final TraceFile file = TraceFile.open(print);
                if (json)
                {
                    TracePrinter.json(file, out);
                }
                else
                {
                    TracePrinter.text(file, out);
                }
                return Main.EXIT_OK;
            }
            catch (final RuntimeException ex)
            {
                err.println("pvring trace: " + ex.getMessage());
                err.flush();
                return Main.EXIT_FAILURE;
            }
        }
        if (args.isEmpty())
        {
            throw new ParameterException(spec.commandLine(), "give the DEVICE to trace (e.g. vbd-1-51712), or " +
                "--print FILE");
        }
        final DeviceId device;
        try
        {
            device = DeviceId.parse(args.get(args.size() - 1));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), ex.getMessage());
        }
        final Path file = (output == null ? Path.of(device + ".trace") : output).toAbsolutePath();
        final CountDownLatch stop = new CountDownLatch(1);
        final CountDownLatch stopped = new CountDownLatch(1);
        final Thread hook = new Thread(() ->
        {
            stop.countDown();
            try
            {
                stopped.await(ANSWER_MS, TimeUnit.MILLISECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }, "pvring-trace-stop");
        try (StatsReader reader = StatsReader.open(CountersLocator.locate(
            args.size() == 2 ? Path.of(args.get(0)) : null)))
        {
            final TraceClient client = TraceClient.start(reader, device, file, ANSWER_MS);
            Runtime.getRuntime().addShutdownHook(hook);
            try
            {
                err.println("pvring trace: tracing " + device + " into " + file +
                    (duration == null ? " until interrupted (Ctrl-C)" : " for " + duration.toMillis() + " ms"));
                err.flush();
                final long deadline = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
                while (client.running() && System.nanoTime() - deadline < 0 &&
                    !stop.await(Math.min(100_000_000L, deadline - System.nanoTime()), TimeUnit.NANOSECONDS))
                {
                    // waiting: the serve traces; it ends the trace itself if the device goes away
                }
                final boolean running = client.running();
                final boolean confirmed = client.stop(ANSWER_MS);
                out.println(device + ": " + client.records() + " records, " + client.dropped() + " dropped, in " +
                    file + (running ? "" : " (the device went away)") +
                    (confirmed ? "" : " (the serve did not confirm the end: the file may be incomplete)"));
                out.flush();
                return confirmed ? Main.EXIT_OK : Main.EXIT_FAILURE;
            }
            finally
            {
                stopped.countDown();
                try
                {
                    Runtime.getRuntime().removeShutdownHook(hook);
                }
                catch (final IllegalStateException ex)
                {
                    // already shutting down: the hook runs and has been released
                }
            }
        }
        catch (final IllegalStateException ex)
        {
            err.println("pvring trace: " + ex.getMessage());
            err.flush();
            return Main.EXIT_FAILURE;
        }
    }
}
