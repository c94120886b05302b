package io.pvring.uring;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The thread's ring sleeps, wakes and passes without Netty's per-call allocation, with Netty's wake-up rules. */
class ThreadRingTest
{
    /** A sleep's bound, far beyond any wake-up: a sleep that reaches it missed its wake-up. */
    private static final long BOUND_NANOS = TimeUnit.SECONDS.toNanos(20);

    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    @BeforeEach
    void requireIoUring()
    {
        final String reason = IoUringSupport.unavailableReason();
        if ("1".equals(System.getenv("PVRING_REQUIRE_TOOLS")))
        {
            assertTrue(reason == null, "io_uring must be available on this machine kind: " + reason);
        }
        else
        {
            assumeTrue(reason == null, "io_uring unavailable, skipping: " + reason);
        }
    }

    @Test
    void passesAndSleepsAllocateNothing()
    {
        final ThreadRing ring = ThreadRing.acquire();
        try
        {
            assertTrue(ring.passesWithoutAllocating(),
                "Netty's io_uring internals not recognised: every pass goes through its allocating loop");
            final Runnable round = () ->
            {
                ring.park(1_000); // a bounded sleep: a timeout in the ring, its CQE reaped by the next pass
                ring.submitAndReap();
                ring.reap();
            };
            for (int i = 0; i < 20_000; i++)
            {
                round.run();
            }
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 10_000; i++)
            {
                round.run();
            }
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < 10_000, "10k sleeps and 20k passes allocated " + allocated + " bytes");
            assertEquals(0, ring.passes(), "passes through Netty's allocating loop");
        }
        finally
        {
            ring.release(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
        }
    }

    /** A wake-up from another thread ends a sleep, also one sent before the sleep began (never lost). */
    @Test
    void anotherThreadsWakeUpEndsTheSleepEvenWhenItCameFirst() throws Exception
    {
        final ThreadRing ring = ThreadRing.acquire();
        try
        {
            for (int i = 0; i < 200; i++)
            {
                final Thread waker = new Thread(ring::unpark, "waker");
                waker.start();
                if (i % 2 == 0)
                {
                    waker.join(TimeUnit.SECONDS.toMillis(10)); // before the sleep
                    assertTrue(!waker.isAlive(), "the waker did not finish");
                }
                final long start = System.nanoTime();
                ring.park(BOUND_NANOS);
                final long slept = System.nanoTime() - start;
                assertTrue(slept < BOUND_NANOS / 2, "round " + i + ": the sleep ended by its " +
                    TimeUnit.NANOSECONDS.toSeconds(BOUND_NANOS) + " s bound, not by the wake-up (" + slept + " ns)");
                waker.join(TimeUnit.SECONDS.toMillis(10));
                assertTrue(!waker.isAlive(), "the waker did not finish");
            }
        }
        finally
        {
            ring.release(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
        }
    }
}
