package io.pvring.blkback;

import java.util.ArrayList;
import java.util.List;

import io.pvring.blkback.store.BlockStore;
import io.pvring.blkback.store.SynchronousBlockStore;
import io.pvring.blkback.store.MemoryBlockStore;
import io.pvring.blkfront.BlkFront;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontQueue;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A blkfront connected to a blkback over {@link TestGuest}, stepped by hand (no threads). */
final class Rig implements AutoCloseable
{
    final TestGuest guest;
    /** The store when it is synchronous (tests read it behind the device's back), else null. */
    final SynchronousBlockStore store;
    final BlockStore disk;
    final BlkBack back;
    final BlkFront front;
    final TestGuest.Port[][] ports;
    final List<long[]> completions = new ArrayList<>();

    Rig(final SynchronousBlockStore store, final BlkBackConfig backConfig, final BlkFrontConfig frontConfig)
    {
        this(store, store, backConfig, frontConfig);
    }

    /** Over any store (an asynchronous one: its rings must run on threads, {@link #run()} does not wait). */
    Rig(final BlockStore disk, final BlkBackConfig backConfig, final BlkFrontConfig frontConfig)
    {
        this(disk, null, backConfig, frontConfig);
    }

    private Rig(
        final BlockStore disk, final SynchronousBlockStore store, final BlkBackConfig backConfig,
        final BlkFrontConfig frontConfig)
    {
        this.store = store;
        this.disk = disk;
        final long frames = BlkFront.framesNeeded(frontConfig);
        guest = new TestGuest((int)frames + 16, (int)frames + 64);
        back = new BlkBack("blkback-1-51712", disk, backConfig, guest.mapper, null);
        ports = new TestGuest.Port[frontConfig.queues()][];
        final TestGuest.Port[] frontPorts = new TestGuest.Port[frontConfig.queues()];
        for (int q = 0; q < frontConfig.queues(); q++)
        {
            ports[q] = TestGuest.Port.pair();
            frontPorts[q] = ports[q][0];
        }
        front = new BlkFront(guest.memory, guest.grants, TestGuest.BACK_DOMID, frontConfig, 16, frontPorts);
        for (int q = 0; q < frontConfig.queues(); q++)
        {
            final BlkRing ring = back.connectRing(q, front.queue(q).ringRefs(), frontConfig.ringPageOrder(),
                frontConfig.protocol(), ports[q][1], frontConfig.persistentGrants());
            assertNotNull(ring, "ring " + q + " connects");
        }
    }

    static Rig memory(final long bytes)
    {
        return new Rig(new MemoryBlockStore(bytes, 512), BlkBackConfig.defaults(), BlkFrontConfig.defaults());
    }

    BlkFrontQueue q(final int index)
    {
        return front.queue(index);
    }

    BlkRing ring(final int index)
    {
        return back.rings().get(index);
    }

    /**
     * Pushes, lets every ring work until idle (arming it before it would sleep, as a runner does unless the rings
     * poll), and polls every queue; returns completions collected.
     */
    List<long[]> run()
    {
        for (int q = 0; q < front.queueCount(); q++)
        {
            front.queue(q).push();
        }
        final boolean sleeps = back.config().waitMode().sleeps();
        boolean progress = true;
        while (progress)
        {
            progress = false;
            for (final BlkRing ring : back.rings())
            {
                progress |= ring.doWork() > 0;
            }
            if (!progress && sleeps)
            {
                for (final BlkRing ring : back.rings())
                {
                    progress |= ring.armAndCheck();
                }
            }
        }
        for (int q = 0; q < front.queueCount(); q++)
        {
            front.queue(q).poll((cookie, op, status) -> completions.add(new long[]{ cookie, op, status }));
        }
        return completions;
    }

    /** Runs one submitted request and returns its status. */
    int runOne()
    {
        completions.clear();
        run();
        assertEquals(1, completions.size(), "one completion");
        return (int)completions.get(0)[2];
    }

    int write(final long sector, final UnsafeBuffer data)
    {
        assertTrue(q(0).write(sector, data.capacity() >> 9, data, 0, 1));
        return runOne();
    }

    int read(final long sector, final UnsafeBuffer into)
    {
        assertTrue(q(0).read(sector, into.capacity() >> 9, into, 0, 2));
        return runOne();
    }

    public void close()
    {
        back.close();
        front.close();
        assertEquals(0, guest.mapper.liveMappings(), "no mapping left behind");
        guest.close();
    }
}
