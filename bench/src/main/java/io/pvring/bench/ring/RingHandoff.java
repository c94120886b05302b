package io.pvring.bench.ring;

import java.util.LinkedHashMap;
import java.util.Map;

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

    protected final RingConfig config;
    protected final RunControl control = new RunControl();
    // The front thread's state, which it writes as it runs: created by that thread in frontBegin(), from its own
    // allocation buffer, so it shares no cache line with what the back thread reads every turn; read here only
    // after both threads are joined.
    private LatencyRecorder latency;
    private Pacer pacer;
    protected final PaddedCounters frontCounters = new PaddedCounters(3);
    protected final PaddedCounters backCounters = new PaddedCounters(3);
    /** The bytes every request carries after its id and stamp. */
    protected final byte[] payload;

    protected RingHandoff(final RingConfig config)
    {
        this.config = config;
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
        latency = new LatencyRecorder();
        pacer = new Pacer(config.rate());
        if (pacer.paced())
        {
            pacer.start(System.nanoTime());
        }
    }

    /** Records one round trip (see {@link LatencyRecorder}). */
    protected final void recordLatency(final long nanos)
    {
        latency.record(nanos);
    }

    /** Ends the current run of equal latencies; call after each batch of responses. */
    protected final void flushLatency()
    {
        latency.flush();
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

    /**
     * Under a rate, how long the front may sleep before its next request falls due, at least 1 ns (a sleeping front
     * must wake for it: no event will, and one may have fallen due since it last looked); 0 in a closed loop.
     */
    protected final long nanosUntilNextSend()
    {
        return pacer.paced() ? Math.max(1, pacer.nanosUntilNext(System.nanoTime())) : 0;
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
        wakeForStop();
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

    /** After the phase turned to stop: wake sides that sleep until notified, so that they see it. */
    protected void wakeForStop()
    {
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
            seconds, latency == null ? LatencySummary.NONE : LatencySummary.ofNanos(latency.histogram()),
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
