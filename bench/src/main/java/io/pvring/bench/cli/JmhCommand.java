package io.pvring.bench.cli;

import java.io.PrintWriter;
import java.util.List;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code pvring jmh [JMH options]}: the JMH benchmarks in this jar, through JMH's own command line. Forks reuse
 * this jar and get Agrona's --add-opens flags from the benchmarks' {@code @Fork} annotations.
 */
@Command(
    name = "jmh",
    description = "Run the JMH benchmarks in this jar: RingHandoffBenchmark (pvring ring vs Agrona "
        + "OneToOneRingBuffer vs ArrayBlockingQueue), BlkHotPathBenchmark, NetHotPathBenchmark; every argument goes "
        + "to JMH. Try: pvring jmh -l, pvring jmh -h, pvring jmh -prof gc BlkHotPath")
public final class JmhCommand implements Runnable
{
    @Parameters(paramLabel = "JMH_ARGS", description = "arguments for org.openjdk.jmh.Main")
    private List<String> args;

    @Override
    public void run()
    {
        // Main.execute hands "jmh ..." to delegate() before picocli parses it: JMH owns its options.
        throw new IllegalStateException("pvring jmh is dispatched by Main.execute");
    }

    static int delegate(final String[] args, final PrintWriter out, final PrintWriter err)
    {
        out.flush();
        err.flush();
        try
        {
            org.openjdk.jmh.Main.main(args);
            return Main.EXIT_OK;
        }
        catch (final Exception ex)
        {
            err.println("pvring jmh: error: " + ex.getMessage());
            err.flush();
            return Main.EXIT_FAILURE;
        }
    }
}
