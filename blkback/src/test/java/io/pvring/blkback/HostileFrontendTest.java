package io.pvring.blkback;

import java.nio.ByteOrder;
import java.util.function.ObjIntConsumer;

import io.pvring.blkback.store.BlockStore;
import io.pvring.blkback.store.MemoryBlockStore;
import io.pvring.blkback.store.NullBlockStore;
import io.pvring.blkback.store.RawFileBlockStore;
import io.pvring.blkback.test.FaultyFileChannel;
import io.pvring.blkback.test.TestData;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkif.BlkifAbi;
import io.pvring.blkif.BlkifDescriptor;
import io.pvring.grant.GrantStatus;
import io.pvring.host.Hypervisor;
import io.pvring.ring.FrontRing;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_FLUSH_DISKCACHE;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_READ;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_WRITE;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_WRITE_BARRIER;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_EOPNOTSUPP;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_ERROR;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A frontend that writes whatever it likes into the ring, on the real hypervisor core ({@link HostRig}: Xen's grant
 * checks, real event channels, faults injected with the ring test-jar's {@code FaultInjectingGrantMapper}). Each
 * case gets its protocol answer, touches no data, and the device keeps serving (a valid request afterwards
 * succeeds); only a forged producer index stops the device.
 */
class HostileFrontendTest
{
    private static final long DISK = 1 << 20;

    /** Raw requests over a {@link HostRig}'s ring, with data pages from the guest frames below the driver's. */
    static final class Raw
    {
        final HostRig rig;
        final BlkifAbi abi;
        final FrontRing front;
        long id = 1000;

        Raw(final HostRig rig)
        {
            this.rig = rig;
            this.abi = rig.q(0).abi();
            this.front = rig.q(0).frontRing();
        }

        UnsafeBuffer page(final int gfn)
        {
            final UnsafeBuffer page = new UnsafeBuffer(new byte[0]);
            rig.memory.wrap(page, gfn, 1);
            return page;
        }

        int grant(final int gfn, final boolean readonly)
        {
            return rig.grants.grantAccess(Hypervisor.DOM0, gfn, readonly);
        }

        /** Writes one request with {@code writer}, lets the backend serve it, returns the response status. */
        int send(final java.util.function.BiConsumer<MutableDirectBuffer, Integer> writer)
        {
            final int slot = front.requestOffset();
            writer.accept(front.buffer(), slot);
            front.nextRequest();
            front.pushRequests();
            rig.ring(0).doWork();
            assertEquals(1, front.unconsumedResponses(), "exactly one response");
            final int rsp = front.responseOffset();
            assertEquals(id, abi.responseId(front.buffer(), rsp));
            final int status = abi.responseStatus(front.buffer(), rsp);
            front.nextResponse();
            id++;
            return status;
        }

        int rw(final int op, final long sector, final int nseg, final int gref, final int first, final int last)
        {
            return send((b, o) ->
            {
                abi.putRequest(b, o, op, nseg, 0, id, sector);
                for (int i = 0; i < Math.min(nseg, 11); i++)
                {
                    abi.putSegment(b, o, i, gref, first, last);
                }
            });
        }

        /** A valid one-page write and read-back: the device still serves. */
        void assertStillServing()
        {
            final int ref = grant(3, false);
            page(3).setMemory(0, 4096, (byte)0x3C);
            assertEquals(BLKIF_RSP_OKAY, rw(BLKIF_OP_WRITE, 64, 1, ref, 0, 7));
            page(3).setMemory(0, 4096, (byte)0);
            assertEquals(BLKIF_RSP_OKAY, rw(BLKIF_OP_READ, 64, 1, ref, 0, 7));
            assertEquals(0x3C, page(3).getByte(4095));
        }
    }

    private static HostRig rig()
    {
        return new HostRig(new MemoryBlockStore(DISK, 512), new BlkBackConfig(), new BlkFrontConfig());
    }

    private static void assertStoreZero(final BlockStore store)
    {
        final UnsafeBuffer all = new UnsafeBuffer(new byte[(int)store.sizeBytes()]);
        store.read(0, all, 0, all.capacity());
        for (int i = 0; i < all.capacity(); i += 512)
        {
            assertEquals(0, all.getLong(i), "store untouched at " + i);
        }
    }

    @Test
    void unknownOperationGetsEopnotsupp()
    {
        try (HostRig rig = rig())
        {
            final Raw raw = new Raw(rig);
            final int ref = raw.grant(1, false);
            assertEquals(BLKIF_RSP_EOPNOTSUPP, raw.rw(BlkifDescriptor.BLKIF_OP_RESERVED_1, 0, 1, ref, 0, 7));
            assertEquals(BLKIF_RSP_EOPNOTSUPP, raw.rw(200, 0, 1, ref, 0, 7));
            assertStoreZero(rig.store);
            raw.assertStillServing();
        }
    }

    @Test
    void zeroSegmentsForDataOperationsIsAnError()
    {
        try (HostRig rig = rig())
        {
            final Raw raw = new Raw(rig);
            assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_READ, 0, 0, 0, 0, 0));
            assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_WRITE, 0, 0, 0, 0, 0));
            assertEquals(BLKIF_RSP_ERROR, raw.send((b, o) ->
                raw.abi.putIndirect(b, o, BLKIF_OP_READ, 0, 0, raw.id, 0)));
            assertEquals(BLKIF_RSP_OKAY, raw.rw(BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0, 0, 0), "flush may be empty");
            raw.assertStillServing();
        }
    }

    @Test
    void tooManySegmentsIsAnError()
    {
        try (HostRig rig = rig())
        {
            final Raw raw = new Raw(rig);
            final int ref = raw.grant(1, false);
            assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_WRITE, 0, 12, ref, 0, 7));
            assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_WRITE, 0, 255, ref, 0, 7));
            final int indirectRef = raw.grant(2, true);
            assertEquals(BLKIF_RSP_ERROR, raw.send((b, o) ->
            {
                raw.abi.putIndirect(b, o, BLKIF_OP_WRITE, 257, 0, raw.id, 0);
                raw.abi.putIndirectGref(b, o, 0, indirectRef);
                raw.abi.putIndirectGref(b, o, 1, indirectRef);
            }));
            assertEquals(BLKIF_RSP_ERROR, raw.send((b, o) ->
                raw.abi.putIndirect(b, o, BLKIF_OP_WRITE_BARRIER, 1, 0, raw.id, 0)), "indirect op must be r/w");
            assertStoreZero(rig.store);
            raw.assertStillServing();
        }
    }

    @Test
    void badIndirectPageGrantsAreErrors()
    {
        final BlkFrontConfig fc = new BlkFrontConfig().maxIndirectSegments(256).poolPages(300);
        try (HostRig rig = new HostRig(new MemoryBlockStore(DISK, 512), new BlkBackConfig(), fc))
        {
            final Raw raw = new Raw(rig);
            assertEquals(BLKIF_RSP_ERROR, raw.send((b, o) ->
            {
                raw.abi.putIndirect(b, o, BLKIF_OP_READ, 12, 0, raw.id, 0);
                raw.abi.putIndirectGref(b, o, 0, 7); // never granted
            }));
            final int foreign = rig.grants.grantAccess(42, 2, true);
            assertEquals(BLKIF_RSP_ERROR, raw.send((b, o) ->
            {
                raw.abi.putIndirect(b, o, BLKIF_OP_READ, 600, 0, raw.id, 0);
                raw.abi.putIndirectGref(b, o, 0, raw.grant(2, true));
                raw.abi.putIndirectGref(b, o, 1, foreign); // the second page is not granted to the backend
            }));
            assertEquals(1, rig.mapper.liveMappings());
            raw.assertStillServing();
        }
    }

    @Test
    void aBadRequestInTheMiddleOfABatchFailsAlone()
    {
        try (HostRig rig = rig())
        {
            final Raw raw = new Raw(rig);
            final int ref = raw.grant(1, false);
            raw.page(1).setMemory(0, 4096, (byte)0x71);
            final FrontRing front = raw.front;
            final long[] sectors = { 8, DISK, 16 }; // the middle one starts at the disk's end
            for (int i = 0; i < 3; i++)
            {
                raw.abi.putRequest(front.buffer(), front.requestOffset(), BLKIF_OP_WRITE, 1, 0, 500 + i,
                    sectors[i] / (i == 1 ? 512 : 1));
                raw.abi.putSegment(front.buffer(), front.requestOffset(), 0, ref, 0, 7);
                front.nextRequest();
            }
            front.pushRequests();
            assertEquals(3, rig.ring(0).doWork(), "one batch");
            final int[] expected = { BLKIF_RSP_OKAY, BLKIF_RSP_ERROR, BLKIF_RSP_OKAY };
            for (int i = 0; i < 3; i++)
            {
                assertEquals(500 + i, raw.abi.responseId(front.buffer(), front.responseOffset()));
                assertEquals(expected[i], raw.abi.responseStatus(front.buffer(), front.responseOffset()));
                front.nextResponse();
            }
            assertEquals(1, rig.ring(0).counters().batches.get());
            assertEquals(1, rig.ring(0).counters().errors.get());
            final UnsafeBuffer disk = new UnsafeBuffer(new byte[512]);
            rig.store.read(16 * 512, disk, 0, 512);
            assertEquals(0x71, disk.getByte(0));
        }
    }

    @Test
    void badSectorBoundsInASegmentAreErrors()
    {
        try (HostRig rig = rig())
        {
            final Raw raw = new Raw(rig);
            final int ref = raw.grant(1, false);
            raw.page(1).setMemory(0, 4096, (byte)0x11);
            assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_WRITE, 0, 1, ref, 5, 4), "first_sect > last_sect");
            assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_WRITE, 0, 1, ref, 0, 8), "last_sect > 7");
            assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_WRITE, 0, 1, ref, 200, 255), "far outside the page");
            assertStoreZero(rig.store);
            raw.assertStillServing();
        }
    }

    @Test
    void rangesPastTheDiskEndOrWrappingAreErrors()
    {
        try (HostRig rig = rig())
        {
            final Raw raw = new Raw(rig);
            final int ref = raw.grant(1, false);
            final long sectors = DISK / 512;
            assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_WRITE, sectors - 7, 1, ref, 0, 7), "one sector past the end");
            assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_READ, sectors, 1, ref, 0, 0));
            assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_WRITE, -4L, 1, ref, 0, 7), "sector + n wraps 2^64");
            assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_WRITE, Long.MAX_VALUE, 1, ref, 0, 7));
            assertEquals(BLKIF_RSP_ERROR, raw.send((b, o) -> raw.abi.putDiscard(b, o, 0, 0, raw.id, 8, -8L)),
                "discard wraps 2^64");
            assertEquals(BLKIF_RSP_OKAY, raw.rw(BLKIF_OP_WRITE, sectors - 8, 1, ref, 0, 7), "the last page is fine");
            raw.assertStillServing();
        }
    }

    @Test
    void misalignmentToTheSectorSizeIsAnError()
    {
        try (HostRig rig = new HostRig(new MemoryBlockStore(DISK, 4096), new BlkBackConfig(), new BlkFrontConfig()))
        {
            final Raw raw = new Raw(rig);
            final int ref = raw.grant(1, false);
            assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_WRITE, 1, 1, ref, 0, 7), "sector not 4 KiB aligned");
            assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_WRITE, 8, 1, ref, 1, 7), "first_sect not aligned");
            assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_WRITE, 8, 1, ref, 0, 3), "half a 4 KiB sector");
            assertEquals(BLKIF_RSP_ERROR, raw.send((b, o) -> raw.abi.putDiscard(b, o, 0, 0, raw.id, 8, 4)));
            assertStoreZero(rig.store);
            raw.assertStillServing();
        }
    }

    @Test
    void badOrWronglyPermittedGrantsAreErrors()
    {
        for (final boolean persistent : new boolean[]{ false, true })
        {
            final BlkFrontConfig fc = new BlkFrontConfig().persistentGrants(persistent);
            try (HostRig rig = new HostRig(new MemoryBlockStore(DISK, 512), new BlkBackConfig(), fc))
            {
                final Raw raw = new Raw(rig);
                assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_READ, 0, 1, 100_000, 0, 7), "ref out of range");
                assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_READ, 0, 1, 7, 0, 7), "ref never granted");
                final int foreign = rig.grants.grantAccess(42, 1, false);
                assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_READ, 0, 1, foreign, 0, 7), "granted to domain 42");
                final int ro = raw.grant(2, true);
                raw.page(2).setMemory(0, 4096, (byte)0x77);
                rig.store.write(0, TestData.pattern(4096, 1), 0, 4096);
                assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_READ, 0, 1, ro, 0, 7), "disk read into a r/o grant");
                assertEquals(0x77, raw.page(2).getByte(0), "the read-only page was not written");
                assertEquals(1, rig.mapper.liveMappings(), "only the ring stays mapped");
                raw.assertStillServing();
            }
        }
    }

    @Test
    void writeLikeOperationsOnAReadOnlyDiskAreErrors()
    {
        final BlkBackConfig readOnly = new BlkBackConfig().readOnly(true);
        final BlkFrontConfig fc = new BlkFrontConfig().maxIndirectSegments(256).poolPages(300);
        try (HostRig rig = new HostRig(new MemoryBlockStore(DISK, 512), readOnly, fc))
        {
            final Raw raw = new Raw(rig);
            final int ref = raw.grant(1, false);
            raw.page(1).setMemory(0, 4096, (byte)0x99);
            assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_WRITE, 0, 1, ref, 0, 7));
            assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_FLUSH_DISKCACHE, 0, 1, ref, 0, 7));
            assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_WRITE_BARRIER, 0, 1, ref, 0, 7));
            assertEquals(BLKIF_RSP_ERROR, raw.send((b, o) -> raw.abi.putDiscard(b, o, 0, 0, raw.id, 0, 8)));
            final int indirect = raw.grant(2, true);
            raw.page(2).putInt(0, ref);
            raw.page(2).putByte(5, (byte)7);
            assertEquals(BLKIF_RSP_ERROR, raw.send((b, o) ->
            {
                raw.abi.putIndirect(b, o, BLKIF_OP_WRITE, 12, 0, raw.id, 0);
                raw.abi.putIndirectGref(b, o, 0, indirect);
            }));
            assertStoreZero(rig.store);
            assertEquals(BLKIF_RSP_OKAY, raw.rw(BLKIF_OP_READ, 0, 1, ref, 0, 7), "reads still work");
        }
    }

    @Test
    void eachRequestIsReadFromTheRingOnce()
    {
        try (HostRig rig = rig())
        {
            // A guest that rewrites the slot right after the backend copied it: every field turns hostile. The
            // ring copies a slot by address after checking its range, so the rewrite lands just before the
            // backend's next access to the shared page: any later read of the slot sees only hostile values.
            final UnsafeBuffer shared = (UnsafeBuffer)rig.q(0).frontRing().buffer();
            final BlkifAbi abi = rig.q(0).abi();
            final UnsafeBuffer racing = new RacingBuffer(shared, abi.slotBytes(), (b, slot) ->
            {
                abi.putRequest(b, slot, 99, 200, 0, 1, Long.MAX_VALUE);
                abi.putSegment(b, slot, 0, -1, 7, 0);
            });
            final BlkRing ring = new BlkRing("racing", racing, 0, abi, rig.mapper, rig.store,
                new BlkBackConfig(), null, false, new BlkRingCounters(rig.back.countersManager(), "racing"),
                (r, reason) -> { });
            final Raw raw = new Raw(rig);
            final int ref = raw.grant(1, false);
            raw.page(1).setMemory(0, 4096, (byte)0x42);
            final FrontRing front = raw.front;
            abi.putRequest(front.buffer(), front.requestOffset(), BLKIF_OP_WRITE, 1, 0, 5, 16);
            abi.putSegment(front.buffer(), front.requestOffset(), 0, ref, 0, 7);
            front.nextRequest();
            front.pushRequests();
            assertEquals(1, ring.doWork());
            assertEquals(Long.MAX_VALUE, abi.sectorNumber(front.buffer(), front.responseOffset()),
                "the guest did rewrite the slot after the copy");
            assertEquals(BLKIF_RSP_OKAY, abi.responseStatus(front.buffer(), front.responseOffset()));
            assertEquals(5, abi.responseId(front.buffer(), front.responseOffset()));
            assertEquals(BLKIF_OP_WRITE, abi.responseOperation(front.buffer(), front.responseOffset()));
            final UnsafeBuffer disk = new UnsafeBuffer(new byte[4096]);
            rig.store.read(16 * 512, disk, 0, 4096);
            assertEquals(0x42, disk.getByte(0));
            assertEquals(0x42, disk.getByte(4095));
            ring.onClose();
        }
    }

    @Test
    void eachIndirectPageIsReadOnce()
    {
        final BlkFrontConfig fc = new BlkFrontConfig().maxIndirectSegments(256).poolPages(300);
        try (HostRig rig = new HostRig(new MemoryBlockStore(DISK, 512), new BlkBackConfig(), fc))
        {
            final Raw raw = new Raw(rig);
            final int data = raw.grant(1, false);
            raw.page(1).setMemory(0, 4096, (byte)0x24);
            final int indirect = raw.grant(2, true);
            final UnsafeBuffer descriptors = raw.page(2);
            for (int i = 0; i < 12; i++)
            {
                descriptors.putInt(i * 8, data);
                descriptors.putByte(i * 8 + 4, (byte)0);
                descriptors.putByte(i * 8 + 5, (byte)7);
            }
            final Runnable scribble = () ->
            {
                for (int i = 0; i < 12; i++)
                {
                    descriptors.putInt(i * 8, 7); // an ungranted ref
                    descriptors.putByte(i * 8 + 5, (byte)200);
                }
            };
            rig.mapper.afterCopyFromGuest(scribble);
            assertEquals(BLKIF_RSP_OKAY, raw.send((b, o) ->
            {
                raw.abi.putIndirect(b, o, BLKIF_OP_WRITE, 12, 0, raw.id, 0);
                raw.abi.putIndirectGref(b, o, 0, indirect);
            }));
            assertEquals(7, descriptors.getInt(0), "the guest did rewrite the indirect page after the copy");
            final UnsafeBuffer disk = new UnsafeBuffer(new byte[12 * 4096]);
            rig.store.read(0, disk, 0, disk.capacity());
            for (int i = 0; i < disk.capacity(); i += 512)
            {
                assertEquals(0x24, disk.getByte(i));
            }
        }
    }

    @Test
    void onlyTheGrantedSectorsOfAPageAreTouched()
    {
        try (HostRig rig = rig())
        {
            final Raw raw = new Raw(rig);
            rig.store.write(0, TestData.pattern(4096, 3), 0, 4096);
            final int ref = raw.grant(1, false);
            raw.page(1).setMemory(0, 4096, (byte)0xEE);
            assertEquals(BLKIF_RSP_OKAY, raw.rw(BLKIF_OP_READ, 0, 1, ref, 2, 3));
            for (int i = 0; i < 4096; i++)
            {
                final boolean granted = i >= 1024 && i < 2048;
                final byte expected = granted ? TestData.pattern(4096, 3).getByte(i - 1024) : (byte)0xEE;
                assertEquals(expected, raw.page(1).getByte(i), "page byte " + i);
            }
        }
    }

    @Test
    void responsesAreWrittenFieldByFieldAndLeakNothing()
    {
        for (final String protocol : new String[]{ "x86_64-abi", "x86_32-abi" })
        {
            final BlkFrontConfig fc = new BlkFrontConfig().protocol(protocol);
            try (HostRig rig = new HostRig(new MemoryBlockStore(DISK, 512), new BlkBackConfig(), fc))
            {
                final Raw raw = new Raw(rig);
                final FrontRing front = raw.front;
                final int slot = front.requestOffset();
                final int slotBytes = raw.abi.slotBytes();
                final byte[] before = new byte[slotBytes];
                assertEquals(BLKIF_RSP_EOPNOTSUPP, raw.send((b, o) ->
                {
                    b.setMemory(o, slotBytes, (byte)0xA5);
                    raw.abi.putRequest(b, o, 77, 0, 0, raw.id, 0);
                    b.getBytes(o, before);
                }));
                final byte[] after = new byte[slotBytes];
                front.buffer().getBytes(slot, after);
                for (int i = 0; i < slotBytes; i++)
                {
                    final boolean field = i < 8 || i == 8 || i == 10 || i == 11;
                    if (!field)
                    {
                        assertEquals(before[i], after[i], protocol + " byte " + i + " of the slot changed");
                    }
                }
                assertEquals(before[9], after[9], "the pad between operation and status is the guest's");
            }
        }
    }

    @Test
    void aProducerIndexBeyondTheRingStopsThatDeviceOnly()
    {
        try (Hypervisor hypervisor = new Hypervisor();
            HostRig victim = new HostRig(hypervisor, "victim", new MemoryBlockStore(DISK, 512));
            HostRig bystander = new HostRig(hypervisor, "bystander", new MemoryBlockStore(DISK, 512)))
        {
            final FrontRing front = victim.q(0).frontRing();
            front.buffer().putIntRelease(0, front.size() + 5); // req_prod far beyond what the ring holds
            assertEquals(1, victim.ring(0).doWork());
            assertTrue(victim.back.isBroken(), "device disconnects");
            assertTrue(victim.back.brokenReason().contains("bogus"), victim.back.brokenReason());
            assertTrue(victim.ring(0).isStopped());
            assertEquals(0, victim.ring(0).doWork(), "the ring stays stopped");
            assertEquals(0, front.buffer().getInt(8), "nothing was answered");
            assertFalse(bystander.back.isBroken());
            new Raw(bystander).assertStillServing();
        }
    }

    @Test
    void partialGrantMapFailureReleasesExactlyWhatWasMapped()
    {
        final BlkFrontConfig fc = new BlkFrontConfig().persistentGrants(false);
        try (HostRig rig = new HostRig(new MemoryBlockStore(DISK, 512), new BlkBackConfig(), fc))
        {
            final Raw raw = new Raw(rig);
            final int ref = raw.grant(1, false);
            raw.page(1).setMemory(0, 4096, (byte)0x55);
            rig.mapper.failMapAfter(3, GrantStatus.GNTST_GENERAL_ERROR);
            assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_WRITE, 0, 6, ref, 0, 7));
            assertEquals(1, rig.mapper.liveMappings(), "the 3 successful maps were released");
            assertTrue(rig.grants.endForeignAccessRef(ref), "the grant is not busy any more: its access can end");
            assertStoreZero(rig.store);
            raw.assertStillServing();
        }
    }

    @Test
    void flushAndBarrierFollowTheStore() throws Exception
    {
        final java.nio.file.Path image = java.nio.file.Files.createTempFile("pvring-flush", ".img");
        try
        {
            java.nio.file.Files.write(image, new byte[(int)DISK]);
            final FaultyFileChannel channel = new FaultyFileChannel(java.nio.channels.FileChannel.open(image,
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE));
            final RawFileBlockStore store = new RawFileBlockStore(channel, "faulty", DISK, 512, false, true);
            try (HostRig rig = new HostRig(store, new BlkBackConfig(), new BlkFrontConfig()))
            {
                final Raw raw = new Raw(rig);
                final int ref = raw.grant(1, false);
                raw.page(1).setMemory(0, 4096, (byte)0x61);
                assertEquals(BLKIF_RSP_OKAY, raw.rw(BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0, 0, 0));
                assertEquals(1, channel.forces);
                assertEquals(BLKIF_RSP_OKAY, raw.rw(BLKIF_OP_WRITE_BARRIER, 8, 1, ref, 0, 7));
                assertEquals(3, channel.forces, "a barrier with data flushes before and after its write");
                assertEquals(BLKIF_RSP_EOPNOTSUPP, raw.send((b, o) -> raw.abi.putDiscard(b, o, 0, 0, raw.id, 0, 8)),
                    "raw files do not offer discard");
                channel.failForce = true;
                assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0, 0, 0));
                channel.failForce = false;
                assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0, 0, 0), "sticky");
                assertEquals(BLKIF_RSP_ERROR, raw.rw(BLKIF_OP_FLUSH_DISKCACHE, 16, 1, ref, 0, 7));
                final UnsafeBuffer disk = new UnsafeBuffer(new byte[512]);
                store.read(16 * 512, disk, 0, 512);
                assertEquals(0, disk.getByte(0), "the data of a failed flush was not written after it");
            }
            store.close();
            final RawFileBlockStore sync = RawFileBlockStore.open(image, 512, false, false);
            try (HostRig rig = new HostRig(sync, new BlkBackConfig(), new BlkFrontConfig()))
            {
                final Raw raw = new Raw(rig);
                assertEquals(BLKIF_RSP_EOPNOTSUPP, raw.rw(BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0, 0, 0),
                    "a synchronous store offers no flush");
                raw.assertStillServing();
            }
            sync.close();
        }
        finally
        {
            java.nio.file.Files.deleteIfExists(image);
        }
    }

    @Test
    void discardHonoursTheSecureFlagAndZeroes()
    {
        try (HostRig rig = rig())
        {
            final Raw raw = new Raw(rig);
            rig.store.write(0, TestData.pattern(8192, 4), 0, 8192);
            assertEquals(BLKIF_RSP_OKAY, raw.send((b, o) -> raw.abi.putDiscard(b, o, 1, 0, raw.id, 0, 16)));
            assertStoreZero(rig.store);
        }
        try (HostRig rig = new HostRig(new NullBlockStore(DISK, 512),
            new BlkBackConfig().discard(false).maxIndirectSegments(0),
            new BlkFrontConfig()))
        {
            final Raw raw = new Raw(rig);
            assertEquals(BLKIF_RSP_EOPNOTSUPP, raw.send((b, o) ->
                raw.abi.putDiscard(b, o, 0, 0, raw.id, 0, 16)), "discard-enable=0");
            assertEquals(BLKIF_RSP_EOPNOTSUPP, raw.send((b, o) ->
                raw.abi.putIndirect(b, o, BLKIF_OP_READ, 12, 0, raw.id, 0)), "indirect not offered");
        }
    }

    /**
     * Shared ring memory whose guest rewrites a request slot once the backend has copied it: the copy checks the
     * slot's range first, and the rewrite happens before the backend's next access to the page after that.
     */
    private static final class RacingBuffer extends UnsafeBuffer
    {
        private final int slotBytes;
        private final ObjIntConsumer<UnsafeBuffer> rewrite;
        private int copiedSlot = -1;
        private boolean rewriting;

        RacingBuffer(final UnsafeBuffer shared, final int slotBytes,
            final ObjIntConsumer<UnsafeBuffer> rewrite)
        {
            super(shared.addressOffset(), shared.capacity());
            this.slotBytes = slotBytes;
            this.rewrite = rewrite;
        }

        @Override
        public void boundsCheck(final int index, final int length)
        {
            race();
            super.boundsCheck(index, length);
            if (length == slotBytes)
            {
                copiedSlot = index;
            }
        }

        private void race()
        {
            if (copiedSlot >= 0 && !rewriting)
            {
                rewriting = true;
                rewrite.accept(this, copiedSlot);
                copiedSlot = -1;
                rewriting = false;
            }
        }

        @Override
        public long getLong(final int index)
        {
            race();
            return super.getLong(index);
        }

        @Override
        public int getInt(final int index)
        {
            race();
            return super.getInt(index);
        }

        @Override
        public short getShort(final int index)
        {
            race();
            return super.getShort(index);
        }

        @Override
        public byte getByte(final int index)
        {
            race();
            return super.getByte(index);
        }

        @Override
        public long getLong(final int index, final ByteOrder order)
        {
            race();
            return super.getLong(index, order);
        }

        @Override
        public int getInt(final int index, final ByteOrder order)
        {
            race();
            return super.getInt(index, order);
        }

        @Override
        public short getShort(final int index, final ByteOrder order)
        {
            race();
            return super.getShort(index, order);
        }

        @Override
        public void putLong(final int index, final long value, final ByteOrder order)
        {
            race();
            super.putLong(index, value, order);
        }

        @Override
        public void putInt(final int index, final int value, final ByteOrder order)
        {
            race();
            super.putInt(index, value, order);
        }

        @Override
        public void putShort(final int index, final short value, final ByteOrder order)
        {
            race();
            super.putShort(index, value, order);
        }

        @Override
        public int getIntAcquire(final int index)
        {
            race();
            return super.getIntAcquire(index);
        }

        @Override
        public void putLong(final int index, final long value)
        {
            race();
            super.putLong(index, value);
        }

        @Override
        public void putInt(final int index, final int value)
        {
            race();
            super.putInt(index, value);
        }

        @Override
        public void putShort(final int index, final short value)
        {
            race();
            super.putShort(index, value);
        }

        @Override
        public void putByte(final int index, final byte value)
        {
            race();
            super.putByte(index, value);
        }
    }
}
