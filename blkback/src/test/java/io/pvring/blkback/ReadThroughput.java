package io.pvring.blkback;

import java.nio.file.Path;
import java.util.SplittableRandom;

import io.pvring.blkback.store.BlockStore;
import io.pvring.blkback.store.NullBlockStore;
import io.pvring.blkback.store.RawFileBlockStore;
import io.pvring.blkfront.BlkCompletionHandler;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.event.WaitMode;
import io.pvring.runner.RunnerPool;
import io.pvring.runner.RunnerPoolConfig;

/**
 * A hand-run "how fast" loop (not a test): 4 KiB random reads at a queue depth through one queue, polling, the
 * frontend on the main thread and the backend on one runner thread, over the real hypervisor core. Prints IOPS
 * per second.
 * <pre>
 *   java -cp ... io.pvring.blkback.ReadThroughput [seconds=10] [depth=32] [persistent=true] [store=null|PATH]
 *       [threads=1|0] [wait=poll|backoff|notify|adaptive]
 * </pre>
 * {@code threads=0} steps the backend agent on the main thread between submits and polls: the cost of the whole
 * path on one core, without the two spinning threads competing for a busy machine.
 * With a PATH the disk is that raw image (compare with {@code fio --ioengine=psync --rw=randread --bs=4k}).
 */
public final class ReadThroughput
{
    private ReadThroughput()
    {
    }

    public static void main(final String[] args)
    {
        final int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        final int depth = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        final boolean persistent = args.length <= 2 || Boolean.parseBoolean(args[2]);
        final String storeName = args.length > 3 ? args[3] : "null";
        final boolean stepped = args.length > 4 && Integer.parseInt(args[4]) == 0;
        final WaitMode wait = WaitMode.parse(args.length > 5 ? args[5] : "poll");
        final BlockStore store = "null".equals(storeName) ?
            new NullBlockStore(8L << 30, 512) : RawFileBlockStore.open(Path.of(storeName), 512, true, true);
        final BlkBackConfig bc = BlkBackConfig.builder().waitMode(wait).persistentGrants(persistent).build();
        final BlkFrontConfig fc = BlkFrontConfig.builder().persistentGrants(persistent).poolPages(depth + 16).build();
        try (RunnerPool pool = new RunnerPool(new RunnerPoolConfig().runners(1));
            CoreRig rig = new CoreRig(store, bc, fc))
        {
            final BlkRing ring = rig.back.rings().get(0);
            if (!stepped)
            {
                rig.back.start(pool);
            }
            final BlkFrontQueue queue = rig.front.queue(0);
            final long[] completed = new long[1];
            final BlkCompletionHandler handler = (cookie, op, status) -> completed[0]++;
            final long pages = store.sizeBytes() >> 12;
            final SplittableRandom random = new SplittableRandom(42);
            final long start = System.nanoTime();
            long nextReport = start + 1_000_000_000L;
            long lastCount = 0;
            long measured = 0;
            long best = 0;
            int second = 0;
            while (second < seconds)
            {
                int submitted = 0;
                while (queue.inFlight() < depth && queue.read(random.nextLong(pages) << 3, 8, null, 0, 0))
                {
                    submitted++;
                }
                if (submitted > 0)
                {
                    queue.push();
                }
                if (stepped)
                {
                    ring.doWork();
                }
                if (queue.poll(handler) == 0 && wait != WaitMode.POLL)
                {
                    Thread.yield(); // a backend descheduled on this core gets to run
                }
                final long now = System.nanoTime();
                if (now >= nextReport)
                {
                    final long iops = completed[0] - lastCount;
                    lastCount = completed[0];
                    nextReport += 1_000_000_000L;
                    second++;
                    System.out.println("second " + second + ": " + iops + " IOPS");
                    if (second > 3)
                    {
                        measured += iops;
                        best = Math.max(best, iops);
                    }
                }
            }
            System.out.println("store=" + store.describe() + " depth=" + depth + " persistent=" + persistent +
                " stepped=" + stepped + " wait=" + wait +
                " mean IOPS after 3 s warm-up=" + measured / Math.max(1, seconds - 3) + " best second=" + best);
            System.out.println("counters: " + rig.back.rings().get(0).counters());
        }
        store.close();
    }
}
