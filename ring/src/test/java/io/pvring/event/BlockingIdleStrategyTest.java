package io.pvring.event;

import java.util.concurrent.atomic.AtomicLong;

import io.pvring.testing.BoundedSpin;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.junit.jupiter.api.Test;

import static java.time.Duration.ofSeconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockingIdleStrategyTest
{
    @Test
    void wakeWithoutAParkedThreadMakesNoSystemCallAndIsNotLost()
    {
        final BlockingIdleStrategy idle = new BlockingIdleStrategy();
        for (int i = 0; i < 1000; i++)
        {
            idle.wake();
        }
        assertEquals(0, idle.unparks());
        assertTimeoutPreemptively(ofSeconds(10), () -> idle.idle(0));
        assertEquals(0, idle.parks(), "the pending signal was consumed instead of parking");
    }

    @Test
    void workDoneNeverParks()
    {
        final BlockingIdleStrategy idle = new BlockingIdleStrategy();
        assertTimeoutPreemptively(ofSeconds(10), () -> idle.idle(1));
        assertEquals(0, idle.parks());
    }

    @Test
    void aBoundedParkEndsWithoutAWakeAndTheBoundIsUsedOnce()
    {
        final BlockingIdleStrategy idle = new BlockingIdleStrategy();
        idle.boundNextPark(5_000_000L);
        idle.boundNextPark(1_000_000L); // the earliest timer wins
        assertTimeoutPreemptively(ofSeconds(10), () -> idle.idle(0));
        assertEquals(1, idle.parks());
        assertEquals(0, idle.unparks());
        final Thread sleeper = new Thread(() -> idle.idle(0), "sleeper");
        assertTimeoutPreemptively(ofSeconds(30), () ->
        {
            sleeper.start();
            for (final BoundedSpin spin = BoundedSpin.upTo(() -> "sleeper.getState() != Thread.State.WAITING");
                sleeper.getState() != Thread.State.WAITING; spin.pause())
            {
                // WAITING, not TIMED_WAITING: the bound was consumed by the first park
            }
            idle.wake();
            sleeper.join();
        });
    }

    @Test
    void wakeUnparksAParkedThread()
    {
        final BlockingIdleStrategy idle = new BlockingIdleStrategy();
        final Thread sleeper = new Thread(() -> idle.idle(0), "sleeper");
        assertTimeoutPreemptively(ofSeconds(30), () ->
        {
            sleeper.start();
            for (final BoundedSpin spin = BoundedSpin.upTo(() -> "!idle.isParked()"); !idle.isParked(); spin.pause())
            {
            }
            idle.wake();
            sleeper.join();
        });
        assertTrue(idle.unparks() <= 1);
    }

    @Test
    void aNotifyRacingAParkIsNeverLost()
    {
        final EventChannelTable channels = new EventChannelTable();
        channels.addDomain(0);
        channels.addDomain(1);
        final EventPort front = channels.allocUnbound(1, 0);
        final EventPort back = channels.bindInterdomain(0, 1, front.port());
        final BlockingIdleStrategy idle = new BlockingIdleStrategy();
        back.waiter(idle);

        final int handoffs = 100_000;
        final AtomicLong received = new AtomicLong();
        final Thread consumer = new Thread(() ->
        {
            long count = 0;
            while (count < handoffs)
            {
                int work = 0;
                if (back.consumePending())
                {
                    received.set(++count);
                    work = 1;
                }
                idle.idle(work);
            }
        }, "consumer");
        consumer.setDaemon(true);

        assertTimeoutPreemptively(ofSeconds(120), () ->
        {
            consumer.start();
            for (int i = 1; i <= handoffs; i++)
            {
                assertTrue(front.notifyRemote());
                for (final BoundedSpin spin = BoundedSpin.upTo(() -> "received.get() < i");
                    received.get() < i; spin.pause())
                {
                }
            }
            consumer.join();
        });
        assertTrue(idle.parks() > 0, "the consumer never parked, so nothing raced: " + idle);
    }

    @Test
    void factoryKnowsTheThreeByName()
    {
        assertInstanceOf(BusySpinIdleStrategy.class, IdleStrategies.create("poll"));
        assertInstanceOf(BackoffIdleStrategy.class, IdleStrategies.create("backoff"));
        assertInstanceOf(BlockingIdleStrategy.class, IdleStrategies.create("notify"));
        assertInstanceOf(BlockingIdleStrategy.class, IdleStrategies.create("block"));
        assertNull(IdleStrategies.waiter(IdleStrategies.create("poll")));
        final BlockingIdleStrategy blocking = (BlockingIdleStrategy)IdleStrategies.create("block");
        assertSame(blocking, IdleStrategies.waiter(blocking));
        assertEquals("notify", blocking.alias());
        assertThrows(IllegalArgumentException.class, () -> IdleStrategies.create("sleep"));
    }

    /**
     * With a {@link ThreadParker} the idling thread sleeps through it (bound passed on) and a wake from another
     * thread ends the sleep through it: what a runner serving an io_uring does, sleeping in the ring.
     */
    @Test
    void aParkerSleepsAndWakesInsteadOfLockSupport() throws Exception
    {
        final java.util.concurrent.Semaphore permits = new java.util.concurrent.Semaphore(0);
        final AtomicLong lastBound = new AtomicLong(-1);
        final AtomicLong unparkCalls = new AtomicLong();
        final ThreadParker parker = new ThreadParker()
        {
            public void park(final long boundNanos)
            {
                lastBound.set(boundNanos);
                try
                {
                    permits.tryAcquire(boundNanos > 0 ? boundNanos : 30_000_000_000L,
                        java.util.concurrent.TimeUnit.NANOSECONDS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }

            public void unpark()
            {
                unparkCalls.incrementAndGet();
                permits.release();
            }
        };
        final BlockingIdleStrategy idle = new BlockingIdleStrategy();
        idle.parker(parker);
        idle.boundNextPark(1_000_000L);
        assertTimeoutPreemptively(ofSeconds(10), () -> idle.idle(0));
        assertEquals(1_000_000L, lastBound.get(), "the bound reaches the parker");
        assertEquals(1, idle.parks());

        final Thread sleeper = new Thread(() -> idle.idle(0), "sleeper");
        assertTimeoutPreemptively(ofSeconds(30), () ->
        {
            sleeper.start();
            for (final BoundedSpin spin = BoundedSpin.upTo(() -> "the sleeper never parked: " + idle.parks());
                idle.parks() < 2 || !idle.isParked(); spin.pause())
            {
                // until the sleeper is in the parker's park
            }
            idle.wake();
            sleeper.join();
        });
        assertEquals(0, lastBound.get(), "unbounded: 0");
        assertEquals(1, unparkCalls.get(), "woken through the parker");
        assertEquals(1, idle.unparks());
    }
}
