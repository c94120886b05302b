package io.pvring.bench.ring;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

import io.pvring.bench.run.BenchRecord;
import io.pvring.bench.run.Environment;
import io.pvring.bench.run.LatencySummary;
import io.pvring.bench.run.Measurement;
import io.pvring.bench.run.Pacer;
import io.pvring.bench.run.PaddedCounters;
import io.pvring.bench.run.Progress;
import io.pvring.bench.run.RunControl;

/**
 * The ring workload, common to every implementation: a front thread writes requests of {@code slotBytes} (id,
 * send stamp, payload) in batches and reads responses; a back thread copies each request into private memory,
 * as a backend must, and answers with id and stamp. At most one ring's worth of requests is in flight. A round
 * trip is one operation; its latency is response-read time minus the request's stamp (the intended send time
 * under {@code --rate}).
 *
 * <p>Subclasses own their loops (one call site per implementation keeps the JIT's profile clean when several
 * implementations run in one JVM) and use the helpers here for phases, stamps and counts.
 */
public abstract class RingHandoff
{
    static final int ID_OFFSET = 0;
    static final int STAMP_OFFSET = 8;
    /** Bytes of a response: id and stamp. */
    static final int RESPONSE_BYTES = 16;

    static final int OPS = 0;
    static final int SENT = 1;
    static final int SUPPRESSED = 2;

    private static final long JOIN_MILLIS = 10_000;
    private static final long MAX_LATENCY_NANOS = TimeUnit.SECONDS.toNanos(60);

    protected final RingConfig config;
    protected final RunControl control = new RunControl();
    protected final Histogram latency = new Histogram(MAX_LATENCY_NANOS, 3);
    protected final PaddedCounters frontCounters = new PaddedCounters(3);
    protected final PaddedCounters backCounters = new PaddedCounters(3);
    protected final Pacer pacer;
    /** The bytes every request carries after its id and stamp. */
    protected final byte[] payload;
    /** The front thread's current run of equal latencies (see {@link #recordLatency(long)}). */
    private long runNanos = Long.MIN_VALUE;
    private long runCount;

    protected RingHandoff(final RingConfig config)
    {
        this.config = config;
        this.pacer = new Pacer(config.rate());
        this.payload = new byte[config.slotBytes()];
        for (int i = 0; i < payload.length; i++)
        {
            payload[i] = (byte)(i * 31 + 7);
        }
    }

    /** The name in results: {@code pvring}, {@code agrona}, {@code juc-abq}. */
    public abstract String impl();

    /** Whether this implementation has event indices (the baselines have none). */
    public abstract boolean countsNotifications();

    /** The front thread's loop: until the phase is {@link RunControl#STOP}. */
    protected abstract void runFront();

    /** The back thread's loop: until the phase is {@link RunControl#STOP}. */
    protected abstract void runBack();

    /** Front side, at the start of the measured interval: forget the warm-up. */
    protected final void frontMeasureStart()
    {
        runCount = 0;
        runNanos = Long.MIN_VALUE;
        latency.reset();
        frontCounters.set(OPS, 0);
        frontCounters.set(SENT, 0);
        frontCounters.set(SUPPRESSED, 0);
        if (pacer.paced())
        {
            pacer.start(System.nanoTime());
        }
    }

    /** Front side, before its first request: the rate schedule starts now (warm-up included). */
    protected final void frontBegin()
    {
        if (pacer.paced())
        {
            pacer.start(System.nanoTime());
        }
    }

    /**
     * Records one round trip. Responses read together share their read time, and requests sent together share
     * their stamp, so equal values come in runs: a run goes into the histogram once, with its count, at
     * {@link #flushLatency()} or when the value changes. The harness then costs the front a compare per response,
     * about what the C baseline's plain array histogram costs.
     */
    protected final void recordLatency(final long nanos)
    {
        if (nanos == runNanos)
        {
            runCount++;
            return;
        }
        flushLatency();
        runNanos = nanos;
        runCount = 1;
    }

    /** Ends the current run of equal latencies; call after each batch of responses. */
    protected final void flushLatency()
    {
        if (runCount > 0)
        {
            // A value beyond the histogram (a minute) is clamped, never an exception.
            latency.recordValueWithCount(Math.max(0, Math.min(runNanos, MAX_LATENCY_NANOS)), runCount);
            runCount = 0;
            runNanos = Long.MIN_VALUE;
        }
    }

    /** Back side, at the start of the measured interval. */
    protected final void backMeasureStart()
    {
        backCounters.set(SENT, 0);
        backCounters.set(SUPPRESSED, 0);
    }

    /**
     * How many requests the front may write now: a full batch when that many slots are free, fewer only when the
     * pacer has fewer due.
     */
    protected final int requestsToSend(final int free)
    {
        if (!pacer.paced())
        {
            return free >= config.batch() ? config.batch() : 0;
        }
        final long due = pacer.due(System.nanoTime());
        return (int)Math.min(due, Math.min(free, config.batch()));
    }

    /** The stamp of the next request: intended send time under a rate, else {@code now}. */
    protected final long stamp(final long now)
    {
        return pacer.paced() ? pacer.nextIntended() : now;
    }

    /** Measures one run; threads are started and joined here. */
    public final BenchRecord run(final long durationNanos, final Progress progress)
    {
        final Thread front = new Thread(() -> guarded(this::runFront), "ring-front-" + impl());
        final Thread back = new Thread(() -> guarded(this::runBack), "ring-back-" + impl());
        back.start();
        front.start();
        final Measurement measurement = new Measurement(label(), Measurement.warmupFor(durationNanos),
            durationNanos, progress);
        measurement.run(control, () -> frontCounters.get(OPS));
        try
        {
            front.join(JOIN_MILLIS);
            back.join(JOIN_MILLIS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        if (control.failure() != null)
        {
            throw new IllegalStateException(impl() + " ring workload failed: " + control.failure(),
                control.failure());
        }
        if (front.isAlive() || back.isAlive())
        {
            throw new IllegalStateException(impl() + " ring workload did not stop within " + JOIN_MILLIS + " ms");
        }
        return record(measurement);
    }

    /** Short description for the progress line. */
    public String label()
    {
        return "ring " + impl() + " " + config.slotBytes() + "B batch " + config.batch();
    }

    private BenchRecord record(final Measurement measurement)
    {
        final double seconds = measurement.measuredNanos() / 1e9;
        final long ops = frontCounters.get(OPS);
        final double opsPerSec = seconds > 0 ? ops / seconds : 0;
        return new BenchRecord("ring", params(config, impl()), opsPerSec, opsPerSec * config.slotBytes(), ops,
            seconds, LatencySummary.ofNanos(latency),
            frontCounters.get(SENT) + backCounters.get(SENT),
            frontCounters.get(SUPPRESSED) + backCounters.get(SUPPRESSED),
            measurement.partial(), Environment.current());
    }

    /** The {@code params} of a ring record. */
    public static Map<String, Object> params(final RingConfig config, final String impl)
    {
        final Map<String, Object> params = new LinkedHashMap<>();
        params.put("impl", impl);
        params.put("slot_bytes", config.slotBytes());
        params.put("ring_order", config.ringOrder());
        params.put("entries", config.entries());
        params.put("batch", config.batch());
        params.put("idle", config.idle().label());
        params.put("rate", config.rate());
        return params;
    }

    private void guarded(final Runnable loop)
    {
        try
        {
            loop.run();
        }
        catch (final Throwable error)
        {
            control.fail(error);
        }
    }
}
