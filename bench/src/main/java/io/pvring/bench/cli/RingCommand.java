package io.pvring.bench.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import io.pvring.bench.ring.IdleKind;
import io.pvring.bench.ring.NativeRingBaseline;
import io.pvring.bench.ring.RingConfig;
import io.pvring.bench.ring.RingImpl;
import io.pvring.bench.ring.RingRuns;
import io.pvring.bench.run.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code pvring bench ring}: one shared ring, front thread and back thread, beside its baselines. */
@Command(
    name = "ring",
    mixinStandardHelpOptions = true,
    description = "Request/response round trips over one pvring shared ring (FrontRing -> BackRing and back, "
        + "event-index notification suppression), then the same workload over Agrona OneToOneRingBuffer and "
        + "ArrayBlockingQueue (same bytes copied), and with --native over Xen's io/ring.h in C.",
    footer = {
        "",
        "Examples:",
        "  pvring bench ring",
        "  pvring bench ring --batch 1 --duration 10s --native",
        "  pvring bench ring --slot-bytes 64 --ring-order 2 --batch 32 --json ring.json",
        "  pvring bench ring --rate 1000000 --no-baselines",
        "  pvring bench ring --idle notify --native --batch 1"})
public final class RingCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    @Option(names = "--slot-bytes", paramLabel = "N", defaultValue = "112",
        description = "bytes per ring slot, a multiple of 8 in 16..4032 (default ${DEFAULT-VALUE}, blkif's size)")
    private int slotBytes;

    @Option(names = "--ring-order", paramLabel = "K", defaultValue = "0",
        description = "ring of 2^K pages, 0..4 (default ${DEFAULT-VALUE})")
    private int ringOrder;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "8",
        description = "requests per push, 1..ring entries (default ${DEFAULT-VALUE})")
    private int batch;

    @Option(names = "--idle", paramLabel = "HOW", defaultValue = "yield",
        description = "how an idle side waits: ${COMPLETION-CANDIDATES}; spin needs a free core per side; notify "
            + "sleeps on an event channel until the peer's push says to wake it (pvring and C only: the other "
            + "baselines have no event indices) (default ${DEFAULT-VALUE})")
    private IdleKind idle;

    @Option(names = "--rate", paramLabel = "OPS", defaultValue = "0",
        description = "offered round trips per second; requests are stamped with their intended send time "
            + "(default: closed loop, as fast as possible)")
    private long rate;

    @Option(names = "--duration", paramLabel = "D", defaultValue = "5s", converter = DurationConverter.class,
        description = "measured time per implementation, e.g. 500ms, 10s, 2m (default ${DEFAULT-VALUE}); a "
            + "warm-up of a fifth of it precedes")
    private Duration duration;

    @Option(names = "--native", description = "also run the workload in C against /usr/include/xen/io/ring.h "
        + "(needs gcc and libxen-dev)")
    private boolean nativeBaseline;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "1",
        description = "run the implementations in turn N times and keep each one's best (a shared machine's "
            + "noise then hits all alike) (default ${DEFAULT-VALUE})")
    private int rounds;

    @Option(names = "--no-baselines", description = "measure the pvring ring only")
    private boolean noBaselines;

    @Option(names = "--json", paramLabel = "FILE", description = "write the results as JSON")
    private Path json;

    @Override
    public Integer call() throws Exception
    {
        final RingConfig config;
        try
        {
            config = new RingConfig(slotBytes, ringOrder, batch, idle, rate);
            if (nativeBaseline)
            {
                new NativeRingBaseline(config);
            }
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), ex.getMessage());
        }
        Outputs.checkRounds(spec, rounds);
        if (nativeBaseline)
        {
            final String missing = NativeRingBaseline.missingToolchain();
            if (missing != null)
            {
                throw new ParameterException(spec.commandLine(), "--native: " + missing);
            }
        }
        final List<RingImpl> impls = new ArrayList<>();
        impls.add(RingImpl.PVRING);
        if (!noBaselines)
        {
            impls.add(RingImpl.AGRONA);
            impls.add(RingImpl.JUC_ABQ);
        }
        if (nativeBaseline)
        {
            impls.add(RingImpl.NATIVE_C);
        }
        final var out = spec.commandLine().getOut();
        out.println("ring: " + config.slotBytes() + "-byte slots, " + config.entries() + " entries (order "
            + config.ringOrder() + "), batch " + config.batch() + ", idle " + config.idle().label()
            + (config.rate() > 0 ? ", " + config.rate() + " round trips/s offered" : ", closed loop")
            + ", " + duration.toMillis() + " ms each");
        out.flush();
        Outputs.measureAndReport(out, json, records ->
            RingRuns.run(config, impls, rounds, duration.toNanos(), Progress.stderr(), out, records::add));
        return Main.EXIT_OK;
    }
}
