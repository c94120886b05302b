package io.pvring.blkback;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import io.pvring.blkback.store.BlockIo;
import io.pvring.blkback.store.BlockStore;
import io.pvring.blkback.store.MemoryBlockStore;
import io.pvring.blkback.test.ControlledBlockStore;
import io.pvring.blkback.test.TestData;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.event.WaitMode;
import io.pvring.runner.RunnerPool;
import io.pvring.runner.RunnerPoolConfig;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Asynchronous completions with the ring on a {@link RunnerPool} runner that lets it sleep ({@code notify},
 * {@code adaptive}) or polls it: completions from another thread wake it (no lost wake-up, under load), and a
 * device that disconnects waits for its I/O in flight before it unmaps anything, up to a bound, without blocking
 * its runner.
 */
class AsyncRunnerTest
{
    private final RunnerPool pool = new RunnerPool(new RunnerPoolConfig().runners(1));

    @AfterEach
    void closePool()
    {
        pool.close();
    }

    private static final long DISK = 8 << 20;
    private static final long BOUND_NS = 60_000_000_000L;

    private static void await(final BooleanSupplier condition, final String what)
    {
        final long deadline = System.nanoTime() + BOUND_NS;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                fail("timed out after 60 s waiting for " + what);
            }
            Thread.yield();
        }
    }

    @ParameterizedTest
    @EnumSource(value = WaitMode.class, names = {"POLL", "NOTIFY", "ADAPTIVE"})
    void aRingIsWokenByEveryCompletionFromAnotherThread(final WaitMode mode) throws Exception
    {
        final ControlledBlockStore store = new ControlledBlockStore(DISK);
        final BlkBackConfig bc = BlkBackConfig.builder().waitMode(mode).build();
        try (CoreRig rig = new CoreRig(store, bc, BlkFrontConfig.defaults()))
        {
            rig.back.start(pool);
            final AtomicBoolean running = new AtomicBoolean(true);
            final Thread completer = new Thread(() ->
            {
                while (running.get())
                {
                    if (store.held() > 0)
                    {
                        store.complete(0, BlockStore.OK);
                    }
                    else
                    {
                        Thread.yield();
                    }
                }
            }, "completer");
            completer.start();
            try
            {
                final BlkFrontQueue queue = rig.front.queue(0);
                final UnsafeBuffer data = TestData.pattern(4096, 12);
                final int total = 10_000;
                final long[] answered = new long[2];
                int sent = 0;
                final long deadline = System.nanoTime() + BOUND_NS;
                while (answered[0] < total)
                {
                    while (sent < total && queue.write((sent % 512) * 8L, 8, data, 0, sent))
                    {
                        sent++;
                    }
                    queue.push();
                    queue.poll((cookie, op, status) ->
                    {
                        answered[0]++;
                        answered[1] += status == 0 ? 1 : 0;
                    });
                    if (System.nanoTime() - deadline > 0)
                    {
                        fail("timed out after 60 s: " + answered[0] + " of " + sent + " sent answered, store holds " +
                            store.held() + ", ring " + rig.back.rings().get(0));
                    }
                    Thread.yield();
                }
                assertEquals(total, answered[1], "every request succeeded");
                assertEquals(total, store.submissions());
                if (mode == WaitMode.NOTIFY)
                {
                    assertTrue(rig.back.handles().get(0).wakeups() > 0, "the sleeping ring was woken");
                    assertTrue(rig.back.rings().get(0).counters().wakeups.get() > 0,
                        "the ring's counters publish its wake-ups");
                }
            }
            finally
            {
                running.set(false);
                completer.join(10_000);
            }
            assertTrue(!completer.isAlive(), "the completer stopped");
        }
    }

    @Test
    void aSleepingRingWakesForItsPersistentGrantPurge()
    {
        final AtomicLong now = new AtomicLong();
        final BlkBackConfig bc = BlkBackConfig.builder().waitMode(WaitMode.NOTIFY).persistentGrantUnusedSeconds(1)
            .nanoClock(now::get).build();
        try (CoreRig rig = new CoreRig(new MemoryBlockStore(DISK, 512), bc, BlkFrontConfig.defaults()))
        {
            final int ringPages = rig.pair.liveMappings();
            rig.back.start(pool);
            final BlkFrontQueue queue = rig.front.queue(0);
            assertTrue(queue.write(0, 8, TestData.pattern(4096, 15), 0, 1));
            queue.push();
            final int[] answered = new int[1];
            await(() -> queue.poll((cookie, op, status) -> answered[0]++) > 0 || answered[0] > 0,
                "the write's answer");
            assertEquals(ringPages + 1, rig.pair.liveMappings(), "the write's page stays mapped, persistently");
            await(() -> rig.back.handles().get(0).isAsleep(), "the ring to sleep");
            final long wakeups = rig.back.handles().get(0).wakeups();

            now.addAndGet(2_000_000_000L); // the mapping is now unused for longer than persistentGrantUnusedSeconds
            await(() -> rig.pair.liveMappings() == ringPages,
                "the sleeping ring's purge timer to unmap the unused persistent grant");
            assertTrue(rig.back.handles().get(0).wakeups() > wakeups, "the timer, not an event, woke the ring");
        }
    }

    @Test
    void disconnectWaitsForTheIoInFlightBeforeUnmappingIt() throws Exception
    {
        final ControlledBlockStore store = new ControlledBlockStore(DISK);
        try (CoreRig rig = new CoreRig(store, BlkBackConfig.builder().waitMode(WaitMode.NOTIFY)
            .build(), BlkFrontConfig.defaults()))
        {
            final int ringPages = rig.pair.liveMappings();
            rig.back.start(pool);
            final BlkFrontQueue queue = rig.front.queue(0);
            final UnsafeBuffer data = TestData.pattern(4096, 13);
            assertTrue(queue.write(0, 8, data, 0, 1));
            queue.push();
            await(() -> store.held() == 1, "the write to reach the store");
            final BlkRing ring = rig.back.rings().get(0);
            final Thread closer = new Thread(rig.back::disconnect, "closer");
            closer.start();
            await(() -> ring.isStopped() && closer.getState() == Thread.State.TIMED_WAITING,
                "the disconnect to wait for the ring's drain");
            assertTrue(!rig.back.handles().get(0).isRemoved(), "the ring drains on its runner");
            assertEquals(ringPages + 1, rig.pair.liveMappings(), "the write's page is still mapped");
            final BlockIo io = store.heldIo(0);
            assertNotNull(io.page(0), "the store can still reach the guest page");
            store.complete(0, BlockStore.OK);
            closer.join(BOUND_NS / 1_000_000);
            assertTrue(!closer.isAlive(), "the disconnect finished once the write completed");
            assertEquals(0, rig.pair.liveMappings(), "everything unmapped after the completion");
            final UnsafeBuffer disk = new UnsafeBuffer(new byte[4096]);
            store.disk().read(0, disk, 0, 4096);
            assertEquals(data.getInt(100), disk.getInt(100), "the write landed");
        }
    }

    @Test
    void disconnectGivesUpAfterItsBoundAndLeavesTheStoresPagesMapped() throws Exception
    {
        final ControlledBlockStore store = new ControlledBlockStore(DISK);
        final BlkBackConfig bc = BlkBackConfig.builder().waitMode(WaitMode.NOTIFY).inFlightDrainTimeoutMs(200).build();
        try (CoreRig rig = new CoreRig(store, bc, BlkFrontConfig.defaults()))
        {
            rig.back.start(pool);
            final BlkFrontQueue queue = rig.front.queue(0);
            final UnsafeBuffer data = TestData.pattern(4096, 14);
            assertTrue(queue.write(0, 8, data, 0, 1));
            queue.push();
            await(() -> store.held() == 1, "the write to reach the store");
            final BlkRing ring = rig.back.rings().get(0);
            rig.back.disconnect(); // returns after the 200 ms bound: the store never answers
            assertEquals(1, rig.pair.liveMappings(), "the abandoned write's page stays mapped under the store");
            store.complete(0, BlockStore.OK);
            assertEquals(1, ring.strayCompletions(), "the late completion is ignored");
        }
    }
}
