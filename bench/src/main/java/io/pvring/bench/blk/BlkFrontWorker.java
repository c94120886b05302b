package io.pvring.bench.blk;

import java.util.concurrent.TimeUnit;

import io.pvring.bench.run.Pacer;
import io.pvring.bench.run.PaddedCounters;
import io.pvring.bench.run.RunControl;
import io.pvring.blkback.BlkRingCounters;
import io.pvring.blkfront.BlkCompletionHandler;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.blkif.BlkifDescriptor;
import io.pvring.event.EventPort;
import io.pvring.runner.AdaptivePollWindow;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The load generator on one blkfront queue (fio's job on one ring): keeps {@code qd} requests in flight, each
 * stamped in its cookie with its submit time (or its intended time under {@code --rate}), reads completions and
 * records their latency. In notify mode it sleeps on its event channel after {@code RING_FINAL_CHECK_FOR_RESPONSES}
 * finds nothing, as blkfront sleeps until its interrupt; in adaptive mode it first polls for the window an
 * {@link AdaptivePollWindow} grows and shrinks with the measured waits, as the backend's runner does.
 */
final class BlkFrontWorker implements Runnable
{
    static final int OPS = 0;
    static final int PUSHES = 1;
    static final int SENT = 2;
    private static final long MAX_LATENCY_NANOS = TimeUnit.SECONDS.toNanos(60);

    final Histogram latency = new Histogram(MAX_LATENCY_NANOS, 3);
    final PaddedCounters counters = new PaddedCounters(3);
    long backSentBase;
    long backSuppressedBase;

    private final BlkBenchConfig config;
    private final BlkFrontQueue queue;
    private final BlkRingCounters backCounters;
    private final EventPort port;
    private final IdleStrategy idle;
    /** Null unless the worker waits adaptively. */
    private final AdaptivePollWindow window;
    private final RunControl control;
    private final Pacer pacer;
    private final UnsafeBuffer data;
    private final BlkCompletionHandler onCompletion = this::onCompletion;
    private final SectorSequence sectors;
    private long pollTime;
    private long ops;
    /** When the queue last ran dry (adaptive only), or {@link Long#MIN_VALUE} while it has work. */
    private long idleSince = Long.MIN_VALUE;

    BlkFrontWorker(
        final BlkBenchConfig config,
        final int queueIndex,
        final BlkFrontQueue queue,
        final BlkRingCounters backCounters,
        final EventPort port,
        final IdleStrategy idle,
        final AdaptivePollWindow window,
        final RunControl control)
    {
        this.config = config;
        this.queue = queue;
        this.backCounters = backCounters;
        this.port = port;
        this.idle = idle;
        this.window = window;
        this.control = control;
        this.pacer = new Pacer((double)config.rate() / config.queues());
        this.data = new UnsafeBuffer(new byte[config.blockSize()]);
        for (int i = 0; i < config.blockSize(); i++)
        {
            data.putByte(i, (byte)(i * 13 + queueIndex));
        }
        final long blocks = config.sizeBytes() / config.blockSize();
        this.sectors = new SectorSequence(config.blockSize(), config.sizeBytes(), config.pattern().random(),
            blocks / config.queues() * queueIndex, 0x9E3779B97F4A7C15L * (queueIndex + 1));
    }

    @Override
    public void run()
    {
        final BlkFrontQueue q = queue;
        final int qd = config.queueDepth();
        final int writePercent = config.pattern().writePercent();
        long pushes = 0;
        long sent = 0;
        int seen = RunControl.WARMUP;
        if (pacer.paced())
        {
            pacer.start(System.nanoTime());
        }
        while (true)
        {
            final int phase = control.phase();
            if (phase != seen)
            {
                if (phase == RunControl.STOP)
                {
                    break;
                }
                seen = phase;
                latency.reset();
                ops = 0;
                pushes = 0;
                sent = 0;
                counters.set(OPS, 0);
                backSentBase = backCounters.notificationsSent.get();
                backSuppressedBase = backCounters.notificationsSuppressed.get();
                if (pacer.paced())
                {
                    pacer.start(System.nanoTime());
                }
            }
            int work = 0;
            int room = qd - q.inFlight();
            final long now = System.nanoTime();
            if (room > 0 && pacer.paced())
            {
                room = (int)Math.min(room, pacer.due(now));
            }
            int submitted = 0;
            while (submitted < room)
            {
                final long sector = sectors.nextSector();
                final long stamp = pacer.paced() ? pacer.nextIntended() : now;
                final boolean write = writePercent == 100 ||
                    (writePercent > 0 && sectors.random() % 100 < writePercent);
                final int count = sectors.sectorsPerBlock();
                final boolean queued = write ? q.write(sector, count, data, 0, stamp)
                    : q.read(sector, count, data, 0, stamp);
                if (!queued)
                {
                    break;
                }
                submitted++;
            }
            if (submitted > 0)
            {
                pushes++;
                if (q.push())
                {
                    sent++;
                }
                counters.set(PUSHES, pushes);
                counters.set(SENT, sent);
                work += submitted;
            }
            if (port != null)
            {
                port.consumePending();
            }
            pollTime = System.nanoTime();
            final int completed = q.poll(onCompletion);
            if (completed > 0)
            {
                counters.set(OPS, ops);
                work += completed;
            }
            if (q.isBroken())
            {
                throw new IllegalStateException("blkfront queue " + q.queue() + " broken by the backend");
            }
            if (window != null && pollWindow(work))
            {
                continue;
            }
            if (work == 0 && port != null && !pacer.paced() && q.finalCheckForResponses())
            {
                work = 1;
            }
            idle.idle(work);
        }
    }

    /**
     * Adaptive waiting: true while a queue that ran dry is still inside its polling window (keep polling, do not
     * arm); on work, the idle spell just ended (polled or slept) adapts the window.
     */
    private boolean pollWindow(final int work)
    {
        if (work > 0)
        {
            if (idleSince != Long.MIN_VALUE)
            {
                window.onBlocked(System.nanoTime() - idleSince);
                idleSince = Long.MIN_VALUE;
            }
            return false;
        }
        final long now = System.nanoTime();
        if (idleSince == Long.MIN_VALUE)
        {
            idleSince = now;
        }
        if (now - idleSince < window.windowNanos())
        {
            Thread.onSpinWait();
            return true;
        }
        return false;
    }

    private void onCompletion(final long cookie, final int operation, final int status)
    {
        if (status != BlkifDescriptor.BLKIF_RSP_OKAY)
        {
            throw new IllegalStateException("blk operation=" + operation + " failed with status=" + status);
        }
        latency.recordValue(Math.max(0, Math.min(pollTime - cookie, MAX_LATENCY_NANOS)));
        ops++;
    }


    long backSent()
    {
        return backCounters.notificationsSent.get() - backSentBase;
    }

    long backSuppressed()
    {
        return backCounters.notificationsSuppressed.get() - backSuppressedBase;
    }
}
