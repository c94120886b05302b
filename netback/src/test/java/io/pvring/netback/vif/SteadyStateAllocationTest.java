package io.pvring.netback.vif;

import java.lang.management.ManagementFactory;

import io.pvring.netif.FrontendFeatures;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.NetBackVif;
import io.pvring.netback.test.NetRig;
import io.pvring.netback.test.TestFrames;
import io.pvring.netfront.FrameHandler;
import io.pvring.netfront.NetFront;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The whole path (netfront, netback TX, switch, netback RX, netfront) allocates nothing per packet once warm. */
class SteadyStateAllocationTest
{
    private long received;

    @Test
    void noAllocationPerPacket()
    {
        final java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "needs com.sun.management.ThreadMXBean");
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)bean;
        try (NetRig rig = new NetRig())
        {
            final NetRig.Guest a = rig.addGuest("a", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
            final NetRig.Guest b = rig.addGuest("b", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[9000]);
            TestFrames.ethernet(frame, TestFrames.MAC_A, TestFrames.MAC_B, 0x88B5);
            b.front.send(frame, 0, 60, 0, 0, 0);
            b.front.flush();
            rig.pump();
            TestFrames.ethernet(frame, TestFrames.MAC_B, TestFrames.MAC_A, 0x88B5);
            final FrameHandler handler = (buf, o, l, f, t, s) -> received++;
            run(a.front, a.vif, b.vif, b.front, frame, handler, 100_000);
            final long id = Thread.currentThread().getId();
            // A window may still see the JVM's own one-off allocations: a class's first compile request resolves
            // its string constants on the requesting thread, whenever the JIT gets there. A per-packet allocation
            // shows in every window; so the path must allocate nothing in at least one of three.
            final long[] windows = new long[3];
            long allocated = -1;
            for (int w = 0; w < windows.length && allocated != 0; w++)
            {
                final long before = threads.getThreadAllocatedBytes(id);
                run(a.front, a.vif, b.vif, b.front, frame, handler, 100_000);
                allocated = threads.getThreadAllocatedBytes(id) - before;
                windows[w] = allocated;
            }
            assertEquals(0, allocated, "bytes allocated for 100000 packets of 64 and 9000 bytes, per window: "
                + java.util.Arrays.toString(windows));
        }
    }

    private void run(final NetFront from, final NetBackVif fromVif, final NetBackVif toVif, final NetFront to,
        final UnsafeBuffer frame, final FrameHandler handler, final int packets)
    {
        final long target = received + packets;
        int i = 0;
        while (received < target)
        {
            from.send(frame, 0, (i++ & 1) == 0 ? 64 : 9000, 0, 0, 0);
            from.flush();
            fromVif.doWork();
            toVif.doWork();
            to.receive(handler, 64);
            from.reclaimTx();
        }
    }
}
