package io.pvring.blkback;

import io.pvring.blkback.store.NullBlockStore;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.event.WaitMode;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The ring's event indices keep notifications to the ones a sleeping peer needs. */
class NotificationSuppressionTest
{
    private static void round(final Rig rig, final UnsafeBuffer into, final int requests)
    {
        for (int i = 0; i < requests; i++)
        {
            rig.q(0).read(i * 8L, 8, into, 0, i);
        }
        rig.completions.clear();
        rig.run();
        assertEquals(requests, rig.completions.size());
    }

    @Test
    void aPollingBackendIsNeverNotifiedAfterTheFirstPush()
    {
        try (Rig rig = new Rig(new NullBlockStore(1 << 20, 512),
            BlkBackConfig.builder().waitMode(WaitMode.POLL).build(),
            BlkFrontConfig.defaults()))
        {
            final UnsafeBuffer into = new UnsafeBuffer(new byte[4096]);
            for (int r = 0; r < 50; r++)
            {
                round(rig, into, 4);
            }
            assertEquals(1, rig.q(0).notificationsSent(), "only SHARED_RING_INIT's req_event=1 asks for one");
            assertEquals(1, rig.ports[0][1].received.get());
            final BlkRingCounters counters = rig.ring(0).counters();
            assertEquals(1, counters.notificationsSent.get(), "the frontend never re-armed rsp_event");
            assertEquals(49, counters.notificationsSuppressed.get());
            assertEquals(200, counters.responses.get());
        }
    }

    @Test
    void aNotifiedBackendIsWokenOncePerIdleSpell()
    {
        try (Rig rig = new Rig(new NullBlockStore(1 << 20, 512),
            BlkBackConfig.builder().waitMode(WaitMode.NOTIFY).build(),
            BlkFrontConfig.defaults()))
        {
            final UnsafeBuffer into = new UnsafeBuffer(new byte[4096]);
            for (int r = 0; r < 10; r++)
            {
                round(rig, into, 3);
            }
            assertEquals(10, rig.q(0).notificationsSent(), "the backend re-arms req_event each time it runs dry");

            // Several pushes while the backend has not run: only the first one notifies.
            final long before = rig.q(0).notificationsSent();
            for (int i = 0; i < 4; i++)
            {
                rig.q(0).read(i * 8L, 8, into, 0, i);
                rig.q(0).push();
            }
            assertEquals(before + 1, rig.q(0).notificationsSent());
            rig.completions.clear();
            rig.run();
            assertEquals(4, rig.completions.size());
        }
    }
}
