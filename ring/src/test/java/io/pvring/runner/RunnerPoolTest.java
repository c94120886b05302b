package io.pvring.runner;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import io.pvring.event.WaitMode;
import org.junit.jupiter.api.Test;

import static java.time.Duration.ofSeconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pool on real runner threads: placement, isolation of a failing agent, churn under load, an idle host. */
class RunnerPoolTest
{
    private static final long WAIT_SECONDS = 30;

    private static RunnerPool pool(final int runners, final List<Throwable> logged)
    {
        return new RunnerPool(new RunnerPoolConfig().runners(runners).threadNamePrefix("test-runner-")
            .errorHandler(logged::add));
    }

    @Test
    void agentsGoToTheLeastLoadedRunnerOrWherePinned()
    {
        final List<Throwable> logged = new CopyOnWriteArrayList<>();
        final RunnerPool pool = pool(3, logged);
        try (pool)
        {
            final List<AgentHandle> handles = new ArrayList<>();
            for (int i = 0; i < 6; i++)
            {
                handles.add(pool.add(new CountingAgent("a" + i), WaitMode.NOTIFY, null));
            }
            for (int i = 0; i < 6; i++)
            {
                assertEquals(i % 3, handles.get(i).runner().index(), "agent " + i);
            }
            final AgentHandle pinned = pool.add(new CountingAgent("pinned"), WaitMode.NOTIFY, null, 1);
            assertEquals(1, pinned.runner().index());
            assertEquals(3, pool.runner(1).load());
            assertEquals(0, pool.add(new CountingAgent("next"), WaitMode.NOTIFY, null).runner().index(),
                "runner 1 is fuller now: the lowest of the least loaded");
            handles.get(2).remove().join();
            assertEquals(1, pool.runner(2).load());
            assertEquals(2, pool.add(new CountingAgent("after"), WaitMode.NOTIFY, null).runner().index());
            assertThrows(IllegalArgumentException.class,
                () -> pool.add(new CountingAgent("x"), WaitMode.NOTIFY, null, 3));
        }
        final CountingAgent late = new CountingAgent("late");
        assertThrows(IllegalStateException.class, () -> pool.add(late, WaitMode.NOTIFY, null));
        assertTrue(logged.isEmpty(), logged::toString);
    }

    @Test
    void closingThePoolClosesEveryAgentOnItsRunner()
    {
        final CountingAgent a = new CountingAgent("a");
        final CountingAgent b = new CountingAgent("b");
        final AgentHandle ha;
        try (RunnerPool pool = pool(2, new CopyOnWriteArrayList<>()))
        {
            ha = pool.add(a, WaitMode.ADAPTIVE, null);
            pool.add(b, WaitMode.POLL, null);
            a.offer(3);
            Await.until(WAIT_SECONDS, () -> a.served.get() == 3, a::toString);
        }
        assertEquals(1, a.closes.get());
        assertEquals(1, b.closes.get());
        assertNull(a.waker);
        assertTrue(ha.remove().isDone());
    }

    @Test
    void anAgentThatThrowsDoesNotStopTheOthersOnItsRunner()
    {
        final List<Throwable> logged = new CopyOnWriteArrayList<>();
        final AtomicReference<String> reported = new AtomicReference<>();
        try (RunnerPool pool = pool(1, logged))
        {
            final CountingAgent bad = new CountingAgent("blkback-3-51712-q0");
            final CountingAgent notify = new CountingAgent("good-notify");
            final CountingAgent adaptive = new CountingAgent("good-adaptive");
            final AgentHandle badHandle = pool.add(bad, WaitMode.NOTIFY,
                (agent, error) -> reported.set(agent.roleName() + ": " + error.getMessage()));
            pool.add(notify, WaitMode.NOTIFY, null);
            pool.add(adaptive, WaitMode.ADAPTIVE, null);
            notify.offer(1);
            adaptive.offer(1);
            Await.until(WAIT_SECONDS, () -> notify.served.get() == 1 && adaptive.served.get() == 1,
                () -> notify + " " + adaptive);

            bad.throwOnWork = new IllegalStateException("bug in the parser");
            bad.offer(1);
            Await.until(WAIT_SECONDS, () -> reported.get() != null, badHandle::toString);
            assertTrue(badHandle.isRemoved(), "removed before its listener is told");
            assertEquals("blkback-3-51712-q0: bug in the parser", reported.get());
            assertEquals(1, pool.runner(0).errors());
            assertEquals(1, logged.size());
            assertEquals(1, bad.closes.get());

            for (int i = 0; i < 100; i++)
            {
                notify.offer(1);
                adaptive.offer(1);
            }
            Await.until(WAIT_SECONDS, () -> notify.served.get() == 101 && adaptive.served.get() == 101,
                () -> notify + " " + adaptive + " " + pool);
            assertEquals(2, pool.runner(0).load(), "the two good agents remain");
        }
    }

    @Test
    void agentsComeAndGoWhileOthersServeTraffic()
    {
        assertTimeoutPreemptively(ofSeconds(120), () ->
        {
            final List<Throwable> logged = new CopyOnWriteArrayList<>();
            try (RunnerPool pool = pool(2, logged))
            {
                final WaitMode[] modes = {WaitMode.NOTIFY, WaitMode.ADAPTIVE};
                final CountingAgent[] stable = new CountingAgent[8];
                for (int i = 0; i < stable.length; i++)
                {
                    stable[i] = new CountingAgent("stable-" + i);
                    pool.add(stable[i], modes[i % 2], null);
                }
                final AtomicBoolean stop = new AtomicBoolean();
                final AtomicLong offered = new AtomicLong();
                final Thread feeder = new Thread(() ->
                {
                    int i = 0;
                    while (!stop.get() && offered.get() < 2_000_000)
                    {
                        stable[i++ % stable.length].offer(1);
                        offered.incrementAndGet();
                        if ((i & 63) == 0)
                        {
                            Thread.yield();
                        }
                    }
                }, "feeder");
                feeder.start();

                for (int round = 0; round < 200; round++)
                {
                    final CountingAgent transient0 = new CountingAgent("transient-" + round);
                    final AgentHandle handle = round % 3 == 0 ?
                        pool.add(transient0, modes[round % 2], null, round % 2) :
                        pool.add(transient0, modes[round % 2], null);
                    transient0.offer(2);
                    Await.until(WAIT_SECONDS, () -> transient0.served.get() == 2, transient0::toString);
                    handle.remove().get(WAIT_SECONDS, TimeUnit.SECONDS);
                    assertEquals(1, transient0.starts.get());
                    assertEquals(1, transient0.closes.get());
                    assertNull(transient0.waker);
                    transient0.offer(1);
                    assertEquals(0, transient0.workAfterClose.get(), "ran after its onClose");
                }
                stop.set(true);
                feeder.join();
                Await.until(WAIT_SECONDS, () ->
                {
                    long served = 0;
                    for (final CountingAgent agent : stable)
                    {
                        served += agent.served.get();
                    }
                    return served == offered.get();
                }, () -> "offered=" + offered + " " + List.of(stable) + " " + pool);
                assertEquals(8, pool.runner(0).load() + pool.runner(1).load());
            }
            assertTrue(logged.isEmpty(), logged::toString);
        });
    }

    /**
     * 64 connected devices with no traffic: once every agent sleeps, nothing runs: no agent's doWork, no pass of a
     * runner that is not followed by a park (a spurious return from park is tolerated, a busy loop is not), and no
     * unpark. Then one notification runs that one agent only.
     */
    @Test
    void anIdlePoolWithSixtyFourSleepingAgentsDoesNothingUntilNotified()
    {
        final List<Throwable> logged = new CopyOnWriteArrayList<>();
        try (RunnerPool pool = pool(2, logged))
        {
            final CountingAgent[] agents = new CountingAgent[64];
            final AgentHandle[] handles = new AgentHandle[agents.length];
            for (int i = 0; i < agents.length; i++)
            {
                agents[i] = new CountingAgent("idle-" + i);
                handles[i] = pool.add(agents[i], i % 2 == 0 ? WaitMode.NOTIFY : WaitMode.ADAPTIVE, null);
                agents[i].offer(1); // each served once, so adaptive windows have a history
            }
            Await.until(WAIT_SECONDS, () ->
            {
                for (final AgentHandle handle : handles)
                {
                    if (!handle.isAsleep())
                    {
                        return false;
                    }
                }
                return pool.runner(0).isParked() && pool.runner(1).isParked();
            }, pool::toString);

            final long[] loops = {pool.runner(0).loops(), pool.runner(1).loops()};
            final long[] parks = {pool.runner(0).parks(), pool.runner(1).parks()};
            final long[] unparks = {pool.runner(0).unparks(), pool.runner(1).unparks()};
            final long[] doWorks = new long[agents.length];
            for (int i = 0; i < agents.length; i++)
            {
                doWorks[i] = agents[i].doWorks.get();
            }
            // Observe a quiet interval (not a synchronisation: nothing is expected to happen in it).
            final long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
            while (System.nanoTime() - end < 0)
            {
                LockSupport.parkNanos(end - System.nanoTime());
            }
            for (int r = 0; r < 2; r++)
            {
                final Runner runner = pool.runner(r);
                final long passes = runner.loops() - loops[r];
                // The two counters are read one after the other while the runner may be between them (a pass
                // counted, its park not yet), at either snapshot: one apart is the same history.
                assertTrue(Math.abs(passes - (runner.parks() - parks[r])) <= 1,
                    "every pass is followed by a park: " + passes + " passes, " + (runner.parks() - parks[r]) +
                    " parks: " + runner);
                assertTrue(passes <= 2, "no busy passes: " + runner);
                assertEquals(unparks[r], runner.unparks(), "nobody woke " + runner);
            }
            for (int i = 0; i < agents.length; i++)
            {
                assertEquals(doWorks[i], agents[i].doWorks.get(), "agent " + i + " ran while idle");
            }

            final int chosen = 17;
            // Before its first offer the agent may already have slept once (the runner can run it between add and
            // offer on a loaded machine): count from here.
            final long sleepsBefore = handles[chosen].sleeps();
            final long wakeupsBefore = handles[chosen].wakeups();
            agents[chosen].offer(1);
            Await.until(WAIT_SECONDS, () -> agents[chosen].served.get() == 2 && handles[chosen].isAsleep(),
                () -> handles[chosen].toString());
            for (int i = 0; i < agents.length; i++)
            {
                if (i != chosen)
                {
                    assertEquals(doWorks[i], agents[i].doWorks.get(), "agent " + i + " ran for agent 17's event");
                }
            }
            assertEquals(sleepsBefore + 1, handles[chosen].sleeps(), "one sleep after its one event");
            assertEquals(wakeupsBefore + 1, handles[chosen].wakeups(), "one wake-up for its one event");
        }
        assertTrue(logged.isEmpty(), logged::toString);
    }
}
