package io.pvring.event;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.pvring.testing.BoundedSpin;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static java.time.Duration.ofSeconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventChannelTableTest
{
    private static final int DOM0 = 0;
    private static final int GUEST = 3;

    private final EventChannelTable channels = new EventChannelTable(16);
    private final CountingWaiter backendWaiter = new CountingWaiter();

    @BeforeEach
    void domains()
    {
        channels.addDomain(DOM0);
        channels.addDomain(GUEST);
    }

    @Test
    void bindsInterdomainAndNotifiesBothWays()
    {
        final EventPort front = channels.allocUnbound(GUEST, DOM0);
        assertEquals(1, front.port(), "port 0 is reserved");
        assertEquals(-1, front.remotePort());
        assertFalse(front.notifyRemote(), "unbound: dropped");

        final EventPort back = channels.bindInterdomain(DOM0, GUEST, front.port());
        assertNotNull(back);
        assertEquals(front.port(), back.remotePort());
        assertEquals(back.port(), front.remotePort());
        assertSame(back, channels.port(DOM0, back.port()));
        back.waiter(backendWaiter);

        assertTrue(front.notifyRemote());
        assertTrue(back.isPending());
        assertFalse(front.isPending());
        assertTrue(back.notifyRemote());
        assertTrue(front.consumePending());
        assertTrue(back.consumePending());
        assertFalse(back.consumePending());
        assertEquals(1, backendWaiter.wakes.get());
    }

    @Test
    void notificationsCoalesceUntilConsumed()
    {
        final EventPort front = channels.allocUnbound(GUEST, DOM0);
        final EventPort back = channels.bindInterdomain(DOM0, GUEST, front.port());
        back.waiter(backendWaiter);
        for (int i = 0; i < 5; i++)
        {
            assertTrue(front.notifyRemote());
        }
        assertEquals(1, backendWaiter.wakes.get(), "one wake per 0 -> 1 pending change");
        assertTrue(back.consumePending());
        assertFalse(back.consumePending());
        front.notifyRemote();
        assertEquals(2, backendWaiter.wakes.get());
    }

    @Test
    void maskedPortCollectsTheEventAndWakesOnUnmask()
    {
        final EventPort front = channels.allocUnbound(GUEST, DOM0);
        final EventPort back = channels.bindInterdomain(DOM0, GUEST, front.port());
        back.waiter(backendWaiter);
        back.mask();
        assertTrue(front.notifyRemote());
        assertTrue(back.isPending());
        assertEquals(0, backendWaiter.wakes.get());
        back.unmask();
        assertEquals(1, backendWaiter.wakes.get());
        back.unmask();
        assertEquals(2, backendWaiter.wakes.get(), "still pending: unmask delivers again, as Xen's evtchn_unmask");
        assertTrue(back.consumePending());
        back.unmask();
        assertEquals(2, backendWaiter.wakes.get());
    }

    @Test
    void bindRefusesPortsThatAreNotOffered()
    {
        final EventPort forOther = channels.allocUnbound(GUEST, 9);
        assertNull(channels.bindInterdomain(DOM0, GUEST, forOther.port()), "offered to another domain");
        assertNull(channels.bindInterdomain(DOM0, GUEST, 15), "no such port");
        assertNull(channels.bindInterdomain(DOM0, GUEST, 0), "reserved port");
        assertNull(channels.bindInterdomain(DOM0, GUEST, 16), "out of range");
        assertNull(channels.bindInterdomain(DOM0, GUEST, -1), "negative");
        assertNull(channels.bindInterdomain(DOM0, 42, 1), "no such domain");

        final EventPort front = channels.allocUnbound(GUEST, DOM0);
        assertNotNull(channels.bindInterdomain(DOM0, GUEST, front.port()));
        assertNull(channels.bindInterdomain(DOM0, GUEST, front.port()), "already bound");
        assertEquals(2, channels.openPorts(DOM0) + channels.openPorts(GUEST) - 1);
        assertThrows(IllegalArgumentException.class, () -> channels.allocUnbound(42, DOM0));
    }

    @Test
    void portSpaceIsBounded()
    {
        for (int i = 1; i < 16; i++)
        {
            assertEquals(i, channels.allocUnbound(GUEST, DOM0).port());
        }
        assertNull(channels.allocUnbound(GUEST, DOM0));
        channels.port(GUEST, 7).close();
        assertEquals(7, channels.allocUnbound(GUEST, DOM0).port());
    }

    @Test
    void closingOneEndUnbindsThePeerWhichMayBindAgain()
    {
        final EventPort front = channels.allocUnbound(GUEST, DOM0);
        final EventPort back = channels.bindInterdomain(DOM0, GUEST, front.port());
        back.close();
        back.close();
        assertTrue(back.isClosed());
        assertFalse(back.notifyRemote());
        assertFalse(front.notifyRemote(), "peer closed");
        assertEquals(-1, front.remotePort());
        assertFalse(front.isClosed());
        assertNull(channels.port(DOM0, back.port()));

        final EventPort again = channels.bindInterdomain(DOM0, GUEST, front.port());
        assertNotNull(again, "a reconnecting backend binds the same frontend port");
        assertTrue(front.notifyRemote());
        assertTrue(again.consumePending());
        assertFalse(back.isPending(), "the old object is not revived");
    }

    @Test
    void removingADomainClosesItsPortsAndUnbindsPeers()
    {
        final EventPort front = channels.allocUnbound(GUEST, DOM0);
        final EventPort back = channels.bindInterdomain(DOM0, GUEST, front.port());
        channels.removeDomain(GUEST);
        channels.removeDomain(GUEST);
        assertTrue(front.isClosed());
        assertFalse(back.notifyRemote());
        assertFalse(channels.hasDomain(GUEST));
        assertNull(channels.port(GUEST, front.port()));
    }

    @Test
    void closeWhileThePeerNotifiesInATightLoopIsSafe()
    {
        for (int round = 0; round < 50; round++)
        {
            final boolean closeSender = (round & 1) == 0;
            final EventPort front = channels.allocUnbound(GUEST, DOM0);
            final EventPort back = channels.bindInterdomain(DOM0, GUEST, front.port());
            back.waiter(backendWaiter);
            final AtomicLong sent = new AtomicLong();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread notifier = new Thread(() ->
            {
                try
                {
                    while (front.notifyRemote())
                    {
                        sent.incrementAndGet();
                        back.consumePending();
                    }
                }
                catch (final Throwable ex)
                {
                    failure.set(ex);
                }
            }, "notifier");
            assertTimeoutPreemptively(ofSeconds(30), () ->
            {
                notifier.start();
                for (final BoundedSpin spin = BoundedSpin.upTo(() -> "sent.get() < 1000");
                    sent.get() < 1000; spin.pause())
                {
                }
                if (closeSender)
                {
                    front.close();
                }
                else
                {
                    back.close();
                }
                notifier.join();
            });
            assertNull(failure.get());
            assertFalse(front.notifyRemote());
            (closeSender ? back : front).close();
            assertEquals(0, channels.openPorts(DOM0));
            assertEquals(0, channels.openPorts(GUEST));
        }
    }

    static final class CountingWaiter implements EventWaiter
    {
        final AtomicInteger wakes = new AtomicInteger();

        @Override
        public void wake()
        {
            wakes.incrementAndGet();
        }
    }
}
