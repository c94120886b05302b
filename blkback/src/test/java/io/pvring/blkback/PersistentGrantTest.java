package io.pvring.blkback;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.pvring.blkback.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The backend's persistent mappings stay bounded per ring and the least recently used go first. */
class PersistentGrantTest
{
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
            final UnsafeBuffer data = BlockStoreTest.pattern(44 * 1024, 3);
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
            final UnsafeBuffer data = BlockStoreTest.pattern(16 << 20, 8);
            assertEquals(BLKIF_RSP_OKAY, rig.write(0, data));
            final UnsafeBuffer back = new UnsafeBuffer(new byte[data.capacity()]);
            assertEquals(BLKIF_RSP_OKAY, rig.read(0, back));
            assertEquals(data, back);
            assertEquals(16, rig.ring(0).counters().grantCopies.get(), "8 indirect pages per request");
        }
    }
}
