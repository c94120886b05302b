package io.pvring.blkback;

import java.util.concurrent.ThreadLocalRandom;

import org.agrona.concurrent.BusySpinIdleStrategy;

/**
 * A hand-run "how fast" loop (not a test): null store, 4 KiB random reads, queue depth 32, one queue, polling, the
 * frontend on the main thread and the backend on one runner thread. Prints IOPS per second of measurement.
 * Usage: {@code java -cp ... io.pvring.blkback.NullReadThroughput [seconds] [queueDepth] [persistent]}.
 */
public final class NullReadThroughput
{
    private NullReadThroughput()
    {
    }

    public static void main(final String[] args)
    {
        final int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        final int depth = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        final boolean persistent = args.length <= 2 || Boolean.parseBoolean(args[2]);
        final long diskBytes = 8L << 30;
        final BlkBackConfig bc = new BlkBackConfig().polling(true).persistentGrants(persistent);
        final BlkFrontConfig fc = new BlkFrontConfig().persistentGrants(persistent).poolPages(depth + 16);
        try (Rig rig = new Rig(new NullBlockStore(diskBytes, 512), bc, fc))
        {
            rig.back.start(1, BusySpinIdleStrategy::new);
            final BlkFrontQueue queue = rig.q(0);
            final long[] completed = new long[1];
            final BlkCompletionHandler handler = (cookie, op, status) -> completed[0]++;
            final long sectors = diskBytes >> 9;
            final ThreadLocalRandom random = ThreadLocalRandom.current();
            long nextReport = System.nanoTime() + 1_000_000_000L;
            long lastCount = 0;
            final long end = System.nanoTime() + seconds * 1_000_000_000L;
            long best = 0;
            long total = 0;
            int samples = 0;
            while (true)
            {
                int submitted = 0;
                while (queue.inFlight() < depth && queue.read(random.nextLong(sectors >> 3) << 3, 8, null, 0, 0))
                {
                    submitted++;
                }
                if (submitted > 0)
                {
                    queue.push();
                }
                queue.poll(handler);
                final long now = System.nanoTime();
                if (now >= nextReport)
                {
                    final long iops = completed[0] - lastCount;
                    lastCount = completed[0];
                    nextReport += 1_000_000_000L;
                    System.out.println("iops=" + iops);
                    if (samples++ >= 2)
                    {
                        total += iops;
                        best = Math.max(best, iops);
                    }
                    if (now >= end)
                    {
                        break;
                    }
                }
            }
            System.out.println("mean iops (after 3 s warm-up)=" + total / Math.max(1, samples - 3) + " best=" + best);
            System.out.println("counters: " + rig.ring(0).counters());
            rig.back.disconnect();
        }
    }
}
