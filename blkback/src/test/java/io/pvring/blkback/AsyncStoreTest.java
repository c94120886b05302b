package io.pvring.blkback;

import java.util.ArrayList;
import java.util.List;

import io.pvring.blkback.store.BlockIo;
import io.pvring.blkback.store.BlockStore;
import io.pvring.blkback.test.ControlledBlockStore;
import io.pvring.blkback.test.TestData;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.ring.FrontRing;
import io.pvring.ring.SharedRingDescriptor;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_FLUSH_DISKCACHE;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_WRITE_BARRIER;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_ERROR;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * blkback on a store that completes late, out of order, on other threads, or fails: responses in completion order,
 * grant mappings held until completion and released once, barriers that drain, flushes that stay failed. The ring
 * is stepped on the test thread; completions come from the test thread (after submit returned, so through the
 * completion queue) or from a thread of their own.
 */
class AsyncStoreTest
{
    private static final long DISK = 8 << 20;

    /** Completions seen by the frontend, in order: cookie and status. */
    private static final class Answers
    {
        final List<Long> cookies = new ArrayList<>();
        final List<Integer> statuses = new ArrayList<>();

        int poll(final BlkFrontQueue queue)
        {
            return queue.poll((cookie, op, status) ->
            {
                cookies.add(cookie);
                statuses.add(status);
            });
        }
    }

    private static CoreRig rig(final ControlledBlockStore store, final boolean persistent)
    {
        return new CoreRig(store, BlkBackConfig.builder().persistentGrants(persistent).build(),
            BlkFrontConfig.builder().persistentGrants(persistent).build());
    }

    @ParameterizedTest(name = "persistent={0}")
    @ValueSource(booleans = { false, true })
    void outOfOrderCompletionsAreAnsweredInCompletionOrderAndMappingsLiveUntilThen(final boolean persistent)
    {
        final ControlledBlockStore store = new ControlledBlockStore(DISK);
        try (CoreRig rig = rig(store, persistent))
        {
            final BlkFrontQueue queue = rig.front.queue(0);
            final BlkRing ring = rig.back.rings().get(0);
            final int baseline = rig.pair.liveMappings();
            final UnsafeBuffer data = TestData.pattern(4 * 8192, 3);
            for (int i = 0; i < 4; i++)
            {
                assertTrue(queue.write(i * 64L, 16, data, i * 8192, i));
            }
            queue.push();
            assertEquals(4, ring.doWork());
            assertEquals(4, store.held(), "every write is with the store");
            assertEquals(4, ring.inFlight());
            assertEquals(baseline + 8, rig.pair.liveMappings(), "each write holds its two pages mapped");
            final Answers answers = new Answers();
            assertEquals(0, answers.poll(queue), "nothing answered before the store completes");

            store.complete(3, BlockStore.OK); // the write with cookie 3
            store.complete(1, BlockStore.OK); // cookie 1 (held now: 0, 1, 2)
            ring.doWork();
            assertEquals(2, answers.poll(queue));
            assertEquals(List.of(3L, 1L), answers.cookies, "answered in completion order");
            assertEquals(baseline + 4 + (persistent ? 4 : 0), rig.pair.liveMappings(),
                "completed writes released their mappings (persistent ones stay cached)");

            store.complete(1, BlockStore.OK); // cookie 2
            store.complete(0, BlockStore.OK); // cookie 0
            ring.doWork();
            answers.poll(queue);
            assertEquals(List.of(3L, 1L, 2L, 0L), answers.cookies);
            assertEquals(List.of(0, 0, 0, 0), answers.statuses);
            assertEquals(0, ring.inFlight());
            assertEquals(baseline + (persistent ? 8 : 0), rig.pair.liveMappings(), "no mapping leaked");
            final UnsafeBuffer disk = new UnsafeBuffer(new byte[8192]);
            for (int i = 0; i < 4; i++)
            {
                store.disk().read(i * 64L * 512, disk, 0, 8192);
                for (int b = 0; b < 8192; b++)
                {
                    assertEquals(data.getByte(i * 8192 + b), disk.getByte(b), "write " + i + " byte " + b);
                }
            }
        }
    }

    @Test
    void completionsFromAnotherThreadReachTheRing() throws Exception
    {
        final ControlledBlockStore store = new ControlledBlockStore(DISK);
        try (CoreRig rig = rig(store, false))
        {
            final BlkFrontQueue queue = rig.front.queue(0);
            final BlkRing ring = rig.back.rings().get(0);
            final UnsafeBuffer data = TestData.pattern(4096, 4);
            assertTrue(queue.write(8, 8, data, 0, 7));
            queue.push();
            ring.doWork();
            final Thread completer = new Thread(() -> store.completeAll(BlockStore.OK), "completer");
            completer.start();
            completer.join(10_000);
            assertTrue(!completer.isAlive(), "the completing thread finished");
            assertEquals(1, ring.doWork(), "one completion taken back");
            final Answers answers = new Answers();
            assertEquals(1, answers.poll(queue));
            assertEquals(List.of(7L), answers.cookies);
            assertEquals(List.of(BLKIF_RSP_OKAY), answers.statuses);
        }
    }

    @Test
    void aFailedIoIsAnsweredWithAnErrorAndTheRingServesOn()
    {
        final ControlledBlockStore store = new ControlledBlockStore(DISK);
        try (CoreRig rig = rig(store, false))
        {
            final BlkFrontQueue queue = rig.front.queue(0);
            final BlkRing ring = rig.back.rings().get(0);
            final int baseline = rig.pair.liveMappings();
            final UnsafeBuffer data = TestData.pattern(8192, 5);
            assertTrue(queue.write(0, 16, data, 0, 1));
            assertTrue(queue.read(0, 8, data, 0, 2));
            queue.push();
            ring.doWork();
            store.complete(0, BlockStore.EIO);
            store.complete(0, BlockStore.OK);
            ring.doWork();
            final Answers answers = new Answers();
            answers.poll(queue);
            assertEquals(List.of(1L, 2L), answers.cookies);
            assertEquals(List.of(BLKIF_RSP_ERROR, BLKIF_RSP_OKAY), answers.statuses);
            assertEquals(baseline, rig.pair.liveMappings(), "a failed request releases its mappings too");
            assertEquals(1, ring.counters().errors.get());
        }
    }

    @Test
    void aBarrierDrainsWhatIsInFlightThenRunsAlone()
    {
        final ControlledBlockStore store = new ControlledBlockStore(DISK);
        try (CoreRig rig = rig(store, false))
        {
            final BlkFrontQueue queue = rig.front.queue(0);
            final BlkRing ring = rig.back.rings().get(0);
            final UnsafeBuffer data = TestData.pattern(8192, 6);
            assertTrue(queue.write(0, 8, data, 0, 1));
            assertTrue(queue.barrier(2));
            assertTrue(queue.write(8, 8, data, 4096, 3));
            queue.push();
            ring.doWork();
            assertEquals(1, store.held(), "the barrier waits for the write before it; the write after waits too");
            assertEquals(BlockIo.WRITE, store.heldOp(0));
            ring.doWork();
            assertEquals(1, store.held(), "nothing moves while the first write is in flight");

            store.complete(0, BlockStore.OK);
            ring.doWork();
            assertEquals(1, store.held());
            assertEquals(BlockIo.FLUSH, store.heldOp(0), "the barrier runs once the ring drained");
            ring.doWork();
            assertEquals(1, store.held(), "the write after the barrier waits for its answer");

            store.complete(0, BlockStore.OK);
            ring.doWork();
            assertEquals(1, store.held());
            assertEquals(BlockIo.WRITE, store.heldOp(0));
            assertEquals(8L * 512, store.heldOffset(0));
            store.complete(0, BlockStore.OK);
            ring.doWork();
            final Answers answers = new Answers();
            answers.poll(queue);
            assertEquals(List.of(1L, 2L, 3L), answers.cookies);
            assertEquals(List.of(0, 0, 0), answers.statuses);
        }
    }

    @Test
    void aBarrierWithDataFlushesBeforeAndAfterItsWriteOneStageAtATime()
    {
        final ControlledBlockStore store = new ControlledBlockStore(DISK);
        try (CoreRig rig = rig(store, false))
        {
            final BlkFrontQueue queue = rig.front.queue(0);
            final BlkRing ring = rig.back.rings().get(0);
            final int baseline = rig.pair.liveMappings();
            final UnsafeBuffer data = TestData.pattern(4096, 7);
            assertTrue(queue.submit(BLKIF_OP_WRITE_BARRIER, 16, 8, 0, null, 0, data, 0, 9));
            queue.push();
            ring.doWork();
            assertEquals(BlockIo.FLUSH, store.heldOp(0), "pre-flush first");
            assertEquals(baseline + 1, rig.pair.liveMappings(), "the data page is mapped before anything runs");
            store.complete(0, BlockStore.OK);
            ring.doWork();
            assertEquals(BlockIo.WRITE, store.heldOp(0), "then the data");
            store.complete(0, BlockStore.OK);
            ring.doWork();
            assertEquals(BlockIo.FLUSH, store.heldOp(0), "then the post-flush: the barrier's own data is durable");
            assertEquals(0, new Answers().poll(queue), "not answered before the post-flush");
            store.complete(0, BlockStore.OK);
            ring.doWork();
            final Answers answers = new Answers();
            answers.poll(queue);
            assertEquals(List.of(9L), answers.cookies);
            assertEquals(List.of(BLKIF_RSP_OKAY), answers.statuses);
            assertEquals(2, store.flushes());
            assertEquals(baseline, rig.pair.liveMappings());
        }
    }

    @Test
    void aFailedFlushFailsItsRequestWithoutWritingItsDataAndStaysFailed()
    {
        final ControlledBlockStore store = new ControlledBlockStore(DISK);
        try (CoreRig rig = rig(store, false))
        {
            final BlkFrontQueue queue = rig.front.queue(0);
            final BlkRing ring = rig.back.rings().get(0);
            final UnsafeBuffer data = TestData.pattern(4096, 8);
            store.failFlushes();
            assertTrue(queue.flush(1));
            assertTrue(queue.submit(BLKIF_OP_FLUSH_DISKCACHE, 32, 8, 0, null, 0, data, 0, 2));
            queue.push();
            ring.doWork();
            assertEquals(2, store.held());
            store.completeAll(BlockStore.OK);
            ring.doWork();
            assertEquals(0, store.held(), "the data of a flush whose pre-flush failed is never submitted");
            assertTrue(queue.flush(3));
            queue.push();
            ring.doWork();
            store.completeAll(BlockStore.OK);
            ring.doWork();
            final Answers answers = new Answers();
            answers.poll(queue);
            assertEquals(List.of(1L, 2L, 3L), answers.cookies);
            assertEquals(List.of(BLKIF_RSP_ERROR, BLKIF_RSP_ERROR, BLKIF_RSP_ERROR), answers.statuses,
                "a failed flush stays failed");
            final UnsafeBuffer disk = new UnsafeBuffer(new byte[4096]);
            store.disk().read(32 * 512, disk, 0, 4096);
            for (int i = 0; i < 4096; i++)
            {
                assertEquals(0, disk.getByte(i), "byte " + i + " of the failed flush's data");
            }
        }
    }

    @Test
    void aFlushIsPassedOnAtOnceAndTheStoreDecidesWhatItCovers()
    {
        final ControlledBlockStore store = new ControlledBlockStore(DISK);
        try (CoreRig rig = rig(store, false))
        {
            final BlkFrontQueue queue = rig.front.queue(0);
            final BlkRing ring = rig.back.rings().get(0);
            final UnsafeBuffer data = TestData.pattern(4096, 9);
            assertTrue(queue.write(0, 8, data, 0, 1));
            assertTrue(queue.flush(2));
            queue.push();
            ring.doWork();
            assertEquals(2, store.held(), "unlike a barrier, a flush does not wait for the writes in flight");
            assertEquals(BlockIo.FLUSH, store.heldOp(1));
            store.complete(1, BlockStore.OK);
            store.complete(0, BlockStore.OK);
            ring.doWork();
            final Answers answers = new Answers();
            answers.poll(queue);
            assertEquals(List.of(2L, 1L), answers.cookies);
        }
    }

    @Test
    void aStoreThatCompletesTwiceIsIgnoredTheSecondTime()
    {
        final ControlledBlockStore store = new ControlledBlockStore(DISK);
        try (CoreRig rig = rig(store, false))
        {
            final BlkFrontQueue queue = rig.front.queue(0);
            final BlkRing ring = rig.back.rings().get(0);
            final int baseline = rig.pair.liveMappings();
            final UnsafeBuffer data = TestData.pattern(4096, 10);
            assertTrue(queue.write(0, 8, data, 0, 1));
            queue.push();
            ring.doWork();
            final BlockIo io = store.heldIo(0);
            assertNotNull(io);
            store.complete(0, BlockStore.OK);
            ControlledBlockStore.completeAgain(io);
            ring.doWork();
            ControlledBlockStore.completeAgain(io);
            ring.doWork();
            final Answers answers = new Answers();
            assertEquals(1, answers.poll(queue), "one answer");
            assertEquals(2, ring.strayCompletions());
            assertEquals(baseline, rig.pair.liveMappings(), "released exactly once");
        }
    }

    @Test
    void inFlightRequestsAreBoundedByWhatTheRingCanHaveOutstanding()
    {
        final ControlledBlockStore store = new ControlledBlockStore(DISK);
        try (CoreRig rig = rig(store, false))
        {
            final BlkFrontQueue queue = rig.front.queue(0);
            final BlkRing ring = rig.back.rings().get(0);
            final int entries = ring.backRing().geometry().entries();
            final UnsafeBuffer data = TestData.pattern(4096, 11);
            int submitted = 0;
            while (queue.write(submitted * 8L, 8, data, 0, submitted))
            {
                submitted++;
            }
            queue.push();
            for (int i = 0; i < 3; i++)
            {
                ring.doWork();
            }
            assertEquals(entries, submitted, "the frontend filled the ring");
            assertEquals(entries, store.held());
            assertEquals(entries, ring.inFlight());
            store.completeAll(BlockStore.OK);
            ring.doWork();
            assertEquals(0, ring.inFlight());
            assertEquals(entries, new Answers().poll(queue));
        }
    }

    @Test
    void aRingThatBreaksWaitsForItsIoInFlightBeforeUnmapping() throws Exception
    {
        final ControlledBlockStore store = new ControlledBlockStore(DISK);
        try (CoreRig rig = rig(store, false))
        {
            final BlkFrontQueue queue = rig.front.queue(0);
            final BlkRing ring = rig.back.rings().get(0);
            final UnsafeBuffer data = TestData.pattern(4096, 15);
            assertTrue(queue.write(0, 8, data, 0, 1));
            queue.push();
            ring.doWork();
            final FrontRing front = queue.frontRing();
            front.buffer().putIntRelease(SharedRingDescriptor.REQ_PROD_OFFSET, front.reqProdPvt() + front.size() + 5);
            ring.doWork();
            assertTrue(rig.back.isBroken(), rig.back.brokenReason());
            assertEquals(1, ring.inFlight(), "the write taken before the break is still with the store");
            final int mapped = rig.pair.liveMappings();
            final Thread closer = new Thread(rig.back::disconnect, "closer");
            closer.start();
            final long deadline = System.nanoTime() + 60_000_000_000L;
            while (closer.getState() != Thread.State.TIMED_WAITING)
            {
                assertTrue(System.nanoTime() - deadline < 0, "timed out after 60 s waiting for the disconnect to wait");
                Thread.yield();
            }
            assertEquals(mapped, rig.pair.liveMappings(), "nothing unmapped while the write is in flight");
            assertNotNull(store.heldIo(0).page(0), "the write's page is still mapped");
            store.complete(0, BlockStore.OK);
            closer.join(60_000);
            assertTrue(!closer.isAlive(), "the disconnect finished once the write completed");
            assertEquals(0, rig.pair.liveMappings());
        }
    }
}
