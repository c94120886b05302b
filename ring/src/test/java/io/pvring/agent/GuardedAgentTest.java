package io.pvring.agent;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The runner's error boundary, stepped on the test thread ({@link AgentInvoker}: a runner without a thread). */
class GuardedAgentTest
{
    private final AgentErrors errors = new AgentErrors("test-runner");
    private final List<String> failures = new ArrayList<>();

    /** An agent that counts its duty cycles and throws {@code failure} on the {@code failAt}th (1-based), if any. */
    private static final class Device implements Agent
    {
        final String name;
        final RuntimeException failure;
        final int failAt;
        int cycles;
        boolean closed;

        Device(final String name, final RuntimeException failure, final int failAt)
        {
            this.name = name;
            this.failure = failure;
            this.failAt = failAt;
        }

        @Override
        public int doWork()
        {
            cycles++;
            if (cycles == failAt)
            {
                throw failure;
            }
            return 1;
        }

        @Override
        public void onClose()
        {
            closed = true;
        }

        @Override
        public String roleName()
        {
            return name;
        }
    }

    @Test
    void aFailingAgentStopsIsCountedAndReportedOnceWhileItsNeighboursRunOn()
    {
        final Device bad = new Device("vif1.0", new IllegalStateException("boom"), 2);
        final Device good = new Device("vif2.0", null, 0);
        final GuardedAgent guardedBad = new GuardedAgent(bad, errors, failures::add);
        final AgentInvoker invoker = new AgentInvoker(errors, errors.counter(),
            new CompositeAgent(guardedBad, new GuardedAgent(good, errors, failures::add)));
        invoker.start();
        for (int i = 0; i < 5; i++)
        {
            invoker.invoke();
        }
        assertEquals(List.of("vif1.0: internal error: java.lang.IllegalStateException: boom"), failures);
        assertEquals(1, errors.errors(), "counted once");
        assertTrue(guardedBad.isFailed());
        assertEquals(2, bad.cycles, "no duty cycle after the failure");
        assertEquals(5, good.cycles, "the neighbour ran every cycle, the failing one included");
        assertTrue(invoker.isRunning(), "nothing reached the runner");
        invoker.close();
        assertTrue(bad.closed, "a failed agent is still closed with its runner");
    }

    @Test
    void aMemoryFaultFailsThatDeviceOnly()
    {
        // What the JVM throws when memory an emulator shared shrank under the mapping (SIGBUS); how it arrives
        // from a real mapping is RunnerMemoryFaultTest's.
        final Agent reader = new Agent()
        {
            public int doWork()
            {
                throw new InternalError("a fault occurred in an unsafe memory access operation");
            }

            public String roleName()
            {
                return "vbd7.51712";
            }
        };
        final GuardedAgent guarded = new GuardedAgent(reader, errors, failures::add);
        final Device neighbour = new Device("vbd8.51712", null, 0);
        final AgentInvoker invoker = new AgentInvoker(errors, errors.counter(),
            new CompositeAgent(guarded, new GuardedAgent(neighbour, errors, failures::add)));
        invoker.start();
        for (int i = 0; i < 3; i++)
        {
            invoker.invoke();
        }
        assertTrue(guarded.isFailed());
        assertEquals(1, failures.size(), failures.toString());
        assertTrue(failures.get(0).startsWith("vbd7.51712: guest memory fault"), failures.get(0));
        assertEquals(3, neighbour.cycles, "the neighbour ran on");
        assertTrue(invoker.isRunning(), "nothing reached the runner");
        invoker.close();
    }

    @Test
    void onlyTheJvmsMemoryFaultErrorIsTakenForOne()
    {
        assertTrue(GuardedAgent.isMemoryFault(
            new InternalError("a fault occurred in an unsafe memory access operation")));
        assertFalse(GuardedAgent.isMemoryFault(new InternalError("something else")));
        assertFalse(GuardedAgent.isMemoryFault(new OutOfMemoryError("unsafe memory access")));
    }

    @Test
    void aFailureHandlerThatThrowsIsContainedAndCounted()
    {
        final GuardedAgent guarded = new GuardedAgent(new Device("vbd1.51712", new IllegalArgumentException("x"), 1),
            errors, reason ->
            {
                throw new IllegalStateException("xenbus gone");
            });
        final AgentInvoker invoker = new AgentInvoker(errors, errors.counter(), guarded);
        invoker.start();
        invoker.invoke();
        invoker.invoke();
        assertEquals(2, errors.errors(), "the agent's exception and its handler's");
        assertTrue(invoker.isRunning());
    }

    @Test
    void runnerStopsPassThroughUncounted()
    {
        final GuardedAgent guarded = new GuardedAgent(
            new Device("netback", new AgentTerminationException("driver closed"), 1), errors, failures::add);
        assertThrows(AgentTerminationException.class, guarded::doWork);
        assertFalse(guarded.isFailed());
        assertEquals(0, errors.errors());
        assertTrue(failures.isEmpty());
    }

    @Test
    void anExceptionThatEscapesToTheRunnerIsCountedByIt()
    {
        final AgentInvoker invoker = new AgentInvoker(errors, errors.counter(),
            new Device("unguarded", new IllegalStateException("bug"), 1));
        invoker.start();
        invoker.invoke();
        assertEquals(1, errors.errors());
        invoker.close();
    }

    @Test
    void aCountersFileRunnerCounterIsLabelledAndFreed()
    {
        final CountersManager counters = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(4 * CountersReader.METADATA_LENGTH)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(4 * CountersReader.COUNTER_LENGTH)));
        final AgentErrors published = new AgentErrors("netback", counters);
        final GuardedAgent guarded = new GuardedAgent(new Device("vif1.0", new IllegalStateException("b"), 1),
            published, failures::add);
        final AgentInvoker invoker = new AgentInvoker(published, published.counter(), guarded);
        invoker.start();
        invoker.invoke();
        final int id = published.counter().id();
        assertEquals("netback errors", counters.getCounterLabel(id));
        assertEquals(1, counters.getCounterValue(id));
        published.close();
        assertEquals(CountersReader.RECORD_RECLAIMED, counters.getCounterState(id));
    }
}
