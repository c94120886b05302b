package io.pvring.blkback;

import java.util.ArrayList;
import java.util.List;

import io.pvring.blkback.store.BlockIo;
import io.pvring.blkback.store.BlockQueue;
import io.pvring.blkback.store.BlockStore;
import io.pvring.blkback.test.ControlledBlockStore;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.event.WaitMode;
import io.pvring.runner.AgentWaker;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A store whose completions only the ring's own poll sees (the io_uring engine reaps its completion queue on the
 * ring's thread; nobody signals): a ring about to sleep with such I/O in flight first reaps what is there, and if
 * nothing is, asks its waker to come back within {@link BlockQueue#POLL_WITHIN_NANOS} instead of sleeping until a
 * signal that never comes. With nothing in flight it asks for nothing. Stepped on the test thread.
 */
class PolledCompletionsTest
{
    @Test
    void aRingAsleepWithPolledIoInFlightComesBackToReapIt()
    {
        final PolledStore store = new PolledStore(new ControlledBlockStore(1 << 20));
        final BlkBackConfig bc = BlkBackConfig.builder().waitMode(WaitMode.NOTIFY).build();
        final BlkFrontConfig fc = BlkFrontConfig.builder().persistentGrants(false).build();
        try (Rig rig = new Rig(store, bc, fc))
        {
            final BlkRing ring = rig.ring(0);
            final RecordingWaker waker = new RecordingWaker();
            ring.waker(waker);
            final UnsafeBuffer into = new UnsafeBuffer(new byte[4096]);
            assertTrue(rig.q(0).read(8, 8, into, 0, 7), "queued");
            rig.q(0).push();
            ring.doWork();
            assertEquals(1, store.disk.held(), "the read is in flight in the store");

            assertFalse(ring.armAndCheck(), "nothing to reap yet: the ring may sleep");
            assertTrue(waker.within.contains(BlockQueue.POLL_WITHIN_NANOS),
                "but only after asking to come back within the poll bound: " + waker.within);

            store.reapable = true;
            assertTrue(ring.armAndCheck(), "the check before sleeping reaps the completion that arrived");
            ring.doWork();
            final List<long[]> done = new ArrayList<>();
            rig.q(0).poll((cookie, op, status) -> done.add(new long[]{ cookie, status }));
            assertEquals(1, done.size(), "answered");
            assertEquals(BLKIF_RSP_OKAY, (int)done.get(0)[1], "status");

            waker.within.clear();
            ring.armAndCheck();
            assertFalse(waker.within.contains(BlockQueue.POLL_WITHIN_NANOS),
                "nothing in flight: no timed wake-up asked " + waker.within);
        }
    }

    private static final class RecordingWaker implements AgentWaker
    {
        final List<Long> within = new ArrayList<>();

        public void wake()
        {
            // The frontend's notifications land here; this test looks only at the timed wake-ups.
        }

        public void wakeWithin(final long nanos)
        {
            within.add(nanos);
        }
    }

    /** Holds ios until the test says they are reapable; then the ring's poll completes them on its thread. */
    private static final class PolledStore implements BlockStore
    {
        final ControlledBlockStore disk;
        boolean reapable;

        PolledStore(final ControlledBlockStore disk)
        {
            this.disk = disk;
        }

        @Override
        public BlockQueue openQueue(final int maxInFlight, final int maxSegments, final Runnable completionSignal)
        {
            return new BlockQueue()
            {
                public void submit(final BlockIo io)
                {
                    disk.submit(io);
                }

                public int poll()
                {
                    final int held = disk.held();
                    if (!reapable || held == 0)
                    {
                        return 0;
                    }
                    disk.completeAll(OK);
                    return held;
                }

                public int flush()
                {
                    return 0;
                }

                public int inFlight()
                {
                    return disk.held();
                }

                @Override
                public boolean needsPolling()
                {
                    return disk.held() > 0;
                }

                public void close()
                {
                    disk.completeAll(EIO);
                }
            };
        }

        public long sizeBytes()
        {
            return disk.sizeBytes();
        }

        public int logicalSectorSize()
        {
            return disk.logicalSectorSize();
        }

        public int physicalSectorSize()
        {
            return disk.physicalSectorSize();
        }

        public boolean isReadOnly()
        {
            return false;
        }

        public boolean canFlush()
        {
            return disk.canFlush();
        }

        public boolean canDiscard()
        {
            return false;
        }

        public boolean canSecureDiscard()
        {
            return false;
        }

        public int discardGranularity()
        {
            return disk.discardGranularity();
        }

        public void submit(final BlockIo io)
        {
            disk.submit(io);
        }

        public boolean resize(final long newSizeBytes)
        {
            return false;
        }

        public String describe()
        {
            return "polled:" + disk.describe();
        }

        public void close()
        {
            disk.close();
        }
    }
}
