package io.pvring.bench.jmh;

import io.pvring.blkback.BlkBack;
import io.pvring.blkback.BlkBackConfig;
import io.pvring.blkback.BlkRing;
import io.pvring.blkback.store.NullBlockStore;
import io.pvring.blkfront.BlkCompletionHandler;
import io.pvring.blkfront.BlkFront;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.host.Domain;
import io.pvring.host.Hypervisor;
import io.pvring.memory.GuestMemory;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The blk hot path on one thread, no waiting: blkfront queues a batch of reads and pushes, the blkback agent's
 * {@code doWork()} copies the requests out, maps or reuses the grants, reads the null store into the guest pages and
 * responds, blkfront polls the completions and copies the data out. The score is the cost of one whole I/O through
 * the protocol; {@code -prof gc} shows the allocation per I/O (expected: none).
 *
 * <pre>
 *   ./pvring jmh BlkHotPathBenchmark -prof gc
 * </pre>
 */
@State(Scope.Thread)
public class BlkHotPathBenchmark extends JmhSettings
{
    static final int BATCH = 16;
    private static final long FIRST_GFN = 16;

    @Param({"4096", "45056"})
    public int blockSize;

    @Param({"true", "false"})
    public boolean persistent;

    private Hypervisor hypervisor;
    private BlkFront front;
    private BlkBack back;
    private BlkFrontQueue queue;
    private BlkRing ring;
    private UnsafeBuffer data;
    private long completed;
    private long nextSector;
    private final BlkCompletionHandler onCompletion = (cookie, operation, status) -> completed += status + 1;

    @Setup(Level.Trial)
    public void setup()
    {
        hypervisor = new Hypervisor();
        final BlkFrontConfig frontConfig = BlkFrontConfig.builder().persistentGrants(persistent)
            .poolPages(BATCH * (blockSize / GuestMemory.PAGE_SIZE)).build();
        final Domain guest = hypervisor.createDomain("jmh-guest",
            (FIRST_GFN + BlkFront.framesNeeded(frontConfig) + 16) * GuestMemory.PAGE_SIZE);
        front = new BlkFront(guest.guestMemory(), guest.grantTable(), Hypervisor.DOM0, frontConfig, FIRST_GFN, null);
        back = new BlkBack("blkback-jmh", new NullBlockStore(1L << 30, 512),
            BlkBackConfig.builder().waitMode(io.pvring.event.WaitMode.POLL).persistentGrants(persistent).build(),
            hypervisor.grantMapper(Hypervisor.DOM0, guest.domid()), null);
        queue = front.queue(0);
        ring = back.connectRing(0, queue.ringRefs(), 0, frontConfig.protocol(), null, persistent);
        if (ring == null)
        {
            throw new IllegalStateException("ring refused");
        }
        data = new UnsafeBuffer(new byte[blockSize]);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        back.close();
        front.close();
        hypervisor.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long readBatch()
    {
        final int sectors = blockSize >> 9;
        for (int i = 0; i < BATCH; i++)
        {
            queue.read(nextSector, sectors, data, 0, i);
            nextSector = (nextSector + sectors) & ((1L << 21) - 1);
        }
        queue.push();
        ring.doWork();
        queue.poll(onCompletion);
        return completed;
    }
}
