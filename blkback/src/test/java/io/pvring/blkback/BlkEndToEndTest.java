package io.pvring.blkback;

import io.pvring.blkback.store.MemoryBlockStore;
import io.pvring.blkback.test.TestData;
import io.pvring.blkfront.BlkFrontConfig;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_WRITE;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlkEndToEndTest
{
    @Test
    void writeThenReadBackThroughTheRing()
    {
        try (Rig rig = Rig.memory(16 << 20))
        {
            final UnsafeBuffer data = TestData.pattern(44 * 1024, 5);
            assertEquals(BLKIF_RSP_OKAY, rig.write(2048, data));
            final UnsafeBuffer back = new UnsafeBuffer(new byte[data.capacity()]);
            assertEquals(BLKIF_RSP_OKAY, rig.read(2048, back));
            assertEquals(data, back);
            final UnsafeBuffer inStore = new UnsafeBuffer(new byte[data.capacity()]);
            rig.store.read(2048 * 512, inStore, 0, inStore.capacity());
            assertEquals(data, inStore);
            assertTrue(rig.ring(0).counters().persistentHits.get() > 0, "second request reused persistent grants");
        }
    }

    @Test
    void indirectRequestsCarryAMegabyte()
    {
        final BlkFrontConfig fc = new BlkFrontConfig().maxIndirectSegments(256).poolPages(600);
        try (Rig rig = new Rig(new MemoryBlockStore(8 << 20, 512), new BlkBackConfig(), fc))
        {
            final UnsafeBuffer data = TestData.pattern(1 << 20, 9);
            assertEquals(BLKIF_RSP_OKAY, rig.write(8, data));
            final UnsafeBuffer back = new UnsafeBuffer(new byte[data.capacity()]);
            assertEquals(BLKIF_RSP_OKAY, rig.read(8, back));
            assertEquals(data, back);
            assertEquals(2, rig.ring(0).counters().grantCopies.get(), "one indirect page per request");
        }
    }

    @Test
    void fourKibSectorDisk()
    {
        try (Rig rig = new Rig(new MemoryBlockStore(4 << 20, 4096), new BlkBackConfig(), new BlkFrontConfig()))
        {
            final UnsafeBuffer data = TestData.pattern(11 * 4096, 4);
            assertEquals(BLKIF_RSP_OKAY, rig.write(64, data), "sector fields stay 512-byte units");
            final UnsafeBuffer back = new UnsafeBuffer(new byte[data.capacity()]);
            assertEquals(BLKIF_RSP_OKAY, rig.read(64, back));
            assertEquals(data, back);
            final UnsafeBuffer inStore = new UnsafeBuffer(new byte[4096]);
            rig.store.read(64 * 512, inStore, 0, 4096);
            assertEquals(data.getByte(0), inStore.getByte(0));
        }
    }

    @Test
    void partialPagesAndBothAbisWithoutPersistentGrants()
    {
        for (final String protocol : new String[]{ "x86_32-abi", "x86_64-abi" })
        {
            final BlkFrontConfig fc = new BlkFrontConfig().protocol(protocol).persistentGrants(false);
            try (Rig rig = new Rig(new MemoryBlockStore(1 << 20, 512), new BlkBackConfig(), fc))
            {
                final UnsafeBuffer data = TestData.pattern(3 * 512, 2);
                assertTrue(rig.q(0).submit(BLKIF_OP_WRITE, 100, 3, 6, null, 0, data, 0, 7));
                assertEquals(BLKIF_RSP_OKAY, rig.runOne());
                assertEquals(7, rig.completions.get(0)[0]);
                final UnsafeBuffer back = new UnsafeBuffer(new byte[data.capacity()]);
                assertEquals(BLKIF_RSP_OKAY, rig.read(100, back));
                assertEquals(data, back);
                assertEquals(0, rig.ring(0).persistentGrants());
                assertEquals(1, rig.guest.mapper.liveMappings(), "only the ring page stays mapped");
            }
        }
    }
}
