package io.pvring.netback.xenbus;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.pvring.event.WaitMode;
import io.pvring.host.Domain;
import io.pvring.host.Host;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.NetBackDriver;
import io.pvring.netback.NetBackVif;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.stats.VifCounters;
import io.pvring.netback.test.TestFrames;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.netfront.NetFrontConfig;
import io.pvring.netfront.NetFrontDriver;
import io.pvring.runner.AgentHandle;
import io.pvring.runner.RunnerPool;
import io.pvring.runner.RunnerPoolConfig;
import io.pvring.serve.ServeHost;
import io.pvring.xenbus.XenbusDeviceSpec;
import io.pvring.testing.BoundedSpin;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A host (and a serve host) with connected vifs and no traffic: queues that sleep (notify, adaptive) leave their
 * runners parked, and the backend key {@value NetBackDriver#WAIT_MODE} chooses the mode per vif. Parked is asserted
 * from the runners' own state and counters, not from CPU time.
 */
class IdleVifsParkTest
{
    private static final int VIFS = 4;

    @ParameterizedTest
    @EnumSource(value = WaitMode.class, names = {"NOTIFY", "ADAPTIVE"})
    @Timeout(60)
    void idleVifsLetEveryRunnerPark(final WaitMode mode)
    {
        final NetBackDriver netback = new NetBackDriver(NetBackConfig.builder().build(), new VirtualSwitch(),
            SystemNanoClock.INSTANCE, mode);
        try (Host host = Host.start(new RunnerPoolConfig().runners(2), netback); netback)
        {
            final NetBackVif[] vifs = connect(host, netback, VIFS, null, new ArrayList<>());
            final RunnerPool pool = host.runners();
            for (final NetBackVif vif : vifs)
            {
                final AgentHandle h = vif.agent(0).handle();
                assertEquals(mode, h.mode(), "the driver's default wait mode");
                BoundedSpin.until(() -> h.isAsleep() && h.sleeps() > 0, () -> "an idle queue sleeps: " + h);
            }
            BoundedSpin.until(() -> pool.runner(0).isParked() && pool.runner(1).isParked(),
                () -> "both runners park with only sleeping queues: " + pool);
            final long[] parks = {pool.runner(0).parks(), pool.runner(1).parks()};
            assertTrue(parks[0] > 0 && parks[1] > 0, "each runner parked: " + pool);
            for (final NetBackVif vif : vifs)
            {
                assertFalse(vif.isDisabled());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = WaitMode.class, names = {"NOTIFY", "ADAPTIVE"})
    @Timeout(60)
    void anIdleServeWithVifsParksItsRunners(final WaitMode mode, @TempDir final Path dir)
    {
        final NetBackDriver netback = new NetBackDriver(NetBackConfig.builder().build(), new VirtualSwitch(),
            SystemNanoClock.INSTANCE, mode);
        try (ServeHost serve = ServeHost.start(dir.resolve("serve"), new RunnerPoolConfig().runners(2), null,
            netback); netback)
        {
            final NetBackVif[] vifs = connect(serve.host(), netback, VIFS, null, new ArrayList<>());
            final RunnerPool pool = serve.host().runners();
            BoundedSpin.until(() -> pool.runner(0).isParked() && pool.runner(1).isParked(),
                () -> "both runners of the idle serve park: " + pool);
            final long parks = pool.runner(0).parks() + pool.runner(1).parks();
            for (final NetBackVif vif : vifs)
            {
                final AgentHandle h = vif.agent(0).handle();
                assertTrue(h.isAsleep() && h.sleeps() > 0, "an idle queue sleeps: " + h);
            }
            assertTrue(parks > 0, "the runners parked: " + pool);
        }
    }

    @Test
    @Timeout(60)
    void theBackendKeyChoosesAVifsWaitModeAndItsCountersShowIt()
    {
        final VirtualSwitch vswitch = new VirtualSwitch();
        final CountersManager counters = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(64 * CountersReader.METADATA_LENGTH)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(64 * CountersReader.COUNTER_LENGTH)));
        final NetBackDriver netback = new NetBackDriver(NetBackConfig.builder().build(), vswitch,
            SystemNanoClock.INSTANCE, WaitMode.POLL, counters);
        try (Host host = Host.start(new RunnerPoolConfig().runners(1), netback); netback)
        {
            final List<NetFrontDriver> fronts = new ArrayList<>();
            final NetBackVif[] vifs = connect(host, netback, 2, "adaptive", fronts);
            for (final NetBackVif vif : vifs)
            {
                final AgentHandle h = vif.agent(0).handle();
                assertEquals(WaitMode.ADAPTIVE, h.mode(), "wait-mode=adaptive overrides the driver's poll");
                BoundedSpin.until(() -> h.sleeps() > 0 && h.isAsleep(),
                    () -> "the adaptive queue sleeps when idle: " + h);
            }
            BoundedSpin.until(() -> host.runners().runner(0).isParked(), () -> "the runner parks: " + host.runners());
            // the runner's figures reach the published counters when the queue next arms: wake every queue once
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[128]);
            final int length = TestFrames.udp(frame, false, 32);
            TestFrames.ethernet(frame, Ethernet.BROADCAST, 0x00_16_3e_00_01_00L, Ethernet.TYPE_IPV4);
            assertTrue(fronts.get(0).netFront().send(frame, 0, length, 0, 0, 0));
            fronts.get(0).netFront().flush();
            for (final NetBackVif vif : vifs)
            {
                final VifCounters published = published(vif);
                assertTrue(published.sleeps() > 0 && published.wakeups() > 0, "sleeps and wake-ups published");
            }
        }
    }

    private static VifCounters published(final NetBackVif vif)
    {
        final VifCounters[] found = new VifCounters[1];
        BoundedSpin.until(() ->
        {
            found[0] = vif.counters(0);
            return found[0] != null && found[0].sleeps() > 0 && found[0].wakeups() > 0;
        }, () -> "the queue published its runner figures: " + vif.agent(0).handle());
        return found[0];
    }

    private static NetBackVif[] connect(final Host host, final NetBackDriver netback, final int count,
        final String waitKey, final List<NetFrontDriver> fronts)
    {
        for (int i = 0; i < count; i++)
        {
            final Domain guest = host.createDomain("idle" + i, 64L << 20);
            final String mac = Ethernet.format(0x00_16_3e_00_01_00L + i);
            final Map<String, String> back = waitKey == null ? Map.of("mac", mac)
                : Map.of("mac", mac, NetBackDriver.WAIT_MODE, waitKey);
            host.addDevice(new XenbusDeviceSpec("vif", 0, guest.domid(), "0", back, Map.of("mac", mac)));
            final NetFrontDriver front = new NetFrontDriver(NetFrontConfig.builder().firstGfn(0x100).build());
            host.attachFrontend(guest, "vif", "0", front);
            fronts.add(front);
            BoundedSpin.until(front::isBackendConnected, () -> "vif " + mac + " connected");
        }
        BoundedSpin.until(() -> netback.vifs().size() == count,
            () -> "netback has " + count + " vifs: " + netback.vifs());
        final NetBackVif[] vifs = netback.vifs().toArray(new NetBackVif[0]);
        for (final NetBackVif vif : vifs)
        {
            BoundedSpin.until(() -> vif.agent(0).handle() != null, () -> vif.name() + " on its runner");
        }
        return vifs;
    }

}
