package io.pvring.runner;

import java.util.ArrayList;
import java.util.List;

import io.pvring.event.WaitMode;
import org.agrona.concurrent.AgentTerminationException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One runner stepped pass by pass on the test thread, timed by a fake clock. */
class RunnerStepTest
{
    private long time = 1_000_000_000L;
    private final List<Throwable> logged = new ArrayList<>();
    private final Runner runner = new Runner(0, "step", () -> time, logged::add);

    private AgentHandle add(final CountingAgent agent, final WaitMode mode, final AgentErrorListener listener)
    {
        final AgentHandle handle = new AgentHandle(agent, mode, listener, runner,
            mode == WaitMode.ADAPTIVE ? new RunnerPoolConfig().newWindow() : null);
        assertTrue(runner.requestAdd(handle));
        return handle;
    }

    @Test
    void aNotifyAgentArmsAsSoonAsItRunsDryAndIsNotRunWhileAsleep()
    {
        final CountingAgent agent = new CountingAgent("n");
        final AgentHandle handle = add(agent, WaitMode.NOTIFY, null);
        agent.publishQuietly(3);
        assertEquals(3, runner.doWork());
        assertSame(handle, agent.waker, "the waker is handed over before the first doWork");
        assertEquals(1, agent.starts.get());
        assertEquals(0, agent.arms.get(), "work done: no arming");
        assertEquals(0, runner.doWork());
        assertEquals(1, agent.arms.get(), "ran dry: armed at once");
        assertTrue(handle.isAsleep());
        assertTrue(runner.wouldSleep());
        assertEquals(1, handle.sleeps());
        final long doWorks = agent.doWorks.get();
        for (int i = 0; i < 10; i++)
        {
            assertEquals(0, runner.doWork());
        }
        assertEquals(doWorks, agent.doWorks.get(), "a sleeping agent costs a flag read, not a doWork");
        agent.offer(2);
        assertEquals(2, runner.doWork());
        assertEquals(1, handle.wakeups());
        assertFalse(handle.isAsleep());
        assertEquals(0, handle.pollNanos(), "notify agents do not poll");
    }

    @Test
    void anAdaptiveAgentPollsItsWindowWithoutArmingThenSleeps()
    {
        final CountingAgent agent = new CountingAgent("a");
        final AgentHandle handle = add(agent, WaitMode.ADAPTIVE, null);
        assertEquals(0, runner.doWork());
        assertEquals(1, agent.arms.get(), "window 0 at first: arms at once");
        assertTrue(handle.isAsleep());

        // Woken 20 us after running dry: a 4 us poll is worth trying.
        time += 20_000;
        agent.offer(1);
        assertEquals(1, runner.doWork());
        assertEquals(4_000, handle.pollWindowNanos());

        // Runs dry: polls (doWork again and again, no arming) for the 4 us window.
        final long arms = agent.arms.get();
        assertEquals(0, runner.doWork());
        for (int i = 0; i < 3; i++)
        {
            time += 1_000;
            assertEquals(0, runner.doWork());
            assertFalse(runner.wouldSleep(), "polling: the runner spins");
        }
        assertEquals(arms, agent.arms.get(), "no arming while polling: the frontend is not asked to notify");
        // Work published without a notification (the ring is not armed) is found by polling: the sweet spot.
        agent.publishQuietly(1);
        time += 500;
        assertEquals(1, runner.doWork());
        assertEquals(4_000, handle.pollWindowNanos(), "found within the window: no change");
        assertEquals(3_500, handle.pollNanos());

        // Runs dry again and the window passes: armed, asleep.
        assertEquals(0, runner.doWork());
        time += 4_000;
        assertEquals(0, runner.doWork());
        assertEquals(arms + 1, agent.arms.get());
        assertTrue(handle.isAsleep());
        assertEquals(7_500, handle.pollNanos());
        assertTrue(runner.wouldSleep());

        // Woken 10 us after running dry: grow.
        time += 6_000;
        agent.offer(1);
        assertEquals(1, runner.doWork());
        assertEquals(8_000, handle.pollWindowNanos());

        // A quiet spell far beyond poll-max-ns: polling did not pay, reset.
        assertEquals(0, runner.doWork());
        time += 8_000;
        assertEquals(0, runner.doWork());
        assertTrue(handle.isAsleep());
        time += 5_000_000;
        agent.offer(1);
        assertEquals(1, runner.doWork());
        assertEquals(0, handle.pollWindowNanos());
        assertEquals(3, handle.sleeps());
        assertEquals(3, handle.wakeups());
    }

    @Test
    void workWaitingAtArmingKeepsTheAgentAwakeAndCountsAsABlock()
    {
        final CountingAgent agent = new CountingAgent("a");
        final AgentHandle handle = add(agent, WaitMode.ADAPTIVE, null);
        assertEquals(0, runner.doWork());
        time += 10_000;
        agent.offer(1);
        runner.doWork();
        assertEquals(4_000, handle.pollWindowNanos());
        assertEquals(0, runner.doWork());
        time += 5_000;
        agent.publishBeforeArm = 1; // published between the dry doWork and the arming: RING_FINAL_CHECK sees it
        assertEquals(0, runner.doWork());
        assertEquals(0, agent.publishBeforeArm);
        assertFalse(handle.isAsleep(), "armAndCheck found work: no sleep");
        assertFalse(runner.wouldSleep());
        time += 100;
        assertEquals(1, runner.doWork());
        assertEquals(8_000, handle.pollWindowNanos(), "5.1 us > 4 us window: polling a little longer would pay");
    }

    @Test
    void aPollAgentNeverArmsAndKeepsTheRunnerSpinningWhileOthersSleep()
    {
        final CountingAgent poll = new CountingAgent("p");
        final CountingAgent notify = new CountingAgent("n");
        add(poll, WaitMode.POLL, null);
        final AgentHandle sleeper = add(notify, WaitMode.NOTIFY, null);
        for (int i = 0; i < 100; i++)
        {
            assertEquals(0, runner.doWork());
            assertFalse(runner.wouldSleep());
        }
        assertEquals(0, poll.arms.get());
        assertEquals(100, poll.doWorks.get());
        assertEquals(1, notify.doWorks.get(), "the notify agent went to sleep after one dry doWork");
        assertTrue(sleeper.isAsleep());
    }

    @Test
    void aBackoffAgentNeverArmsAndLetsTheRunnerBackOff()
    {
        final CountingAgent agent = new CountingAgent("b");
        add(agent, WaitMode.BACKOFF, null);
        for (int i = 0; i < 10; i++)
        {
            assertEquals(0, runner.doWork());
            assertFalse(runner.wouldSleep());
        }
        assertEquals(0, agent.arms.get());
    }

    @Test
    void anAgentThatThrowsIsRemovedReportedAndTheOthersRunOn()
    {
        final CountingAgent bad = new CountingAgent("bad");
        final CountingAgent good = new CountingAgent("good");
        final List<String> reported = new ArrayList<>();
        final AgentHandle badHandle = add(bad, WaitMode.POLL, (agent, error) ->
            reported.add(agent.roleName() + ": " + error.getMessage()));
        add(good, WaitMode.POLL, null);
        runner.doWork();
        final IllegalStateException boom = new IllegalStateException("boom");
        bad.throwOnWork = boom;
        good.offer(5);
        assertEquals(5, runner.doWork(), "the good agent's work is done in the very pass the bad one threw");
        assertEquals(List.of("bad: boom"), reported);
        assertEquals(List.of(boom), logged);
        assertEquals(1, runner.errors());
        assertTrue(badHandle.isRemoved());
        assertTrue(badHandle.remove().isDone());
        assertEquals(1, bad.closes.get());
        assertNull(bad.waker, "its waker is unregistered");
        final long badWorks = bad.doWorks.get();
        good.offer(3);
        assertEquals(3, runner.doWork());
        assertEquals(badWorks, bad.doWorks.get());
        assertEquals(1, runner.load());
    }

    @Test
    void anAgentThatThrowsWhileArmingIsRemovedToo()
    {
        final CountingAgent bad = new CountingAgent("bad");
        final List<String> reported = new ArrayList<>();
        final AgentHandle handle = add(bad, WaitMode.NOTIFY, (agent, error) -> reported.add(agent.roleName()));
        bad.throwOnArm = new IllegalStateException("arm");
        runner.doWork();
        assertTrue(handle.isRemoved());
        assertEquals(List.of("bad"), reported);
        assertEquals(1, runner.errors());
    }

    @Test
    void terminationRemovesQuietly()
    {
        final CountingAgent agent = new CountingAgent("t");
        final AgentHandle handle = add(agent, WaitMode.POLL, (a, e) -> logged.add(e));
        agent.throwOnWork = new AgentTerminationException("disconnected");
        runner.doWork();
        assertTrue(handle.isRemoved());
        assertEquals(0, runner.errors());
        assertTrue(logged.isEmpty());
        assertEquals(1, agent.closes.get());
    }

    @Test
    void removeClosesTheAgentOnTheRunnerAtTheNextPass()
    {
        final CountingAgent agent = new CountingAgent("r");
        final AgentHandle handle = add(agent, WaitMode.NOTIFY, null);
        runner.doWork();
        assertFalse(handle.remove().isDone(), "applied by the runner, not by the caller");
        runner.doWork();
        assertTrue(handle.remove().isDone());
        assertEquals(1, agent.closes.get());
        assertNull(agent.waker);
        final long works = agent.doWorks.get();
        agent.publishQuietly(1);
        runner.doWork();
        assertEquals(works, agent.doWorks.get());
        assertEquals(0, runner.load());
    }

    @Test
    void wakeWithinWakesASleepingAgentWhenDueWithoutAnyEvent()
    {
        final CountingAgent agent = new CountingAgent("timer");
        final AgentHandle handle = add(agent, WaitMode.NOTIFY, null);
        runner.doWork();
        assertTrue(handle.isAsleep());
        final long works = agent.doWorks.get();
        // From inside the agent (the runner thread): a shaper's next credit is 50 us away.
        handle.wakeWithin(50_000);
        runner.doWork();
        assertTrue(handle.isAsleep());
        time += 49_999;
        runner.doWork();
        assertEquals(works, agent.doWorks.get(), "not due yet");
        time += 1;
        runner.doWork();
        assertEquals(works + 1, agent.doWorks.get(), "due: run once, then asleep again");
        assertTrue(handle.isAsleep());
        time += 1_000_000;
        runner.doWork();
        assertEquals(works + 1, agent.doWorks.get(), "the deadline was forgotten when it woke");
    }
}
