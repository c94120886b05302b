package io.pvring.bench.blk;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.pvring.bench.run.BenchRecord;
import io.pvring.bench.run.Environment;
import io.pvring.bench.run.LatencySummary;
import io.pvring.bench.run.Measurement;
import io.pvring.bench.run.Progress;
import io.pvring.bench.run.RunControl;
import io.pvring.blkback.BlkBack;
import io.pvring.blkback.BlkBackConfig;
import io.pvring.blkback.BlkRing;
import io.pvring.blkback.qos.ThrottleLimits;
import io.pvring.blkback.store.BlockStore;
import io.pvring.blkback.store.DiskSpec;
import io.pvring.blkback.store.DiskStores;
import io.pvring.blkback.store.MemoryBlockStore;
import io.pvring.blkback.store.NullBlockStore;
import io.pvring.blkfront.BlkFront;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkif.BlkifDescriptor;
import io.pvring.event.BlockingIdleStrategy;
import io.pvring.event.EventPort;
import io.pvring.event.IdleStrategies;
import io.pvring.event.WaitMode;
import io.pvring.host.Domain;
import io.pvring.host.Hypervisor;
import io.pvring.memory.GuestMemory;
import io.pvring.runner.AdaptivePollWindow;
import io.pvring.runner.RunnerPool;
import io.pvring.runner.RunnerPoolConfig;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * {@code pvring bench blk}: a guest domain on the emulated hypervisor runs pvring's blkfront against pvring's
 * blkback over real grants and event channels, serving a null, memory or raw-file store. One front thread per
 * queue generates the load; blkback runs one agent thread per queue.
 */
public final class BlkBench
{
    private static final long FIRST_GFN = 16;
    private static final long JOIN_MILLIS = 10_000;

    private BlkBench()
    {
    }

    public static BenchRecord run(final BlkBenchConfig config, final long durationNanos, final Progress progress)
        throws IOException
    {
        Path created = null;
        final DiskSpec disk = config.disk();
        final BlockStore store;
        if (disk == null)
        {
            store = config.store().equals("memory") ?
                new MemoryBlockStore(config.sizeBytes(), BlkBenchConfig.SECTOR) :
                new NullBlockStore(config.sizeBytes(), BlkBenchConfig.SECTOR);
        }
        else
        {
            if (disk.kind() == DiskSpec.Kind.FILE && !Files.exists(Path.of(disk.target())))
            {
                try (RandomAccessFile file = new RandomAccessFile(disk.target(), "rw"))
                {
                    file.setLength(config.sizeBytes());
                }
                created = Path.of(disk.target());
            }
            try
            {
                store = DiskStores.open(disk, BlkBenchConfig.SECTOR, false);
            }
            catch (final RuntimeException ex)
            {
                deleteCreated(created);
                throw ex;
            }
            if (store.sizeBytes() < config.blockSize())
            {
                store.close();
                deleteCreated(created);
                throw new IllegalArgumentException("--store " + config.store() + ": the disk is smaller than --bs");
            }
        }
        try (Hypervisor hypervisor = new Hypervisor())
        {
            return run(config, effectiveSize(config, store), store, hypervisor, durationNanos, progress);
        }
        finally
        {
            store.close();
            deleteCreated(created);
        }
    }

    private static void deleteCreated(final Path created) throws IOException
    {
        if (created != null)
        {
            Files.deleteIfExists(created);
        }
    }

    private static BlkBenchConfig effectiveSize(final BlkBenchConfig config, final BlockStore store)
    {
        return new BlkBenchConfig(config.store(), store.sizeBytes() / config.blockSize() * config.blockSize(),
            config.pattern(), config.blockSize(), config.queueDepth(), config.queues(), config.ringOrder(),
            config.indirectSegments(), config.persistent(), config.waitMode(), config.rate());
    }

    private static BenchRecord run(
        final BlkBenchConfig config,
        final BlkBenchConfig sized,
        final BlockStore store,
        final Hypervisor hypervisor,
        final long durationNanos,
        final Progress progress)
    {
        final int queues = config.queues();
        final int perRequestMax = Math.max(BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST, config.indirectSegments()) +
            BlkifDescriptor.indirectPages(config.indirectSegments());
        final BlkFrontConfig frontConfig = BlkFrontConfig.builder()
            .queues(queues)
            .ringPageOrder(config.ringOrder())
            .persistentGrants(config.persistent())
            .maxIndirectSegments(config.indirectSegments())
            .poolPages(Math.max(perRequestMax, config.queueDepth() * config.pagesPerRequest()))
            .build();
        final long frames = FIRST_GFN + BlkFront.framesNeeded(frontConfig) + 16;
        final Domain guest = hypervisor.createDomain("bench-guest", frames * GuestMemory.PAGE_SIZE);
        final BlkBackConfig backConfig = BlkBackConfig.builder()
            .waitMode(config.waitMode())
            .throttle(config.disk() != null ? config.disk().limits() : ThrottleLimits.NONE)
            .persistentGrants(config.persistent())
            .maxQueues(Math.max(BlkBackConfig.DEFAULT_MAX_QUEUES, queues))
            .maxIndirectSegments(Math.max(BlkBackConfig.DEFAULT_MAX_INDIRECT_SEGMENTS, config.indirectSegments()))
            .maxPersistentGrants(Math.max(BlkBackConfig.DEFAULT_MAX_PERSISTENT_GRANTS,
                queues * frontConfig.poolPages())).build();

        final EventPort[] backPorts = new EventPort[queues];
        final EventPort[] frontPorts = new EventPort[queues];
        if (!config.poll())
        {
            for (int q = 0; q < queues; q++)
            {
                backPorts[q] = hypervisor.eventChannels().allocUnbound(Hypervisor.DOM0, guest.domid());
                frontPorts[q] = hypervisor.eventChannels().bindInterdomain(guest.domid(), Hypervisor.DOM0,
                    backPorts[q].port());
            }
        }
        final BlkFront front = new BlkFront(guest.guestMemory(), guest.grantTable(), Hypervisor.DOM0, frontConfig,
            FIRST_GFN, config.poll() ? null : frontPorts);
        final BlkBack back = new BlkBack("blkback-" + guest.domid() + "-51712", store, backConfig,
            hypervisor.grantMapper(Hypervisor.DOM0, guest.domid()), null);
        final RunControl control = new RunControl();
        final RunnerPool runners = new RunnerPool(new RunnerPoolConfig().runners(queues)
            .threadNamePrefix("blkback-runner-"));
        final List<BlkFrontWorker> workers = new ArrayList<>();
        final List<IdleStrategy> frontIdles = new ArrayList<>();
        final List<Thread> threads = new ArrayList<>();
        try
        {
            for (int q = 0; q < queues; q++)
            {
                final BlkRing ring = back.connectRing(q, front.queue(q).ringRefs(), config.ringOrder(),
                    frontConfig.protocol(), backPorts[q], config.persistent());
                if (ring == null)
                {
                    throw new IllegalStateException("blkback refused ring " + q + " of " + sized);
                }
            }
            back.start(runners); // a runner per queue: each ring on its own, as blkback's per-queue threads were
            for (int q = 0; q < queues; q++)
            {
                final boolean sleeps = !config.poll() && config.rate() == 0;
                final IdleStrategy idle = sleeps ? new BlockingIdleStrategy() : new BusySpinIdleStrategy();
                final AdaptivePollWindow window = sleeps && config.waitMode() == WaitMode.ADAPTIVE ?
                    new AdaptivePollWindow(RunnerPoolConfig.DEFAULT_POLL_START_NANOS,
                        RunnerPoolConfig.DEFAULT_POLL_MAX_NANOS, RunnerPoolConfig.DEFAULT_POLL_GROW,
                        RunnerPoolConfig.DEFAULT_POLL_SHRINK) : null;
                if (frontPorts[q] != null)
                {
                    frontPorts[q].waiter(IdleStrategies.waiter(idle));
                }
                final BlkFrontWorker worker = new BlkFrontWorker(sized, q, front.queue(q),
                    back.rings().get(q).counters(), frontPorts[q], idle, window, control);
                workers.add(worker);
                frontIdles.add(idle);
                final Thread thread = new Thread(() -> guarded(worker, control), "blkfront-q" + q);
                threads.add(thread);
                thread.start();
            }
            final Measurement measurement = new Measurement(label(config), Measurement.warmupFor(durationNanos),
                durationNanos, progress);
            measurement.run(control, () -> totalOps(workers));
            stopWorkers(control, frontIdles, threads);
            if (control.failure() != null)
            {
                throw new IllegalStateException("blk run failed: " + control.failure().getMessage(),
                    control.failure());
            }
            if (back.isBroken())
            {
                throw new IllegalStateException("blkback broke: " + back.brokenReason());
            }
            return record(config, measurement, workers);
        }
        finally
        {
            stopWorkers(control, frontIdles, threads);
            back.close();
            runners.close();
            front.close();
        }
    }

    private static void stopWorkers(final RunControl control, final List<IdleStrategy> idles,
        final List<Thread> threads)
    {
        control.phase(RunControl.STOP);
        for (final IdleStrategy idle : idles)
        {
            if (idle instanceof BlockingIdleStrategy blocking)
            {
                blocking.wake();
            }
        }
        for (final Thread thread : threads)
        {
            try
            {
                thread.join(JOIN_MILLIS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void guarded(final Runnable worker, final RunControl control)
    {
        try
        {
            worker.run();
        }
        catch (final Throwable error)
        {
            control.fail(error);
        }
    }

    private static long totalOps(final List<BlkFrontWorker> workers)
    {
        long ops = 0;
        for (final BlkFrontWorker worker : workers)
        {
            ops += worker.counters.get(BlkFrontWorker.OPS);
        }
        return ops;
    }

    static String label(final BlkBenchConfig config)
    {
        return "blk " + config.storeKind() + " " + config.pattern().label() + " bs " + config.blockSize() + " qd "
            + config.queueDepth() + (config.queues() > 1 ? " x" + config.queues() : "") + " "
            + config.waitMode().configName();
    }

    private static BenchRecord record(
        final BlkBenchConfig config, final Measurement measurement, final List<BlkFrontWorker> workers)
    {
        final Histogram all = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        long ops = 0;
        long sent = 0;
        long suppressed = 0;
        for (final BlkFrontWorker worker : workers)
        {
            all.add(worker.latency);
            ops += worker.counters.get(BlkFrontWorker.OPS);
            final long pushes = worker.counters.get(BlkFrontWorker.PUSHES);
            final long frontSent = worker.counters.get(BlkFrontWorker.SENT);
            sent += frontSent + worker.backSent();
            suppressed += pushes - frontSent + worker.backSuppressed();
        }
        final double seconds = measurement.measuredNanos() / 1e9;
        final double iops = seconds > 0 ? ops / seconds : 0;
        return new BenchRecord("blk", params(config), iops, iops * config.blockSize(), ops, seconds,
            LatencySummary.ofNanos(all), sent, suppressed, measurement.partial(), Environment.current());
    }

    public static Map<String, Object> params(final BlkBenchConfig config)
    {
        final Map<String, Object> params = new LinkedHashMap<>();
        params.put("impl", "pvring");
        params.put("store", config.storeKind());
        final DiskSpec disk = config.disk();
        if (disk != null && disk.kind() == DiskSpec.Kind.FILE)
        {
            params.put("cache", DiskSpec.token(disk.cache()));
            params.put("aio", DiskSpec.token(disk.aio()));
            if (disk.aioMaxBatch() != 0)
            {
                params.put("aio_max_batch", disk.aioMaxBatch());
            }
        }
        if (disk != null && disk.kind() == DiskSpec.Kind.QCOW2)
        {
            params.put("format", disk.format());
            params.put("cache", DiskSpec.token(disk.cache()));
        }
        if (disk != null && disk.limits().limited())
        {
            params.put("limits", disk.limits().toString());
        }
        params.put("rw", config.pattern().label());
        params.put("bs", config.blockSize());
        params.put("qd", config.queueDepth());
        params.put("queues", config.queues());
        params.put("ring_order", config.ringOrder());
        params.put("indirect", config.indirectSegments());
        params.put("persistent", config.persistent() ? "on" : "off");
        params.put("wait", config.waitMode().configName());
        params.put("rate", config.rate());
        return params;
    }
}
