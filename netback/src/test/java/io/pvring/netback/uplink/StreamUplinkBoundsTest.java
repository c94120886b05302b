package io.pvring.netback.uplink;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import io.netty.channel.unix.DomainSocketAddress;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.test.TestFrames;
import io.pvring.netback.vswitch.Offload;
import io.pvring.netback.vswitch.SwitchPort;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.unix.FloodClient;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Hostile peers of the QEMU stream uplink socket: what one may make pvring hold is a constant, asserted. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class StreamUplinkBoundsTest
{
    private static final long WAIT_MS = 20_000;
    private static final long MAC_C = 0x02_00_00_00_00_0CL;

    @TempDir
    Path dir;

    /** One stream-framed Ethernet frame from {@code src} to {@code dst}. */
    private static byte[] streamFrame(final long dst, final long src, final int length)
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[StreamFraming.LENGTH_FIELD + length]);
        b.putInt(0, length, java.nio.ByteOrder.BIG_ENDIAN);
        final UnsafeBuffer frame = new UnsafeBuffer(b, StreamFraming.LENGTH_FIELD, length);
        TestFrames.ethernet(frame, dst, src, 0x88B5);
        return b.byteArray();
    }

    @Test
    void aPeerThatNeverReadsHoldsAConstantAndOthersStillExchangeFrames()
    {
        final VirtualSwitch vswitch = new VirtualSwitch();
        final AtomicLong fromC = new AtomicLong();
        final SwitchPort local = vswitch.attach("local", (f, o, l, fl, g, s) ->
        {
            if (l >= 12 && (f.getByte(o + 11) & 0xFF) == (MAC_C & 0xFF))
            {
                fromC.incrementAndGet();
            }
            return true;
        }, Offload.CAP_NONE);
        try (StreamUplink uplink = StreamUplink.listen(vswitch, "qemu",
            new DomainSocketAddress(dir.resolve("net.sock").toString()));
            FloodClient lazy = FloodClient.connect(dir.resolve("net.sock")))
        {
            awaitCondition(() -> uplink.peers() == 1, "the peer attached");
            // The switch floods broadcast frames at a peer that never reads.
            final byte[] broadcast = new byte[1514];
            TestFrames.ethernet(new UnsafeBuffer(broadcast), Ethernet.BROADCAST, TestFrames.MAC_A, 0x88B5);
            final UnsafeBuffer frame = new UnsafeBuffer(broadcast);
            for (int i = 0; i < 20_000; i++)
            {
                local.transmit(frame, 0, broadcast.length, 0, 0, 0);
                if (i % 1000 == 0)
                {
                    final long held = uplink.maxPeerBufferedBytes();
                    assertTrue(held <= StreamUplink.MAX_BUFFERED_PER_PEER, "held=" + held + " after " + i);
                }
            }
            final long held = uplink.maxPeerBufferedBytes();
            assertTrue(held <= StreamUplink.MAX_BUFFERED_PER_PEER, "held=" + held);
            assertTrue(local.counters().inPackets() >= 20_000, "the switch took every frame");
            assertTrue(lazy.read() == 0, "the lazy peer read nothing");
            // Another peer's frames still reach the switch, each within its own bound.
            try (FloodClient other = FloodClient.connect(dir.resolve("net.sock")))
            {
                final byte[] hello = streamFrame(TestFrames.MAC_A, MAC_C, 60);
                for (int i = 1; i <= 100; i++)
                {
                    other.writeFully(hello, WAIT_MS);
                    final long want = i;
                    awaitCondition(() -> fromC.get() >= want, "frame " + want + " of the other peer");
                }
            }
        }
    }

    @Test
    void aPeerThatFloodsAtFullSpeedDoesNotStarveAnother() throws Exception
    {
        final VirtualSwitch vswitch = new VirtualSwitch();
        final AtomicLong fromC = new AtomicLong();
        final AtomicLong fromB = new AtomicLong();
        vswitch.attach("local", (f, o, l, fl, g, s) ->
        {
            final int src = f.getByte(o + 11) & 0xFF;
            (src == (MAC_C & 0xFF) ? fromC : fromB).incrementAndGet();
            return true;
        }, Offload.CAP_NONE);
        final AtomicBoolean stop = new AtomicBoolean();
        final ExecutorService pool = Executors.newSingleThreadExecutor();
        try (StreamUplink uplink = StreamUplink.listen(vswitch, "qemu",
            new DomainSocketAddress(dir.resolve("net.sock").toString()));
            FloodClient flood = FloodClient.connect(dir.resolve("net.sock"));
            FloodClient other = FloodClient.connect(dir.resolve("net.sock")))
        {
            final byte[] one = streamFrame(TestFrames.MAC_A, TestFrames.MAC_B, 1514);
            final ByteBuffer batch = ByteBuffer.allocate(one.length * 32);
            while (batch.hasRemaining())
            {
                batch.put(one);
            }
            final Future<?> flooding = pool.submit(() ->
            {
                while (!stop.get())
                {
                    flood.writeFully(batch.array(), WAIT_MS);
                }
            });
            awaitCondition(() -> fromB.get() >= 1000, "the flooder's frames are switched");
            final byte[] hello = streamFrame(TestFrames.MAC_A, MAC_C, 60);
            for (int i = 1; i <= 200; i++)
            {
                other.writeFully(hello, WAIT_MS);
                final long want = i;
                awaitCondition(() -> fromC.get() >= want, "frame " + want + " of the other peer");
            }
            final long held = uplink.maxPeerBufferedBytes();
            assertTrue(held <= StreamUplink.MAX_BUFFERED_PER_PEER, "held=" + held);
            stop.set(true);
            flooding.get(WAIT_MS, TimeUnit.MILLISECONDS);
        }
        finally
        {
            stop.set(true);
            pool.shutdownNow();
        }
    }

    @Test
    void aLengthBeyondQemusMaximumClosesOnlyThatPeer()
    {
        final VirtualSwitch vswitch = new VirtualSwitch();
        vswitch.attach("local", (f, o, l, fl, g, s) -> true, Offload.CAP_NONE);
        try (StreamUplink uplink = StreamUplink.listen(vswitch, "qemu",
            new DomainSocketAddress(dir.resolve("net.sock").toString()));
            FloodClient bad = FloodClient.connect(dir.resolve("net.sock")))
        {
            final byte[] header = {0x7F, 0, 0, 0};
            bad.writeFully(header, WAIT_MS);
            assertTrue(bad.closedByServer(WAIT_MS), "an oversize frame ends the connection");
            awaitCondition(() -> uplink.peers() == 0, "the peer's port went with it");
        }
    }

    private static void awaitCondition(final BooleanSupplier condition, final String what)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                fail(what + ": not within " + WAIT_MS + " ms");
            }
            LockSupport.parkNanos(100_000);
        }
    }
}
