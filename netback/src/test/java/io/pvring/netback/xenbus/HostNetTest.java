package io.pvring.netback.xenbus;

import java.util.Map;

import io.pvring.event.WaitMode;
import io.pvring.host.Domain;
import io.pvring.host.Host;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.NetBackDriver;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.test.TestFrames;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.netfront.NetFront;
import io.pvring.netfront.NetFrontConfig;
import io.pvring.netfront.NetFrontDriver;
import io.pvring.xenbus.XenbusDeviceSpec;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedding API: a Host with netback on its own threads, two guests, traffic, teardown. */
class HostNetTest
{
    @ParameterizedTest
    @EnumSource(value = WaitMode.class, names = {"BACKOFF", "NOTIFY", "POLL", "ADAPTIVE"})
    @Timeout(60)
    void twoGuestsTalkThroughNetbackOnItsOwnThreads(final WaitMode idle)
    {
        final VirtualSwitch vswitch = new VirtualSwitch();
        final NetBackDriver netback = new NetBackDriver(NetBackConfig.builder().build(), vswitch,
            SystemNanoClock.INSTANCE, idle);
        final NetFrontDriver fa = new NetFrontDriver(
            NetFrontConfig.builder().firstGfn(0x100).splitEventChannels(true).build());
        final NetFrontDriver fb = new NetFrontDriver(NetFrontConfig.builder().firstGfn(0x100).build());
        try (Host host = Host.start(netback); netback)
        {
            final Domain a = host.createDomain("a", 64L << 20);
            final Domain b = host.createDomain("b", 64L << 20);
            host.addDevice(new XenbusDeviceSpec("vif", 0, a.domid(), "0", Map.of("mac", "00:16:3e:00:00:01"),
                Map.of("mac", "00:16:3e:00:00:01")));
            host.addDevice(new XenbusDeviceSpec("vif", 0, b.domid(), "0", Map.of("mac", "00:16:3e:00:00:02"),
                Map.of("mac", "00:16:3e:00:00:02")));
            host.attachFrontend(a, "vif", "0", fa);
            host.attachFrontend(b, "vif", "0", fb);
            final long deadline = System.nanoTime() + 30_000_000_000L;
            while (!(fa.isBackendConnected() && fb.isBackendConnected()) && System.nanoTime() < deadline)
            {
                Thread.yield();
            }
            assertTrue(fa.isBackendConnected() && fb.isBackendConnected(), "both vifs connected");
            final NetFront from = fa.netFront();
            final NetFront to = fb.netFront();
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[1514]);
            TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, 0x88B5);
            int received = 0;
            int sent = 0;
            while (received < 10_000 && System.nanoTime() < deadline)
            {
                if (sent < 10_000 && sent - received < 128 && from.send(frame, 0, 1514, 0, 0, 0))
                {
                    sent++;
                }
                from.flush();
                received += to.receive((buf, o, l, f, t, s) -> { }, 64);
                from.reclaimTx();
            }
            assertEquals(10_000, received);
        }
        assertEquals(0, vswitch.ports().length, "closing the host disconnected both vifs");
    }
}
