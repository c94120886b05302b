package io.pvring.bench.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import io.pvring.bench.net.NetBench;
import io.pvring.bench.net.NetBenchConfig;
import io.pvring.bench.oop.Doorbell;
import io.pvring.bench.oop.ProcessNetBench;
import io.pvring.bench.run.Progress;
import io.pvring.event.WaitMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code pvring bench net}: frames between two vifs on the virtual switch, iperf-like. */
@Command(
    name = "net",
    mixinStandardHelpOptions = true,
    description = "Frames between two guests through pvring's netfront and netback on one virtual switch: "
        + "guest A sends, guest B receives; packets/s at B, one-way latency from a stamp in each frame.",
    footer = {
        "",
        "Examples:",
        "  pvring bench net                                  64-byte UDP frames, polling",
        "  pvring bench net --frame 1514 --csum off          the guest computes checksums itself",
        "  pvring bench net --frame 65000 --gso on           TCP super-frames kept whole (GSO)",
        "  pvring bench net --queues 2 --wait notify --rate 500000",
        "Out of process (C netfronts on pvring_client.h against an in-JVM serve host), beside in-process:",
        "  pvring bench net --frontend process --wait poll",
        "Many guests (each sends to the next; aggregate and per-guest packets/s, backend CPU):",
        "  pvring bench net --guests 64 --wait adaptive   also runs --wait poll for the ratios"})
public final class NetCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    @Option(names = "--frame", paramLabel = "BYTES", defaultValue = "64",
        description = "Ethernet frame length, 64..65535 (default ${DEFAULT-VALUE})")
    private int frame;

    @Option(names = "--queues", paramLabel = "N", defaultValue = "1",
        description = "queues per vif (multi-queue), 1..8; each queue has its own backend thread and guest thread, "
            + "and its own flow (default ${DEFAULT-VALUE})")
    private int queues;

    @Option(names = "--sg", paramLabel = "on|off", defaultValue = "on",
        description = "scatter-gather: frames over several slots (default ${DEFAULT-VALUE})")
    private OnOff sg;

    @Option(names = "--gso", paramLabel = "on|off", defaultValue = "off",
        description = "send TCP super-frames with a GSO extra; B takes them whole (default ${DEFAULT-VALUE})")
    private OnOff gso;

    @Option(names = "--csum", paramLabel = "on|off", defaultValue = "on",
        description = "checksum offload; off: the sending guest computes every L4 checksum (default ${DEFAULT-VALUE})")
    private OnOff csum;

    @Option(names = "--wait", paramLabel = "poll|notify|adaptive", defaultValue = "poll",
        converter = RingWaitConverter.class,
        description = "poll: every thread spins; notify: every thread sleeps on its queue's event channels; adaptive: "
            + "every thread polls for a window adapted to the gaps between frames, then sleeps; netback's queues run "
            + "on a runner pool of one runner per queue (default ${DEFAULT-VALUE})")
    private WaitMode wait;

    @Option(names = "--baseline", paramLabel = "poll|none",
        description = "with --guests: also run the same guests with --wait poll, for the ratios of rate and CPU "
            + "(default: poll unless --wait is poll)")
    private String baseline;

    @Mixin
    private GuestsOptions guests;

    @Option(names = "--rate", paramLabel = "PPS", defaultValue = "0",
        description = "offered packets per second, stamped with their intended send time (default: closed loop)")
    private long rate;

    @Option(names = "--frontend", paramLabel = "thread|process", defaultValue = "thread",
        description = "thread: netfronts in this JVM; process: also C netfronts in another process on the shipped"
            + " client (pvring_client.h) against an in-JVM serve host, both in one table with the ratio"
            + " (one-slot frames, one queue; default ${DEFAULT-VALUE})")
    private FrontendKind frontend;

    @Mixin
    private DoorbellOptions doorbellOptions;

    @Mixin
    private MeasureOptions measure;

    @Override
    public Integer call() throws Exception
    {
        if (guests.enabled())
        {
            measure.validate(spec);
            if (queues != 1 || gso.on() || !sg.on() || rate != 0)
            {
                throw new ParameterException(spec.commandLine(), "--guests runs one queue per guest in a closed "
                    + "loop, one-slot frames: no --queues, --gso, --sg off or --rate");
            }
            GuestsRuns.net(spec, spec.commandLine().getOut(), measure, frame, csum.on(), wait, guests.config(spec),
                baseline);
            return Main.EXIT_OK;
        }
        guests.checkUnused(spec);
        if (baseline != null)
        {
            throw new ParameterException(spec.commandLine(), "--baseline goes with --guests");
        }
        final NetBenchConfig config;
        try
        {
            config = new NetBenchConfig(frame, queues, sg.on(), gso.on(), csum.on(), wait, rate);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), ex.getMessage());
        }
        measure.validate(spec);
        final List<Doorbell> processDoorbells = doorbellOptions.doorbells(spec, frontend);
        if (frontend == FrontendKind.PROCESS && ProcessNetBench.unsupported(config) != null)
        {
            throw new ParameterException(spec.commandLine(), ProcessNetBench.unsupported(config));
        }
        final PrintWriter out = spec.commandLine().getOut();
        out.println("net: " + frame + "-byte frames, " + queues + " queue(s), sg " + lower(sg) + ", gso " + lower(gso)
            + ", csum " + lower(csum) + ", " + wait.configName() + ", " + measure.duration.toMillis()
            + " ms");
        if (frontend == FrontendKind.PROCESS)
        {
            Outputs.inProcessThenProcess(out, measure,
                () -> NetBench.run(config, measure.duration.toNanos(), Progress.stderr()), processDoorbells,
                doorbell -> ProcessNetBench.run(config, doorbell, measure.duration.toNanos()));
            return Main.EXIT_OK;
        }
        measure.measureBest(out, () -> NetBench.run(config, measure.duration.toNanos(), Progress.stderr()));
        return Main.EXIT_OK;
    }

    private static String lower(final OnOff value)
    {
        return value.name().toLowerCase(Locale.ROOT);
    }
}
