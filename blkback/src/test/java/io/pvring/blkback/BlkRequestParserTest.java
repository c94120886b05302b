package io.pvring.blkback;

import io.pvring.blkback.store.MemoryBlockStore;
import io.pvring.blkif.BlkifAbi;
import io.pvring.blkif.X8664BlkifAbi;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_DISCARD;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_INDIRECT;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_READ;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_WRITE;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_WRITE_BARRIER;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_EOPNOTSUPP;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_ERROR;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The one validation point: a slot becomes a checked {@link BlkRequest} or a status with a counted reason. */
class BlkRequestParserTest
{
    private static final long DISK = 1 << 20;

    private final BlkifAbi abi = X8664BlkifAbi.INSTANCE;
    private final UnsafeBuffer slot = new UnsafeBuffer(new byte[abi.slotBytes()]);
    private final BlkRequest request = new BlkRequest(BlkBackConfig.DEFAULT_MAX_INDIRECT_SEGMENTS);

    private static BlkRequestParser parser(final int sectorSize, final BlkBackConfig config)
    {
        return new BlkRequestParser(X8664BlkifAbi.INSTANCE, null, new MemoryBlockStore(DISK, sectorSize), config);
    }

    private void put(final int op, final int nseg, final long id, final long sector)
    {
        slot.setMemory(0, slot.capacity(), (byte)0);
        abi.putRequest(slot, 0, op, nseg, 0, id, sector);
    }

    @Test
    void aValidRequestBecomesCheckedValues()
    {
        final BlkRequestParser parser = parser(512, BlkBackConfig.defaults());
        put(BLKIF_OP_WRITE, 2, 77, 16);
        abi.putSegment(slot, 0, 0, 5, 1, 7);
        abi.putSegment(slot, 0, 1, 6, 0, 3);
        assertEquals(BLKIF_RSP_OKAY, parser.parse(slot, request));
        assertEquals(BlkRequest.Kind.WRITE, request.kind());
        assertEquals(77, request.id());
        assertEquals(BLKIF_OP_WRITE, request.responseOp());
        assertEquals(16, request.sector());
        assertEquals(2, request.segments());
        assertEquals(6, request.gref(1));
        assertEquals(1, request.firstSect(0));
        assertEquals(7, request.sectors(0));
        assertEquals(4, request.sectors(1));
        assertEquals(11, request.nrSectors());
        for (final BlkRejectReason reason : BlkRejectReason.values())
        {
            assertEquals(0, parser.rejections(reason), reason.name());
        }
    }

    @Test
    void eachMistakeIsAnsweredWithItsStatusAndCountedByReason()
    {
        final BlkRequestParser parser = parser(4096, BlkBackConfig.builder().maxIndirectSegments(0).build());
        put(99, 1, 1, 0);
        assertEquals(BLKIF_RSP_EOPNOTSUPP, parser.parse(slot, request));
        assertEquals(99, request.responseOp(), "the response echoes the unknown operation");
        put(BLKIF_OP_INDIRECT, 0, 2, 0);
        assertEquals(BLKIF_RSP_EOPNOTSUPP, parser.parse(slot, request), "indirect not offered");
        put(BLKIF_OP_READ, 0, 3, 0);
        assertEquals(BLKIF_RSP_ERROR, parser.parse(slot, request));
        put(BLKIF_OP_READ, 1, 4, 0);
        abi.putSegment(slot, 0, 0, 5, 0, 8);
        assertEquals(BLKIF_RSP_ERROR, parser.parse(slot, request), "last_sect beyond the page");
        put(BLKIF_OP_READ, 1, 5, 0);
        abi.putSegment(slot, 0, 0, 5, 0, 3);
        assertEquals(BLKIF_RSP_ERROR, parser.parse(slot, request), "half a 4 KiB sector");
        put(BLKIF_OP_READ, 1, 6, DISK / 512);
        abi.putSegment(slot, 0, 0, 5, 0, 7);
        assertEquals(BLKIF_RSP_ERROR, parser.parse(slot, request), "beyond the disk");
        put(BLKIF_OP_READ, 1, 7, -8);
        abi.putSegment(slot, 0, 0, 5, 0, 7);
        assertEquals(BLKIF_RSP_ERROR, parser.parse(slot, request), "a sector that wraps 64 bits");
        assertEquals(1, parser.rejections(BlkRejectReason.UNKNOWN_OPERATION));
        assertEquals(1, parser.rejections(BlkRejectReason.NOT_OFFERED));
        assertEquals(1, parser.rejections(BlkRejectReason.BAD_SEGMENT_COUNT));
        assertEquals(1, parser.rejections(BlkRejectReason.BAD_SEGMENT));
        assertEquals(1, parser.rejections(BlkRejectReason.MISALIGNED));
        assertEquals(2, parser.rejections(BlkRejectReason.OUT_OF_RANGE));
    }

    @Test
    void writeLikeRequestsOnAReadOnlyDiskAreErrors()
    {
        final BlkRequestParser parser = parser(512, BlkBackConfig.builder().readOnly(true).build());
        put(BLKIF_OP_WRITE, 1, 1, 0);
        abi.putSegment(slot, 0, 0, 5, 0, 7);
        assertEquals(BLKIF_RSP_ERROR, parser.parse(slot, request));
        put(BLKIF_OP_WRITE_BARRIER, 1, 2, 0);
        abi.putSegment(slot, 0, 0, 5, 0, 7);
        assertEquals(BLKIF_RSP_ERROR, parser.parse(slot, request));
        slot.setMemory(0, slot.capacity(), (byte)0);
        abi.putDiscard(slot, 0, 0, 0, 3, 0, 8);
        assertEquals(BLKIF_RSP_ERROR, parser.parse(slot, request));
        assertEquals(BLKIF_OP_DISCARD, request.responseOp());
        assertEquals(3, parser.rejections(BlkRejectReason.READ_ONLY));
        put(BLKIF_OP_READ, 1, 4, 0);
        abi.putSegment(slot, 0, 0, 5, 0, 7);
        assertEquals(BLKIF_RSP_OKAY, parser.parse(slot, request), "reads still work");
    }
}
