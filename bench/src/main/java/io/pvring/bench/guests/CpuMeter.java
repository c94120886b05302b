package io.pvring.bench.guests;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * CPU time over one interval: the whole process ({@code getProcessCpuTime}: every thread, the JIT and the GC
 * included) and, separately, the threads the guests' frontends run on (ThreadMXBean, per thread). The backend's
 * share is the difference: what the host would spend, with the bench's own coordinator thread (it sleeps between
 * 50 ms ticks), the JIT and the GC counted against it, never against the guests.
 *
 * <p>{@link #start()} and {@link #stop()} are called on the measuring thread; frontend threads register
 * themselves ({@link #frontendThread()}) from their first duty cycle, before the measured phase begins.
 */
final class CpuMeter
{
    /** The figures of one interval, in percent of one core. */
    record Usage(double processPercent, double frontendPercent, double wallSeconds)
    {
        /** The process less the frontends: the host's backends (and the JVM's own threads). */
        double backendPercent()
        {
            return Math.max(0, processPercent - frontendPercent);
        }
    }

    static final String METHOD = "process CPU time (getProcessCpuTime) over wall time; frontend = the guest "
        + "threads' CPU time (ThreadMXBean); backend = process - frontend (JIT, GC and the bench's coordinator "
        + "count as backend)";

    private final com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean)ManagementFactory.getOperatingSystemMXBean();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final List<Thread> frontends = new CopyOnWriteArrayList<>();
    private Thread[] measured = new Thread[0];
    private long wallStart;
    private long processStart;
    private long frontendStart;
    private Usage usage = new Usage(0, 0, 0);

    /** Counts the calling thread as a frontend thread (idempotent). */
    void frontendThread()
    {
        final Thread self = Thread.currentThread();
        if (!frontends.contains(self))
        {
            frontends.add(self);
        }
    }

    void start()
    {
        wallStart = System.nanoTime();
        processStart = os.getProcessCpuTime();
        measured = frontends.toArray(new Thread[0]); // the same threads at both ends of the interval
        frontendStart = frontendNanos();
    }

    void stop()
    {
        final long wall = System.nanoTime() - wallStart;
        final long process = os.getProcessCpuTime() - processStart;
        final long frontend = frontendNanos() - frontendStart;
        usage = wall <= 0 ? new Usage(0, 0, 0) :
            new Usage(100.0 * Math.max(0, process) / wall, 100.0 * Math.max(0, frontend) / wall, wall / 1e9);
    }

    Usage usage()
    {
        return usage;
    }

    private long frontendNanos()
    {
        long nanos = 0;
        for (final Thread thread : measured)
        {
            final long cpu = threads.getThreadCpuTime(thread.getId());
            nanos += Math.max(0, cpu); // -1: the thread ended (not while a run measures)
        }
        return nanos;
    }
}
