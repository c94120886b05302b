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
import io.pvring.xenbus.XenbusDeviceSpec;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Closing the driver is prompt whatever the runner's idle strategy: a runner parked by the notify strategy is woken
 * to end its loop (AgentRunner's own close would wait 5 s before interrupting it), and no thread outlives it.
 */
class NetBackDriverCloseTest
{
    @ParameterizedTest
    @EnumSource(value = WaitMode.class, names = {"NOTIFY", "BACKOFF", "POLL", "ADAPTIVE"})
    @Timeout(30)
    void idleRunnerClosesPromptly(final WaitMode idle)
    {
        final NetBackDriver netback = new NetBackDriver(NetBackConfig.builder().build(), new VirtualSwitch(),
            SystemNanoClock.INSTANCE, idle);
        final Thread runner = runnerThread();
        awaitIdle(runner, idle);
        assertTimeoutPreemptively(Duration.ofSeconds(2), netback::close);
        assertFalse(runner.isAlive(), "the runner thread ended");
        assertEquals(null, runnerThreadOrNull());
    }

    @Test
    @Timeout(60)
    void parkedRunnerWithAConnectedVifClosesPromptly()
    {
        final VirtualSwitch vswitch = new VirtualSwitch();
        final NetBackDriver netback = new NetBackDriver(NetBackConfig.builder().build(), vswitch,
            SystemNanoClock.INSTANCE, WaitMode.NOTIFY);
        final NetFrontDriver front = new NetFrontDriver(
            NetFrontConfig.builder().firstGfn(0x100).splitEventChannels(true).build());
        try (Host host = Host.start(netback))
        {
            final Domain guest = host.createDomain("a", 64L << 20);
            host.addDevice(new XenbusDeviceSpec("vif", 0, guest.domid(), "0", Map.of("mac", "00:16:3e:00:00:01"),
                Map.of("mac", "00:16:3e:00:00:01")));
            host.attachFrontend(guest, "vif", "0", front);
            final long deadline = System.nanoTime() + 30_000_000_000L;
            while (!front.isBackendConnected() && System.nanoTime() < deadline)
            {
                Thread.yield();
            }
            assertTrue(front.isBackendConnected(), "vif connected");
            final Thread runner = runnerThread();
            awaitIdle(runner, WaitMode.NOTIFY);
            assertTimeoutPreemptively(Duration.ofSeconds(2), netback::close);
            assertFalse(runner.isAlive(), "the runner thread ended");
            assertEquals(0, vswitch.ports().length, "the vif was disconnected");
        }
    }

    /** Waits (bounded) until a parking runner is parked, so close has to wake it. */
    private static void awaitIdle(final Thread runner, final WaitMode idle)
    {
        if (idle != WaitMode.NOTIFY && idle != WaitMode.ADAPTIVE)
        {
            return;
        }
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (runner.getState() != Thread.State.WAITING && System.nanoTime() < deadline)
        {
            Thread.yield();
        }
        assertEquals(Thread.State.WAITING, runner.getState(), "the notify runner parked");
    }

    private static Thread runnerThread()
    {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        Thread runner = runnerThreadOrNull();
        while (runner == null && System.nanoTime() < deadline)
        {
            Thread.yield();
            runner = runnerThreadOrNull();
        }
        assertNotNull(runner, "the netback runner thread started");
        return runner;
    }

    private static Thread runnerThreadOrNull()
    {
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if ("netback".equals(thread.getName()) && thread.isAlive())
            {
                return thread;
            }
        }
        return null;
    }
}
