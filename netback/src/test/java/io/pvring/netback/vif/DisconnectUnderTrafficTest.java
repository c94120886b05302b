package io.pvring.netback.vif;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.pvring.event.WaitMode;
import io.pvring.netif.FrontendFeatures;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.test.NetRig;
import io.pvring.netback.test.TestFrames;
import io.pvring.runner.RunnerPool;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Backends on a real runner thread, guests sending on another; disconnecting mid-stream leaves nothing behind. */
class DisconnectUnderTrafficTest
{
    @ParameterizedTest
    @EnumSource(value = WaitMode.class, names = {"POLL", "NOTIFY", "ADAPTIVE"})
    @Timeout(60)
    void disconnectWhileTrafficFlowsLeavesNoThreadOrMapping(final WaitMode mode) throws Exception
    {
        try (NetRig rig = new NetRig())
        {
            final NetRig.Guest a = rig.addGuest("a", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
            final NetRig.Guest b = rig.addGuest("b", NetBackConfig.builder().build(), FrontendFeatures.LINUX);
            final RunnerPool pool = rig.runOn(1, mode);
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
                if (System.nanoTime() > deadline)
                {
                    throw new AssertionError("10000 frames not received in 30 s: " + received.get() + ", " + pool);
                }
                Thread.onSpinWait();
            }
            a.vif.close(); // takes a's queue off its runner while frames are in flight, then unmaps
            assertTrue(a.vif.agent(0).handle() == null, "the runner let go of a's queue");
            b.vif.close();
            a.vif.close();
            assertEquals(0, a.mapper.liveMappings());
            assertEquals(0, b.mapper.liveMappings());
            assertEquals(0, rig.vswitch.ports().length);
            stop.set(true);
            guests.join(10_000);
            assertFalse(guests.isAlive());
            assertTrue(a.fatal.isEmpty() && b.fatal.isEmpty());
            assertTrue(rig.agentErrors.isEmpty(), "no agent error: " + rig.agentErrors);
            assertEquals(0, pool.runner(0).errors(), "no agent error");
        }
    }
}
