package io.pvring.netback.xenbus;

import java.time.Duration;
import java.util.Map;

import io.pvring.event.WaitMode;
import io.pvring.host.Domain;
import io.pvring.host.Host;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.NetBackDriver;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.netfront.NetFrontConfig;
import io.pvring.netfront.NetFrontDriver;
import io.pvring.runner.AgentHandle;
import io.pvring.runner.RunnerPoolConfig;
import io.pvring.xenbus.XenbusDeviceSpec;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Closing the driver is prompt whatever the vifs' wait mode: a sleeping queue is taken off its runner (the runner is
 * the host's and keeps running), and the driver has no thread of its own to outlive it.
 */
class NetBackDriverCloseTest
{
    @Test
    void theDriverStartsNoThreadOfItsOwn()
    {
        final int before = netbackThreads();
        final NetBackDriver netback = new NetBackDriver(NetBackConfig.builder().build(), new VirtualSwitch(),
            SystemNanoClock.INSTANCE, WaitMode.POLL);
        assertEquals(before, netbackThreads(), "no netback thread");
        netback.close();
        assertEquals(before, netbackThreads());
    }

    @ParameterizedTest
    @EnumSource(value = WaitMode.class, names = {"POLL", "NOTIFY", "ADAPTIVE"})
    @Timeout(60)
    void closeTakesAConnectedVifOffItsRunnerPromptly(final WaitMode mode)
    {
        final VirtualSwitch vswitch = new VirtualSwitch();
        final NetBackDriver netback = new NetBackDriver(NetBackConfig.builder().build(), vswitch,
            SystemNanoClock.INSTANCE, mode);
        final NetFrontDriver front = new NetFrontDriver(
            NetFrontConfig.builder().firstGfn(0x100).splitEventChannels(true).build());
        try (Host host = Host.start(new RunnerPoolConfig().runners(1), netback))
        {
            final Domain guest = host.createDomain("a", 64L << 20);
            host.addDevice(new XenbusDeviceSpec("vif", 0, guest.domid(), "0", Map.of("mac", "00:16:3e:00:00:01"),
                Map.of("mac", "00:16:3e:00:00:01")));
            host.attachFrontend(guest, "vif", "0", front);
            final long deadline = System.nanoTime() + 30_000_000_000L;
            while (!(front.isBackendConnected() && netback.vifs().size() == 1) && System.nanoTime() < deadline)
            {
                Thread.yield();
            }
            assertTrue(front.isBackendConnected() && netback.vifs().size() == 1, "vif connected");
            while (netback.vifs().get(0).agent(0).handle() == null && System.nanoTime() < deadline)
            {
                Thread.yield(); // the runner registers its waker (the handle) when it applies the add
            }
            final AgentHandle handle = netback.vifs().get(0).agent(0).handle();
            assertTrue(handle != null, "the vif's queue is on its runner");
            while (mode.sleeps() && !(handle.isAsleep() && host.runners().runner(0).isParked())
                && System.nanoTime() < deadline)
            {
                Thread.yield();
            }
            assertTrue(!mode.sleeps() || host.runners().runner(0).isParked(), "the runner parked: " + handle);
            assertTimeoutPreemptively(Duration.ofSeconds(2), netback::close);
            assertTrue(handle.isRemoved(), "the queue left its runner: " + handle);
            assertEquals(0, host.runners().runner(0).load(), "nothing left on the runner");
            assertEquals(0, vswitch.ports().length, "the vif was disconnected");
        }
    }

    private static int netbackThreads()
    {
        int n = 0;
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (thread.getName().startsWith("netback") && thread.isAlive())
            {
                n++;
            }
        }
        return n;
    }
}
