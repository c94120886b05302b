package io.pvring.runner;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;

import io.pvring.event.WaitMode;
import org.agrona.UnsafeApi;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A runner's pass allocates nothing, and an agent's hot state sits two cache lines away from anything else. */
class RunnerHotPathTest
{
    private static final int PADDING = 128;

    private long time;

    @Test
    void passesSleepsAndWakeUpsAllocateNothingOnceWarm()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final Runner runner = new Runner(0, "alloc", () -> time, error -> { });
        final CountingAgent[] agents = new CountingAgent[8];
        for (int i = 0; i < agents.length; i++)
        {
            agents[i] = new CountingAgent("alloc-" + i);
            final WaitMode mode = i % 2 == 0 ? WaitMode.ADAPTIVE : WaitMode.NOTIFY;
            runner.requestAdd(new AgentHandle(agents[i], mode, null, runner,
                mode == WaitMode.ADAPTIVE ? new RunnerPoolConfig().newWindow() : null));
        }
        for (int round = 0; round < 3; round++)
        {
            threads.getCurrentThreadAllocatedBytes();
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 10_000; i++)
            {
                agents[i % agents.length].offer(1); // a wake-up: signal swap plus the runner's flag
                time += 3_000;
                runner.doWork(); // serve
                time += 3_000;
                runner.doWork(); // dry: poll or arm and sleep
                time += 3_000;
                runner.doWork();
            }
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            if (round == 2)
            {
                assertTrue(allocated < 10_000, "bytes allocated by 10k wake/serve/sleep rounds: " + allocated);
            }
        }
        long served = 0;
        for (final CountingAgent agent : agents)
        {
            served += agent.served.get();
        }
        assertEquals(30_000, served);
    }

    @Test
    void anAgentsStateHasTwoCacheLinesOfPaddingOnEachSide()
    {
        long first = Long.MAX_VALUE;
        long last = 0;
        for (final Field field : AgentHandleFields.class.getDeclaredFields())
        {
            final long offset = UnsafeApi.objectFieldOffset(field);
            first = Math.min(first, offset);
            last = Math.max(last, offset);
        }
        long firstTail = Long.MAX_VALUE;
        long lastTail = 0;
        for (final Field field : AgentHandleTail.class.getDeclaredFields())
        {
            firstTail = Math.min(firstTail, UnsafeApi.objectFieldOffset(field));
            lastTail = Math.max(lastTail, UnsafeApi.objectFieldOffset(field));
        }
        assertTrue(first >= PADDING, "first field at " + first);
        assertTrue(firstTail > last, "padding after the fields: " + firstTail + " > " + last);
        assertTrue(lastTail + 1 - last >= PADDING, "padding after the fields spans " + (lastTail + 1 - last));
    }
}
