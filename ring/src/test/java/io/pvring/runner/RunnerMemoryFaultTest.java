package io.pvring.runner;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import io.pvring.agent.GuardedAgent;
import io.pvring.event.WaitMode;
import io.pvring.memory.GuestMemory;
import io.pvring.memory.MemoryTable;
import io.pvring.memory.RegionGuestMemory;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Memory an emulator shared and then shrank under serve's mapping: the next access is a SIGBUS, which the JVM
 * raises as an {@link InternalError} (in JIT-compiled code, asynchronously: possibly after the faulting agent's call
 * returned). Only the agent that read it is removed, reported to its listener as a memory fault; the runner and its
 * other agents carry on.
 */
class RunnerMemoryFaultTest
{
    private static final int PAGES = 16;

    @TempDir
    Path dir;

    /** Reads every page of the guest's memory each pass, as a ring agent reads its rings and data pages. */
    private static final class Reader implements RingAgent
    {
        final GuestMemory memory;
        final UnsafeBuffer page = new UnsafeBuffer(new byte[GuestMemory.PAGE_SIZE]);
        final AtomicLong passes = new AtomicLong();

        Reader(final GuestMemory memory)
        {
            this.memory = memory;
        }

        public int doWork()
        {
            for (int gfn = 0; gfn < PAGES; gfn++)
            {
                memory.getBytes(gfn, 0, page, 0, GuestMemory.PAGE_SIZE);
            }
            passes.incrementAndGet();
            return 1;
        }

        public boolean armAndCheck()
        {
            return true;
        }

        @Override
        public boolean memoryIntact()
        {
            return memory.intact();
        }

        public void waker(final AgentWaker waker)
        {
        }

        public String roleName()
        {
            return "vbd7.51712";
        }
    }

    @Test
    void aShrunkSharedMemoryFailsTheAgentThatReadItAndTheRunnerCarriesOn() throws Exception
    {
        final Path file = dir.resolve("guest-ram");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
        {
            channel.write(ByteBuffer.allocate(PAGES * GuestMemory.PAGE_SIZE), 0);
        }
        final List<String> errors = new CopyOnWriteArrayList<>();
        final List<Throwable> faults = new CopyOnWriteArrayList<>();
        try (RegionGuestMemory memory = RegionGuestMemory.map(MemoryTable.single(file, 0,
            PAGES * GuestMemory.PAGE_SIZE));
            RunnerPool pool = new RunnerPool(new RunnerPoolConfig().runners(1)))
        {
            final Reader reader = new Reader(memory);
            final CountingAgent neighbour = new CountingAgent("vbd8.51712");
            pool.add(reader, WaitMode.POLL, (agent, error) ->
            {
                errors.add(agent.roleName());
                faults.add(error);
            });
            pool.add(neighbour, WaitMode.POLL, (agent, error) -> errors.add(agent.roleName()));
            // Long enough for the JIT to compile the reads: the fault then arrives asynchronously.
            Await.until(30, () -> reader.passes.get() > 20_000, () -> "reader passes " + reader.passes.get());
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
            {
                channel.truncate(0);
            }
            Await.until(30, () -> !errors.isEmpty(), () -> "no agent was failed; reader passes " +
                reader.passes.get());
            assertEquals(List.of("vbd7.51712"), errors, "only the reader is failed");
            assertTrue(GuardedAgent.isMemoryFault(faults.get(0)), faults.get(0).toString());
            final long before = neighbour.doWorks.get();
            Await.until(30, () -> neighbour.doWorks.get() > before + 1_000, () -> "the neighbour stopped at " +
                neighbour.doWorks.get() + " duty cycles");
            assertEquals(List.of("vbd7.51712"), errors, "and nothing else failed");
        }
    }
}
