package io.pvring.netback.perf;

import java.util.concurrent.atomic.AtomicBoolean;

import io.pvring.event.WaitMode;
import io.pvring.netif.FrontendFeatures;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.test.NetRig;
import io.pvring.netback.test.TestFrames;
import io.pvring.netfront.FrameHandler;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Hand-run throughput measurement (not a unit test): netfront A -> netback A -> switch -> netback B -> netfront B,
 * one queue each. Thread 1 runs both backends (busy spin); the calling thread runs both frontends (send a batch,
 * flush, receive). Usage: {@code NetPathThroughput <frameBytes> [seconds] [batch] [single|two]
 * [poll|backoff|notify|adaptive]}: "single" runs backends and frontends on one thread (the CPU cost of the whole path
 * per packet); otherwise the backends run on one runner of a pool, waiting as the fifth argument says; "backoff" lets
 * both threads yield when idle (for a machine with fewer free cores than threads); a sixth argument "zerocopy"
 * builds frames in place with {@link io.pvring.netfront.NetFront#claimSend()} (only the header is written).
 */
public final class NetPathThroughput
{
    private NetPathThroughput()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final int length = Integer.parseInt(args[0]);
        final int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        final int batch = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        final boolean single = args.length > 3 && "single".equals(args[3]);
        final boolean yieldWhenIdle = args.length > 4 && !"poll".equals(args[4]);
        final boolean zeroCopy = args.length > 5 && "zerocopy".equals(args[5]);
        try (NetRig rig = new NetRig())
        {
            rig.nanos = 0;
            final NetRig.Guest a = rig.addGuest("a", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
            final NetRig.Guest b = rig.addGuest("b", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[length]);
            // teach the switch where B lives, then stream unicast A -> B
            TestFrames.ethernet(frame, TestFrames.MAC_A, TestFrames.MAC_B, 0x88B5);
            b.front.send(frame, 0, 60, 0, 0, 0);
            b.front.flush();
            rig.pump();
            TestFrames.ethernet(frame, TestFrames.MAC_B, TestFrames.MAC_A, 0x88B5);
            final long[] bytes = new long[1];
            final FrameHandler sink = (buf, o, l, f, t, s) -> bytes[0] += l;
            final AtomicBoolean running = new AtomicBoolean(true);
            final WaitMode wait = WaitMode.parse(args.length > 4 ? args[4] : "poll");
            if (!single)
            {
                rig.runOn(1, wait); // both backends' queues on one runner thread
            }
            long received = 0;
            long start = 0;
            long startReceived = 0;
            long startBytes = 0;
            final long warmupEnd = System.nanoTime() + 2_000_000_000L;
            boolean measuring = false;
            final long end = warmupEnd + seconds * 1_000_000_000L;
            while (running.get())
            {
                for (int i = 0; i < batch; i++)
                {
                    if (zeroCopy)
                    {
                        // the generator writes only the header into the TX page: the payload stays in place
                        final MutableDirectBuffer page = a.front.claimSend();
                        if (page == null)
                        {
                            break;
                        }
                        page.putBytes(0, frame, 0, 14);
                        a.front.commitSend(length, 0);
                    }
                    else if (!a.front.send(frame, 0, length, 0, 0, 0))
                    {
                        break;
                    }
                }
                a.front.flush();
                if (single)
                {
                    a.vif.doWork();
                    b.vif.doWork();
                }
                final int got = b.front.receive(sink, 256);
                received += got;
                if (got == 0 && yieldWhenIdle)
                {
                    Thread.yield();
                }
                final long now = System.nanoTime();
                if (!measuring && now > warmupEnd)
                {
                    measuring = true;
                    start = now;
                    startReceived = received;
                    startBytes = bytes[0];
                }
                if (now > end)
                {
                    running.set(false);
                }
            }
            final long elapsed = System.nanoTime() - start;
            final double pps = (received - startReceived) * 1e9 / elapsed;
            final double gbps = (bytes[0] - startBytes) * 8 / (double)elapsed;
            System.out.printf((single ? "one thread: " : "two threads: ") + (zeroCopy ? "zero-copy send: " : "")
                + "frame=%d B  %.3f Mpps  %.2f Gbit/s (frame bytes)  drops=%d  txNotify=%d/%d "
                + "rxNotify=%d/%d%n", length, pps / 1e6, gbps, b.vif.queue(0).counters().rxDrops(),
                a.vif.queue(0).counters().txNotifySent(), a.vif.queue(0).counters().txNotifySuppressed(),
                b.vif.queue(0).counters().rxNotifySent(), b.vif.queue(0).counters().rxNotifySuppressed());
        }
    }
}
