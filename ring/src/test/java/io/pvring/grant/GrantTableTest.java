package io.pvring.grant;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.pvring.memory.GuestMemory;

import static io.pvring.grant.GrantTableDescriptor.DOMID_OFFSET;
import static io.pvring.grant.GrantTableDescriptor.FLAGS_OFFSET;
import static io.pvring.grant.GrantTableDescriptor.FRAME_OFFSET;
import static io.pvring.grant.GrantTableDescriptor.GTF_PERMIT_ACCESS;
import static io.pvring.grant.GrantTableDescriptor.GTF_READONLY;
import static io.pvring.grant.GrantTableDescriptor.entryOffset;
import static java.time.Duration.ofSeconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GrantTableTest
{
    private static final int FRONTEND = 5;

    private final SharedGrantTable table = SharedGrantTable.anonymous(1);
    private final FrontendGrantTable frontend = new FrontendGrantTable(table);

    @AfterEach
    void close()
    {
        table.close();
    }

    @Test
    void tableHasXensGeometry()
    {
        assertEquals(512, table.capacity());
        try (SharedGrantTable full = SharedGrantTable.anonymous(GrantTableDescriptor.DEFAULT_FRAMES))
        {
            assertEquals(32768, full.capacity());
        }
        assertThrows(IllegalArgumentException.class, () -> SharedGrantTable.anonymous(0));
    }

    @Test
    void grantWritesAV1EntryAndEndAccessClearsTheFlags()
    {
        final int ref = frontend.grantAccess(0, 0x1234_5678L, false);
        assertEquals(GrantTableDescriptor.GNTTAB_NR_RESERVED_ENTRIES, ref);
        final int offset = entryOffset(ref);
        assertEquals(GTF_PERMIT_ACCESS, table.buffer().getShort(offset + FLAGS_OFFSET));
        assertEquals(0, table.buffer().getShort(offset + DOMID_OFFSET));
        assertEquals(0x1234_5678, table.buffer().getInt(offset + FRAME_OFFSET));

        final int readonly = frontend.grantAccess(0xFFF0, 0xFFFF_FFFFL, true);
        assertEquals(GTF_PERMIT_ACCESS | GTF_READONLY, table.buffer().getShort(entryOffset(readonly)));
        assertEquals(0xFFF0, table.buffer().getShort(entryOffset(readonly) + DOMID_OFFSET) & 0xFFFF);

        assertTrue(frontend.endForeignAccessRef(ref));
        assertEquals(0, table.buffer().getShort(offset + FLAGS_OFFSET));
        frontend.releaseRef(ref);
        assertThrows(IllegalStateException.class, () -> frontend.releaseRef(ref));
        assertThrows(IllegalArgumentException.class, () -> frontend.grantAccessRef(512, 0, 1, false));
        assertThrows(IllegalArgumentException.class, () -> frontend.grantAccessRef(9, 0, 1L << 32, false));
    }

    @Test
    void claimNeverHandsOutReservedRefsAndReportsExhaustion()
    {
        final boolean[] seen = new boolean[table.capacity()];
        for (int i = 0; i < table.capacity() - GrantTableDescriptor.GNTTAB_NR_RESERVED_ENTRIES; i++)
        {
            final int ref = frontend.claimRef();
            assertTrue(ref >= GrantTableDescriptor.GNTTAB_NR_RESERVED_ENTRIES, "ref=" + ref);
            assertFalse(seen[ref], "ref " + ref + " handed out twice");
            seen[ref] = true;
        }
        assertEquals(-1, frontend.claimRef());
        assertEquals(-1, frontend.grantAccess(0, 1, false));
        assertEquals(504, frontend.claimedRefs());
        frontend.releaseRef(300);
        assertEquals(300, frontend.claimRef());
    }

    @Test
    void mapperSetsBusyBitsSoTheFrontendCannotEndAccessUnderIt()
    {
        try (GuestMemory memory = GuestMemory.anonymous(1 << 20);
            BackendGrantMapper mapper = new BackendGrantMapper(0, FRONTEND, table, memory, 64, null))
        {
            final int ref = frontend.grantAccess(0, 42, false);
            final int handle = mapper.map(ref, false);
            assertTrue(handle >= 0, GrantStatus.describe(handle));
            assertTrue(frontend.isBusy(ref));
            assertEquals(GTF_PERMIT_ACCESS | GrantTableDescriptor.GTF_READING | GrantTableDescriptor.GTF_WRITING,
                table.buffer().getShort(entryOffset(ref)));
            assertFalse(frontend.endForeignAccessRef(ref), "ended access while mapped");

            final UnsafeBuffer page = new UnsafeBuffer(new byte[0]);
            assertTrue(mapper.wrap(handle, page));
            page.putLong(8, 0xCAFE_BABEL);
            final UnsafeBuffer guestView = new UnsafeBuffer(new byte[0]);
            assertTrue(memory.wrap(guestView, 42, 1));
            assertEquals(0xCAFE_BABEL, guestView.getLong(8));

            assertEquals(GrantStatus.GNTST_OKAY, mapper.unmap(handle));
            assertEquals(0, table.pins(ref));
            assertEquals(GTF_PERMIT_ACCESS, table.buffer().getShort(entryOffset(ref)));
            assertFalse(mapper.wrap(handle, page));
            assertTrue(frontend.endForeignAccessRef(ref));
        }
    }

    @Test
    void concurrentClaimsNeverHandOutOneRefTwice()
    {
        final AtomicIntegerArray owner = new AtomicIntegerArray(table.capacity());
        final AtomicReference<String> violation = new AtomicReference<>();
        final Thread[] threads = new Thread[2];
        for (int t = 0; t < threads.length; t++)
        {
            final int me = t + 1;
            threads[t] = new Thread(() ->
            {
                final int[] held = new int[100];
                for (int round = 0; round < 2_000 && null == violation.get(); round++)
                {
                    for (int i = 0; i < held.length; i++)
                    {
                        held[i] = frontend.claimRef();
                        if (held[i] < 0 || !owner.compareAndSet(held[i], 0, me))
                        {
                            violation.compareAndSet(null, "ref=" + held[i] + " claimed while held");
                            return;
                        }
                    }
                    for (final int ref : held)
                    {
                        owner.set(ref, 0);
                        frontend.releaseRef(ref);
                    }
                }
            }, "claimer-" + t);
        }
        assertTimeoutPreemptively(ofSeconds(60), () ->
        {
            for (final Thread thread : threads)
            {
                thread.start();
            }
            for (final Thread thread : threads)
            {
                thread.join();
            }
        });
        assertNull(violation.get());
        assertEquals(0, frontend.claimedRefs());
    }
}
