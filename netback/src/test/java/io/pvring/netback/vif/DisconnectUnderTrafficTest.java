package io.pvring.netback.vif;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.pvring.agent.AgentErrors;
import io.pvring.netif.FrontendFeatures;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.test.NetRig;
import io.pvring.netback.test.TestFrames;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Backends on a real runner thread, guests sending on another; disconnecting mid-stream leaves nothing behind. */
class DisconnectUnderTrafficTest
{
    @Test
    @Timeout(60)
    void disconnectWhileTrafficFlowsLeavesNoThreadOrMapping() throws Exception
    {
        try (NetRig rig = new NetRig())
        {
            final NetRig.Guest a = rig.addGuest("a", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
            final NetRig.Guest b = rig.addGuest("b", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
            final AgentErrors errors = new AgentErrors("backend");
            final AgentRunner runner = new AgentRunner(new BusySpinIdleStrategy(), errors, errors.counter(),
                new CompositeAgent(a.vif.agent(), b.vif.agent()));
            final Thread backend = AgentRunner.startOnThread(runner);
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicLong received = new AtomicLong();
            final Thread guests = new Thread(() ->
            {
                final UnsafeBuffer frame = new UnsafeBuffer(new byte[1514]);
                TestFrames.ethernet(frame, Ethernet.BROADCAST, TestFrames.MAC_A, 0x88B5);
                while (!stop.get())
                {
                    a.front.send(frame, 0, 1514, 0, 0, 0);
                    a.front.flush();
                    received.addAndGet(b.front.receive((buf, o, l, f, t, s) -> { }, 64));
                    a.front.reclaimTx();
                }
            });
            guests.start();
            final long deadline = System.nanoTime() + 30_000_000_000L;
            while (received.get() < 10_000)
            {
                if (System.nanoTime() > deadline || !backend.isAlive())
                {
                    throw new AssertionError("10000 frames not received in 30 s: " + received.get() + ", " + errors);
                }
                Thread.onSpinWait();
            }
            runner.close(); // joins the backend thread while frames are in flight
            assertFalse(backend.isAlive());
            a.vif.close();
            b.vif.close();
            a.vif.close();
            assertEquals(0, a.mapper.liveMappings());
            assertEquals(0, b.mapper.liveMappings());
            assertEquals(0, rig.vswitch.ports().length);
            stop.set(true);
            guests.join(10_000);
            assertFalse(guests.isAlive());
            assertTrue(a.fatal.isEmpty() && b.fatal.isEmpty());
            assertEquals(0, errors.errors(), "no agent error");
        }
    }
}
