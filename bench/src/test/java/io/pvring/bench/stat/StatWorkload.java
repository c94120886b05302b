package io.pvring.bench.stat;

import java.io.IOException;
import java.nio.file.Path;

import io.pvring.stats.BlkCounters;
import io.pvring.stats.DeviceId;
import io.pvring.stats.DeviceKind;
import io.pvring.stats.DeviceStats;
import io.pvring.stats.IoStats;
import io.pvring.stats.NetCounters;
import io.pvring.stats.QueueStats;

/**
 * A process that publishes a known workload to {@code DIR/counters.dat} and stays alive until its stdin closes:
 * what {@code pvring stat} must then show exactly. Guest "web" (domid 1) with xvda (two rings) and vif1.0.
 */
public final class StatWorkload
{
    public static final int READS = 100;
    public static final int READ_BYTES = 4096;
    public static final long READ_NS = 1_000_000;
    public static final int WRITES = 50;
    public static final int WRITE_BYTES = 8192;
    public static final long WRITE_NS = 3_000_000;
    public static final int FLUSHES = 10;
    public static final long FLUSH_NS = 5_000_000;
    public static final int IO_ERRORS = 2;
    public static final int TX_PACKETS = 1000;
    public static final int TX_BYTES = 1_514_000;
    public static final int RX_PACKETS = 500;
    public static final int RX_BYTES = 750_000;
    public static final int RX_DROPS = 3;

    private StatWorkload()
    {
    }

    /** Writes the workload into {@code stats} (the device's ring threads would, one writer per queue). */
    public static void write(final IoStats stats)
    {
        stats.nameDomain(1, "web");
        final DeviceStats disk = stats.register(new DeviceId(DeviceKind.VBD, 1, 51712), 2);
        final DeviceStats nic = stats.register(new DeviceId(DeviceKind.VIF, 1, 0), 1);
        final QueueStats q0 = disk.queue(0);
        long now = 0;
        for (int i = 0; i < READS; i++)
        {
            q0.blkAccepted(BlkCounters.READ_REQUESTS, READ_BYTES, now);
            now += READ_NS;
            q0.blkCompleted(READ_NS, now);
        }
        for (int i = 0; i < WRITES; i++)
        {
            q0.blkAccepted(BlkCounters.WRITE_REQUESTS, WRITE_BYTES, now);
            now += WRITE_NS;
            q0.blkCompleted(WRITE_NS, now);
        }
        final QueueStats q1 = disk.queue(1);
        for (int i = 0; i < FLUSHES; i++)
        {
            q1.blkAccepted(BlkCounters.FLUSH_REQUESTS, 0, now);
            now += FLUSH_NS;
            q1.blkCompleted(FLUSH_NS, now);
        }
        q1.counters().add(BlkCounters.IO_ERRORS, IO_ERRORS);
        final QueueStats n = nic.queue(0);
        n.counters().add(NetCounters.TX_PACKETS, TX_PACKETS);
        n.counters().add(NetCounters.TX_BYTES, TX_BYTES);
        n.counters().add(NetCounters.RX_PACKETS, RX_PACKETS);
        n.counters().add(NetCounters.RX_BYTES, RX_BYTES);
        n.counters().add(NetCounters.RX_DROPS, RX_DROPS);
        stats.publishHistograms();
    }

    public static void main(final String[] args) throws IOException
    {
        try (IoStats stats = IoStats.create(Path.of(args[0]).resolve("counters.dat"), 8, 2))
        {
            write(stats);
            System.out.println("ready");
            System.out.flush();
            while (System.in.read() >= 0)
            {
                // until the parent closes our stdin
            }
        }
    }
}
