package io.pvring.grant;

import java.lang.management.ManagementFactory;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.pvring.event.BlockingIdleStrategy;
import io.pvring.event.EventChannelTable;
import io.pvring.event.EventPort;
import io.pvring.memory.GuestMemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Map, unmap, copy, wrap, notify and wake allocate nothing once warm (measured per thread by the JVM). */
class HotPathAllocationTest
{
    private static final int BACKEND = 0;
    private static final int FRONTEND = 1;

    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    @Test
    void grantAndEventOperationsDoNotAllocate()
    {
        try (SharedGrantTable table = SharedGrantTable.anonymous(1);
            GuestMemory memory = GuestMemory.anonymous(1 << 20);
            BackendGrantMapper mapper = new BackendGrantMapper(BACKEND, FRONTEND, table, memory, 64, null))
        {
            final FrontendGrantTable frontend = new FrontendGrantTable(table);
            final int[] refs = new int[4];
            for (int i = 0; i < refs.length; i++)
            {
                refs[i] = frontend.grantAccess(BACKEND, 16 + i, false);
            }
            final EventChannelTable channels = new EventChannelTable();
            channels.addDomain(BACKEND);
            channels.addDomain(FRONTEND);
            final EventPort front = channels.allocUnbound(FRONTEND, BACKEND);
            final EventPort back = channels.bindInterdomain(BACKEND, FRONTEND, front.port());
            back.waiter(new BlockingIdleStrategy());

            final Work work = new Work(mapper, frontend, memory, refs, front, back);
            for (int i = 0; i < 50_000; i++)
            {
                work.run();
            }
            threads.getCurrentThreadAllocatedBytes();
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 10_000; i++)
            {
                work.run();
            }
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            // One allocation per round would be >= 16 bytes x 10k; the JIT may allocate a few bytes once (OSR).
            assertTrue(allocated < 10_000, "bytes allocated by 10k rounds: " + allocated);
            assertEquals(0, mapper.liveMappings());
        }
    }

    private static final class Work
    {
        private final BackendGrantMapper mapper;
        private final FrontendGrantTable frontend;
        private final GuestMemory memory;
        private final int[] refs;
        private final EventPort front;
        private final EventPort back;
        private final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);
        private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[512]);

        Work(
            final BackendGrantMapper mapper,
            final FrontendGrantTable frontend,
            final GuestMemory memory,
            final int[] refs,
            final EventPort front,
            final EventPort back)
        {
            this.mapper = mapper;
            this.frontend = frontend;
            this.memory = memory;
            this.refs = refs;
            this.front = front;
            this.back = back;
        }

        void run()
        {
            final int handle = mapper.map(refs[0], true);
            mapper.wrap(handle, view);
            mapper.unmap(handle);
            mapper.copyFromGuest(refs[1], 512, scratch, 0, 512);
            mapper.copyToGuest(refs[2], 1024, scratch, 0, 512);
            memory.wrap(view, 3, 1);
            frontend.isBusy(refs[3]);
            front.notifyRemote();
            back.consumePending();
        }
    }
}
