package io.pvring.grant;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.pvring.memory.GuestMemory;

import static io.pvring.grant.GrantStatus.GNTST_BAD_COPY_ARG;
import static io.pvring.grant.GrantStatus.GNTST_BAD_DOMAIN;
import static io.pvring.grant.GrantStatus.GNTST_BAD_GNTREF;
import static io.pvring.grant.GrantStatus.GNTST_BAD_HANDLE;
import static io.pvring.grant.GrantStatus.GNTST_BAD_PAGE;
import static io.pvring.grant.GrantStatus.GNTST_GENERAL_ERROR;
import static io.pvring.grant.GrantStatus.GNTST_NO_SPACE;
import static io.pvring.grant.GrantStatus.GNTST_OKAY;
import static io.pvring.grant.GrantTableDescriptor.FLAGS_OFFSET;
import static io.pvring.grant.GrantTableDescriptor.GTF_ACCEPT_TRANSFER;
import static io.pvring.grant.GrantTableDescriptor.GTF_INVALID;
import static io.pvring.grant.GrantTableDescriptor.GTF_PERMIT_ACCESS;
import static io.pvring.grant.GrantTableDescriptor.GTF_READING;
import static io.pvring.grant.GrantTableDescriptor.GTF_TRANSITIVE;
import static io.pvring.grant.GrantTableDescriptor.GTF_WRITING;
import static io.pvring.grant.GrantTableDescriptor.entryOffset;
import static java.time.Duration.ofSeconds;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The backend side under a hostile frontend: every grant failure is a status, and nothing stays pinned. */
class GrantMapperTest
{
    private static final int BACKEND = 0;
    private static final int FRONTEND = 7;
    private static final int PAGE = GuestMemory.PAGE_SIZE;

    private final SharedGrantTable table = SharedGrantTable.anonymous(1);
    private final FrontendGrantTable frontend = new FrontendGrantTable(table);
    private final GuestMemory memory = GuestMemory.anonymous(1 << 20);
    private final BackendGrantMapper mapper = new BackendGrantMapper(BACKEND, FRONTEND, table, memory, 32, null);
    private final UnsafeBuffer page = new UnsafeBuffer(new byte[0]);

    @AfterEach
    void close()
    {
        mapper.close();
        assertEquals(0, mapper.liveMappings());
        assertEquals(0, table.totalPins(), "pins leaked");
        memory.close();
        table.close();
    }

    @Test
    void refOutsideTheTableIsBadGntref()
    {
        for (final int ref : new int[]{table.capacity(), -1, Integer.MIN_VALUE, Integer.MAX_VALUE})
        {
            assertEquals(GNTST_BAD_GNTREF, mapper.map(ref, true), "ref=" + ref);
            assertEquals(GNTST_BAD_GNTREF, mapper.copyFromGuest(ref, 0, new UnsafeBuffer(new byte[8]), 0, 8));
        }
    }

    @Test
    void entryOfAnotherTypeIsRefusedAndLeftAlone()
    {
        for (final int type : new int[]{GTF_INVALID, GTF_ACCEPT_TRANSFER, GTF_TRANSITIVE})
        {
            final int ref = 100 + type;
            table.buffer().putInt(entryOffset(ref) + GrantTableDescriptor.FRAME_OFFSET, 3);
            table.buffer().putInt(entryOffset(ref), GrantTableDescriptor.flagsAndDomid(type, BACKEND));
            assertEquals(GNTST_GENERAL_ERROR, mapper.map(ref, true), "type=" + type);
            assertEquals(GNTST_GENERAL_ERROR, mapper.copyFromGuest(ref, 0, new UnsafeBuffer(new byte[8]), 0, 8));
            assertEquals(GrantTableDescriptor.flagsAndDomid(type, BACKEND), table.buffer().getInt(entryOffset(ref)));
        }
    }

    @Test
    void grantForAnotherDomainIsRefused()
    {
        final int ref = frontend.grantAccess(BACKEND + 1, 3, false);
        assertEquals(GNTST_GENERAL_ERROR, mapper.map(ref, true));
        assertEquals(GNTST_GENERAL_ERROR, mapper.copyToGuest(ref, 0, new UnsafeBuffer(new byte[8]), 0, 8));
        assertFalse(frontend.isBusy(ref));

        // A second backend domain must not ride on a pin the first one holds.
        final int shared = frontend.grantAccess(BACKEND, 4, false);
        final int handle = mapper.map(shared, true);
        try (BackendGrantMapper other = new BackendGrantMapper(BACKEND + 1, FRONTEND, table, memory, 4, null))
        {
            assertEquals(GNTST_GENERAL_ERROR, other.map(shared, true));
        }
        assertEquals(1, table.pins(shared));
        assertEquals(GNTST_OKAY, mapper.unmap(handle));
    }

    @Test
    void readonlyGrantRefusesWritableMapsAndCopiesIn()
    {
        final int ref = frontend.grantAccess(BACKEND, 9, true);
        assertTrue(memory.wrap(page, 9, 1));
        page.setMemory(0, PAGE, (byte)0x11);

        assertEquals(GNTST_GENERAL_ERROR, mapper.map(ref, false));
        final UnsafeBuffer data = new UnsafeBuffer(new byte[16]);
        data.setMemory(0, 16, (byte)0x77);
        assertEquals(GNTST_GENERAL_ERROR, mapper.copyToGuest(ref, 0, data, 0, 16));
        assertEquals(0x11, page.getByte(0), "read-only page was written");
        assertFalse(frontend.isBusy(ref));

        final int handle = mapper.map(ref, true);
        assertTrue(handle >= 0);
        assertEquals(GTF_PERMIT_ACCESS | GrantTableDescriptor.GTF_READONLY | GTF_READING,
            table.buffer().getShort(entryOffset(ref) + FLAGS_OFFSET));
        assertEquals(GNTST_GENERAL_ERROR, mapper.map(ref, false), "write pin on top of a read pin");
        assertEquals(GNTST_OKAY, mapper.copyFromGuest(ref, 8, data, 0, 16));
        assertEquals(0x11, data.getByte(15));
        assertEquals(GNTST_OKAY, mapper.unmap(handle));
    }

    @Test
    void frameOutsideGuestMemoryIsBadPageAndLeavesNothingBusy()
    {
        final int ref = frontend.grantAccess(BACKEND, memory.frames(), false);
        assertEquals(GNTST_BAD_PAGE, mapper.map(ref, false));
        assertEquals(GNTST_BAD_PAGE, mapper.copyFromGuest(ref, 0, new UnsafeBuffer(new byte[8]), 0, 8));
        assertEquals(0, table.pins(ref));
        assertTrue(frontend.endForeignAccessRef(ref));
    }

    @Test
    void frontendEndsAccessOnlyWhenNoMappingOrReadPinIsLeft()
    {
        final int ref = frontend.grantAccess(BACKEND, 5, false);
        final int writable = mapper.map(ref, false);
        final int readonly = mapper.map(ref, true);
        assertEquals(GTF_PERMIT_ACCESS | GTF_READING | GTF_WRITING, table.buffer().getShort(entryOffset(ref)));
        assertEquals(2, table.pins(ref));

        assertEquals(GNTST_OKAY, mapper.unmap(writable));
        assertEquals(GTF_PERMIT_ACCESS | GTF_READING, table.buffer().getShort(entryOffset(ref)), "writing cleared");
        assertFalse(frontend.endForeignAccessRef(ref));

        assertEquals(GNTST_OKAY, mapper.unmap(readonly));
        assertTrue(frontend.endForeignAccessRef(ref));
        assertEquals(GNTST_GENERAL_ERROR, mapper.map(ref, true), "access ended");
    }

    @Test
    void doubleAndStaleUnmapsAreBadHandleAndReleaseNothingElse()
    {
        final int ref = frontend.grantAccess(BACKEND, 5, false);
        final int first = mapper.map(ref, false);
        assertEquals(GNTST_OKAY, mapper.unmap(first));
        assertEquals(GNTST_BAD_HANDLE, mapper.unmap(first));

        final int second = mapper.map(ref, false);
        assertEquals(first & 31, second & 31, "slot reused (LIFO free list)");
        assertEquals(GNTST_BAD_HANDLE, mapper.unmap(first), "stale handle to a reused slot");
        assertFalse(mapper.wrap(first, page));
        assertEquals(1, table.pins(ref));
        assertEquals(GNTST_BAD_HANDLE, mapper.unmap(-1));
        assertEquals(GNTST_BAD_HANDLE, mapper.unmap(Integer.MAX_VALUE));
        assertEquals(GNTST_OKAY, mapper.unmap(second));
    }

    @Test
    void copiesMayNotCrossThePageAndPinOnlyWhileCopying()
    {
        final int ref = frontend.grantAccess(BACKEND, 12, false);
        final UnsafeBuffer data = new UnsafeBuffer(new byte[PAGE + 1]);
        data.putLong(0, 0x0102_0304_0506_0708L);
        assertEquals(GNTST_OKAY, mapper.copyToGuest(ref, PAGE - 8, data, 0, 8));
        assertFalse(frontend.isBusy(ref), "copy released its pin");
        assertEquals(GNTST_BAD_COPY_ARG, mapper.copyToGuest(ref, PAGE - 7, data, 0, 8));
        assertEquals(GNTST_BAD_COPY_ARG, mapper.copyToGuest(ref, 0, data, 0, PAGE + 1));
        assertEquals(GNTST_BAD_COPY_ARG, mapper.copyFromGuest(ref, -1, data, 0, 8));
        assertEquals(GNTST_BAD_COPY_ARG, mapper.copyFromGuest(ref, 0, data, PAGE, 8), "private side overflow");

        final UnsafeBuffer back = new UnsafeBuffer(new byte[8]);
        assertEquals(GNTST_OKAY, mapper.copyFromGuest(ref, PAGE - 8, back, 0, 8));
        assertEquals(0x0102_0304_0506_0708L, back.getLong(0));
        assertTrue(memory.wrap(page, 12, 1));
        assertEquals(0x0102_0304_0506_0708L, page.getLong(PAGE - 8));
        assertTrue(frontend.endForeignAccessRef(ref));
    }

    @Test
    void mapRingMapsConsecutiveFramesAsOneBuffer()
    {
        final int[] refs = new int[16];
        for (int i = 0; i < 16; i++)
        {
            refs[i] = frontend.grantAccess(BACKEND, 32 + i, false);
            assertTrue(memory.wrap(page, 32 + i, 1));
            page.putInt(0, 1000 + i);
        }
        final RingMapping mapping = mapper.mapRing(refs, 16);
        assertEquals(GNTST_OKAY, mapping.status());
        final UnsafeBuffer ring = mapping.ring();
        final int[] handles = mapping.handles();
        assertEquals(16 * PAGE, ring.capacity());
        for (int i = 0; i < 16; i++)
        {
            assertEquals(1000 + i, ring.getInt(i * PAGE));
            assertTrue(frontend.isBusy(refs[i]));
        }
        assertEquals(16, mapper.liveMappings());
        for (final int handle : handles)
        {
            assertEquals(GNTST_OKAY, mapper.unmap(handle));
        }
    }

    @Test
    void mapRingWithScatteredFramesReleasesWhatItMapped()
    {
        final int[] refs = {
            frontend.grantAccess(BACKEND, 40, false),
            frontend.grantAccess(BACKEND, 41, false),
            frontend.grantAccess(BACKEND, 43, false),
            frontend.grantAccess(BACKEND, 44, false)};
        final RingMapping mapping = mapper.mapRing(refs, 4);
        assertEquals(GNTST_GENERAL_ERROR, mapping.status());
        assertEquals(null, mapping.ring());
        assertArrayEquals(new int[0], mapping.handles());
        assertEquals(0, mapper.liveMappings());
        for (final int ref : refs)
        {
            assertEquals(0, table.pins(ref));
            assertFalse(frontend.isBusy(ref));
        }
    }

    @Test
    void mapRingFailingAtPageKReleasesExactlyTheFirstKMinusOne()
    {
        final int[] refs = new int[8];
        for (int i = 0; i < 8; i++)
        {
            refs[i] = frontend.grantAccess(BACKEND, 64 + i, false);
        }
        final int other = frontend.grantAccess(BACKEND, 200, false);
        final int held = mapper.map(other, true);
        for (int k = 0; k < 8; k++)
        {
            final int saved = refs[k];
            refs[k] = table.capacity() + k;
            assertEquals(GNTST_BAD_GNTREF, mapper.mapRing(refs, 8).status());
            refs[k] = saved;
            assertEquals(1, mapper.liveMappings(), "k=" + k);
            assertEquals(1, table.totalPins(), "k=" + k);
        }
        assertEquals(GNTST_OKAY, mapper.unmap(held));
    }

    @Test
    void fullHandleTableIsNoSpaceAndUnmapAllReleasesEverythingOnce()
    {
        final int ref = frontend.grantAccess(BACKEND, 3, false);
        for (int i = 0; i < mapper.maxMappings(); i++)
        {
            assertTrue(mapper.map(ref, (i & 1) == 0) >= 0);
        }
        assertEquals(GNTST_NO_SPACE, mapper.map(ref, true));
        assertEquals(32, table.pins(ref));
        assertEquals(32, mapper.unmapAll());
        assertEquals(0, mapper.unmapAll());
        assertEquals(0, table.pins(ref));
        assertTrue(frontend.endForeignAccessRef(ref));
    }

    @Test
    void closedMapperRefusesWithBadDomain()
    {
        final int ref = frontend.grantAccess(BACKEND, 3, false);
        final int handle = mapper.map(ref, false);
        mapper.close();
        assertEquals(GNTST_BAD_HANDLE, mapper.unmap(handle), "close released it");
        assertEquals(GNTST_BAD_DOMAIN, mapper.map(ref, false));
        assertEquals(GNTST_BAD_DOMAIN, mapper.copyFromGuest(ref, 0, new UnsafeBuffer(new byte[8]), 0, 8));
        assertTrue(frontend.endForeignAccessRef(ref));
    }

    @Test
    void guestRewritingTheEntryWhilePinnedCannotMoveTheMapping()
    {
        final int ref = frontend.grantAccess(BACKEND, 20, false);
        final int handle = mapper.map(ref, true);
        table.buffer().putInt(entryOffset(ref) + GrantTableDescriptor.FRAME_OFFSET, 21);
        final int second = mapper.map(ref, true);
        assertTrue(mapper.wrap(second, page));
        final UnsafeBuffer frame20 = new UnsafeBuffer(new byte[0]);
        assertTrue(memory.wrap(frame20, 20, 1));
        assertEquals(frame20.addressOffset(), page.addressOffset(), "pinned frame is cached, as Xen's act->frame");
        assertEquals(GNTST_OKAY, mapper.unmap(second));
        assertEquals(GNTST_OKAY, mapper.unmap(handle));
    }

    @Test
    void concurrentMappersAndAnEndingFrontendKeepPinsAndBusyBitsConsistent()
    {
        final int ref = frontend.grantAccess(BACKEND, 50, false);
        assertTrue(memory.wrap(page, 50, 1));
        page.putLong(0, 0x5050_5050_5050_5050L);
        final int rounds = 100_000;
        final AtomicReference<String> violation = new AtomicReference<>();
        final AtomicInteger running = new AtomicInteger(2);
        final CountDownLatch start = new CountDownLatch(1);
        final Thread[] threads = new Thread[2];
        for (int t = 0; t < 2; t++)
        {
            final boolean readonly = t == 1;
            final int busy = readonly ? GTF_READING : GTF_READING | GTF_WRITING;
            final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);
            threads[t] = new Thread(() ->
            {
                try
                {
                    start.await();
                    for (int i = 0; i < rounds; i++)
                    {
                        final int handle = mapper.map(ref, readonly);
                        if (handle >= 0)
                        {
                            final int flags = table.buffer().getShortVolatile(entryOffset(ref));
                            if ((flags & busy) != busy)
                            {
                                violation.compareAndSet(null, "mapped but flags=" + flags);
                            }
                            if (!mapper.wrap(handle, view) || view.getLong(0) != 0x5050_5050_5050_5050L)
                            {
                                violation.compareAndSet(null, "wrap of a live mapping failed");
                            }
                            if ((table.buffer().getShortVolatile(entryOffset(ref)) & busy) != busy)
                            {
                                violation.compareAndSet(null, "busy bits lost while mapped");
                            }
                            if (mapper.unmap(handle) != GNTST_OKAY)
                            {
                                violation.compareAndSet(null, "unmap failed for " + handle);
                            }
                        }
                        else if (handle != GNTST_GENERAL_ERROR)
                        {
                            violation.compareAndSet(null, "unexpected " + GrantStatus.describe(handle));
                        }
                    }
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
                finally
                {
                    running.decrementAndGet();
                }
            }, "mapper-" + t);
            threads[t].start();
        }

        assertTimeoutPreemptively(ofSeconds(60), () ->
        {
            start.countDown();
            long ends = 0;
            while (running.get() > 0)
            {
                if (frontend.endForeignAccessRef(ref))
                {
                    ends++;
                    if (table.pins(ref) != 0)
                    {
                        violation.compareAndSet(null, "access ended with " + table.pins(ref) + " pins held");
                    }
                    frontend.grantAccessRef(ref, BACKEND, 50, false);
                }
            }
            for (final Thread thread : threads)
            {
                thread.join();
            }
            assertTrue(ends > 0, "the frontend never won");
        });
        assertNull(violation.get());
        assertEquals(0, table.pins(ref));
        assertEquals(0, mapper.liveMappings());
        assertEquals(GTF_PERMIT_ACCESS, table.buffer().getShort(entryOffset(ref)));
    }
}
