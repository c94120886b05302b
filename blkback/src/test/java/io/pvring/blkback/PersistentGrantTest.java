package io.pvring.blkback;

import io.pvring.blkback.store.MemoryBlockStore;
import io.pvring.blkback.test.TestData;
import io.pvring.blkfront.BlkFrontConfig;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The backend's persistent mappings stay bounded per ring and the least recently used go first. */
class PersistentGrantTest
{
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000 * MS;

    @Test
    void purgeUnmapsMappingsUnusedForTheTimeoutAtMostEveryHundredMilliseconds()
    {
        try (TestGuest guest = new TestGuest(64, 128))
        {
            final PersistentGrantCache cache = new PersistentGrantCache(8, 60 * SECOND, 0);
            final int[] refs = new int[3];
            for (int i = 0; i < 3; i++)
            {
                refs[i] = guest.grants.grantAccess(TestGuest.BACK_DOMID, 10 + i, false);
                cache.beginRequest();
                assertTrue(cache.add(refs[i], guest.mapper.map(refs[i], false), guest.mapper));
            }
            assertEquals(0, cache.purge(99 * MS, guest.mapper), "no purge before the interval");
            assertEquals(0, cache.purge(100 * MS, guest.mapper), "nothing unused for 60 s yet");
            assertEquals(0, cache.purge(30 * SECOND, guest.mapper));
            cache.beginRequest();
            final int handle0 = cache.lookup(refs[0]);
            assertTrue(handle0 >= 0);

            assertEquals(0, cache.purge(60 * SECOND - 1, guest.mapper));
            assertEquals(2, cache.purge(60 * SECOND + 100 * MS, guest.mapper), "refs 1 and 2 idle since 0");
            assertEquals(1, cache.size());
            assertEquals(1, guest.mapper.liveMappings(), "the purged mappings were unmapped");
            assertEquals(-1, cache.lookup(refs[1]));
            assertEquals(-1, cache.lookup(refs[2]));
            cache.beginRequest();
            assertEquals(handle0, cache.lookup(refs[0]), "ref 0 was used at 30 s");
            cache.endRequest();

            assertEquals(0, cache.purge(60 * SECOND + 150 * MS, guest.mapper), "interval not over again");
            assertEquals(0, cache.purge(120 * SECOND, guest.mapper), "ref 0 was used at 60.1 s");
            assertEquals(1, cache.purge(120 * SECOND + 100 * MS, guest.mapper));
            assertEquals(0, cache.size());
            assertEquals(0, guest.mapper.liveMappings());
        }
    }

    @Test
    void purgeAfterAnOverflowUnmapsTheFivePercentLeastRecentlyUsed()
    {
        try (TestGuest guest = new TestGuest(256, 512))
        {
            final PersistentGrantCache cache = new PersistentGrantCache(200, 60 * SECOND, 0);
            final int[] refs = new int[201];
            for (int i = 0; i < refs.length; i++)
            {
                refs[i] = guest.grants.grantAccess(TestGuest.BACK_DOMID, 10 + i, false);
            }
            for (int i = 0; i < 200; i++)
            {
                cache.beginRequest();
                assertTrue(cache.add(refs[i], guest.mapper.map(refs[i], false), guest.mapper));
            }
            assertEquals(0, cache.purge(100 * MS, guest.mapper), "full but never overflowed: Linux keeps all");
            cache.beginRequest();
            cache.lookup(refs[1]);
            cache.beginRequest();
            assertTrue(cache.add(refs[200], guest.mapper.map(refs[200], false), guest.mapper), "evicts ref 0");
            assertEquals(-1, cache.lookup(refs[0]));

            assertEquals(10, cache.purge(200 * MS, guest.mapper), "5 % of 200");
            assertEquals(190, cache.size());
            assertEquals(190, guest.mapper.liveMappings());
            for (int i = 2; i <= 11; i++)
            {
                assertEquals(-1, cache.lookup(refs[i]), "ref " + i + " was among the least recently used");
            }
            assertTrue(cache.lookup(refs[1]) >= 0, "ref 1 was used recently");
            assertTrue(cache.lookup(refs[12]) >= 0);
            assertTrue(cache.lookup(refs[200]) >= 0);
            assertEquals(0, cache.purge(300 * MS, guest.mapper), "no overflow since the last purge");
            assertEquals(190, cache.unmapAll(guest.mapper));
            assertEquals(0, guest.mapper.liveMappings());
        }
    }

    @Test
    void purgeNeverUnmapsAMappingTheCurrentRequestUses()
    {
        try (TestGuest guest = new TestGuest(64, 128))
        {
            final PersistentGrantCache cache = new PersistentGrantCache(2, 60 * SECOND, 0);
            final int[] refs = new int[3];
            for (int i = 0; i < 3; i++)
            {
                refs[i] = guest.grants.grantAccess(TestGuest.BACK_DOMID, 10 + i, false);
            }
            cache.beginRequest();
            assertTrue(cache.add(refs[0], guest.mapper.map(refs[0], false), guest.mapper));
            assertTrue(cache.add(refs[1], guest.mapper.map(refs[1], false), guest.mapper));
            final int extra = guest.mapper.map(refs[2], false);
            assertFalse(cache.add(refs[2], extra, guest.mapper), "overflow inside one request keeps both");
            guest.mapper.unmap(extra);
            // Still inside the same request: both mappings are idle by the clock and overflowed, yet in use.
            assertEquals(0, cache.purge(61 * SECOND, guest.mapper));
            assertEquals(2, cache.size());
            assertEquals(2, guest.mapper.liveMappings());
            assertEquals(2, cache.unmapAll(guest.mapper));
        }
    }

    @Test
    void aRingPurgesIdlePersistentMappingsFromItsOwnDutyCycle()
    {
        final CachedNanoClock clock = new CachedNanoClock();
        final BlkBackConfig bc = new BlkBackConfig().nanoClock(clock).persistentGrantUnusedSeconds(60);
        try (Rig rig = new Rig(new MemoryBlockStore(8 << 20, 512), bc, new BlkFrontConfig()))
        {
            final UnsafeBuffer data = TestData.pattern(32 * 1024, 5);
            assertEquals(BLKIF_RSP_OKAY, rig.write(0, data));
            final int kept = rig.ring(0).persistentGrants();
            assertTrue(kept >= 8, "persistent mappings " + kept);
            assertEquals(kept + 1, rig.guest.mapper.liveMappings(), "kept plus the ring");

            clock.advance(59 * SECOND);
            rig.ring(0).doWork();
            assertEquals(kept, rig.ring(0).persistentGrants(), "not idle for 60 s yet");
            clock.advance(SECOND);
            assertEquals(kept, rig.ring(0).doWork(), "the idle ring's duty cycle did the purge");
            assertEquals(0, rig.ring(0).persistentGrants());
            assertEquals(1, rig.guest.mapper.liveMappings(), "only the ring stays mapped");

            final UnsafeBuffer back = new UnsafeBuffer(new byte[data.capacity()]);
            assertEquals(BLKIF_RSP_OKAY, rig.read(0, back), "the frontend reuses its grants; they map again");
            assertEquals(data, back);
            assertTrue(rig.ring(0).persistentGrants() > 0);
        }
    }

    @Test
    void cacheEvictsTheLeastRecentlyUsedButNeverOneTheCurrentRequestUses()
    {
        try (TestGuest guest = new TestGuest(64, 128))
        {
            final PersistentGrantCache cache = new PersistentGrantCache(3);
            final int[] refs = new int[5];
            final int[] handles = new int[5];
            for (int i = 0; i < 5; i++)
            {
                refs[i] = guest.grants.grantAccess(TestGuest.BACK_DOMID, 10 + i, false);
                handles[i] = guest.mapper.map(refs[i], false);
            }
            cache.beginRequest();
            assertTrue(cache.add(refs[0], handles[0], guest.mapper));
            assertTrue(cache.add(refs[1], handles[1], guest.mapper));
            assertTrue(cache.add(refs[2], handles[2], guest.mapper));
            assertFalse(cache.add(refs[3], handles[3], guest.mapper), "all three serve the current request");
            guest.mapper.unmap(handles[3]);

            cache.beginRequest();
            assertEquals(handles[0], cache.lookup(refs[0]));
            assertEquals(handles[2], cache.lookup(refs[2]));
            assertTrue(cache.add(refs[4], handles[4], guest.mapper), "evicts ref 1, the least recently used");
            assertEquals(-1, cache.lookup(refs[1]));
            assertEquals(3, cache.size());
            assertEquals(3, guest.mapper.liveMappings(), "the evicted mapping was unmapped");
            assertEquals(3, cache.unmapAll(guest.mapper));
            assertEquals(0, guest.mapper.liveMappings());
        }
    }

    @Test
    void aRingKeepsAtMostItsLimitOfPersistentMappings()
    {
        final BlkBackConfig bc = new BlkBackConfig().maxPersistentGrants(40);
        final BlkFrontConfig fc = new BlkFrontConfig().poolPages(200);
        try (Rig rig = new Rig(new MemoryBlockStore(8 << 20, 512), bc, fc))
        {
            final UnsafeBuffer data = TestData.pattern(44 * 1024, 3);
            for (int round = 0; round < 30; round++)
            {
                for (int i = 0; i < 4; i++)
                {
                    assertTrue(rig.q(0).write((round * 4 + i) * 88L, 88, data, 0, i));
                }
                rig.completions.clear();
                rig.run();
                for (final long[] c : rig.completions)
                {
                    assertEquals(BLKIF_RSP_OKAY, c[2]);
                }
                assertTrue(rig.ring(0).persistentGrants() <= 40, "persistent mappings " +
                    rig.ring(0).persistentGrants());
            }
            assertEquals(40, rig.ring(0).persistentGrants());
            assertEquals(41, rig.guest.mapper.liveMappings(), "40 kept plus the ring");
        }
    }

    @Test
    void eightIndirectPagesCarry4096Segments()
    {
        final BlkBackConfig bc = new BlkBackConfig().maxIndirectSegments(4096);
        final BlkFrontConfig fc = new BlkFrontConfig().maxIndirectSegments(4096).poolPages(4200);
        try (Rig rig = new Rig(new MemoryBlockStore(32 << 20, 512), bc, fc))
        {
            final UnsafeBuffer data = TestData.pattern(16 << 20, 8);
            assertEquals(BLKIF_RSP_OKAY, rig.write(0, data));
            final UnsafeBuffer back = new UnsafeBuffer(new byte[data.capacity()]);
            assertEquals(BLKIF_RSP_OKAY, rig.read(0, back));
            assertEquals(data, back);
            assertEquals(16, rig.ring(0).counters().grantCopies.get(), "8 indirect pages per request");
        }
    }
}
