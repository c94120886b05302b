package io.pvring.bench.cli;

import java.io.PrintWriter;
import java.util.Arrays;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code pvring}: the command line behind {@code ./pvring}. Without arguments it prints what it can do.
 */
@Command(
    name = "pvring",
    mixinStandardHelpOptions = true,
    version = "pvring 0.1.0",
    description = "Xen paravirtualized I/O (shared rings, blkif, netif) emulated in Java, with benchmarks that set "
        + "every figure beside a baseline measured in the same run.",
    subcommands = {BenchCommand.class, ReportCommand.class, JmhCommand.class, ServeCommand.class, StatCommand.class,
        TraceCommand.class, CommandLine.HelpCommand.class},
    footer = {
        "",
        "Examples:",
        "  pvring bench                              default suite (~1 min): table + results/<time>/report.html",
        "  pvring bench ring --batch 8 --native      pvring ring vs Agrona, ArrayBlockingQueue and C ring.h",
        "  pvring bench ring --slot-bytes 64 --ring-order 2 --duration 10s --json ring.json",
        "  pvring bench ring --rate 2000000          open loop at 2 M round trips/s (no coordinated omission)",
        "  pvring bench blk --qd 1                   one 4 KiB read at a time through blkfront/blkback",
        "  pvring bench net --frame 1514 --wait notify   frames between two vifs, event channels",
        "  pvring report results/*                   HTML report with charts comparing runs",
        "  pvring stat /dev/shm/vm1                  live I/O figures of a serve's devices (iostat/ifstat-like)",
        "  pvring trace vbd-1-51712 --for 10s        record a device's requests; pvring trace --print FILE",
        "  pvring jmh -prof gc RingHandoff           JMH benchmarks (allocation per operation with -prof gc)",
        "  pvring bench <ring|blk|net> --help        every option of a benchmark"})
public final class Main implements Runnable
{
    static final int EXIT_OK = 0;
    static final int EXIT_FAILURE = 1;
    static final int EXIT_USAGE = 2;
    static final int USAGE_WIDTH = 112;

    @Spec
    private CommandSpec spec;

    @Override
    public void run()
    {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(final String[] args)
    {
        final int code = execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        System.exit(code);
    }

    /** Runs one command line in process (the tests use this): output to {@code out}, errors to {@code err}. */
    public static int execute(final String[] args, final PrintWriter out, final PrintWriter err)
    {
        final CommandLine cli = commandLine(out, err);
        if (args.length > 0 && "jmh".equals(args[0]))
        {
            return JmhCommand.delegate(Arrays.copyOfRange(args, 1, args.length), out, err);
        }
        return cli.execute(args);
    }

    static CommandLine commandLine(final PrintWriter out, final PrintWriter err)
    {
        final CommandLine cli = new CommandLine(new Main());
        cli.setUsageHelpWidth(USAGE_WIDTH);
        cli.setOut(out);
        cli.setErr(err);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler(Main::oneLineError);
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) ->
        {
            if (ex instanceof ParameterException pe)
            {
                return oneLineError(pe, new String[0]);
            }
            commandLine.getErr().println(commandLine.getCommandName() + ": error: " + describe(ex));
            commandLine.getErr().flush();
            return EXIT_FAILURE;
        });
        return cli;
    }

    private static int oneLineError(final ParameterException ex, final String[] args)
    {
        final CommandLine cmd = ex.getCommandLine();
        final String name = cmd.getCommandSpec().qualifiedName();
        cmd.getErr().println(name + ": " + ex.getMessage() + " (see '" + name + " --help')");
        cmd.getErr().flush();
        return EXIT_USAGE;
    }

    private static String describe(final Throwable ex)
    {
        final String message = ex.getMessage();
        return message == null ? ex.getClass().getSimpleName() : message;
    }
}
