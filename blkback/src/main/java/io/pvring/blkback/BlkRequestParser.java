package io.pvring.blkback;

import io.pvring.blkback.store.BlockStore;
import io.pvring.blkif.BlkifAbi;
import io.pvring.blkif.BlkifDescriptor;
import io.pvring.blkif.BlkifSegment;
import io.pvring.grant.GrantMapper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_DISCARD_SECURE;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_DISCARD;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_FLUSH_DISKCACHE;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_INDIRECT;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_READ;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_WRITE;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_WRITE_BARRIER;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_EOPNOTSUPP;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_ERROR;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static io.pvring.blkif.BlkifDescriptor.MAX_SECT_IN_PAGE;
import static io.pvring.blkif.BlkifDescriptor.SECTOR_SHIFT;
import static io.pvring.blkif.BlkifDescriptor.SEGMENTS_PER_INDIRECT_FRAME;
import static io.pvring.blkif.BlkifDescriptor.SEGMENT_LENGTH;

/**
 * The one place guest block requests are validated (vm-virtio's {@code Request::parse}): turns the ring's private
 * copy of a slot, plus the indirect pages it names (grant-copied into private memory once, XSA-155), into a
 * {@link BlkRequest} of checked values, or refuses it with the status its response carries and a counted
 * {@link BlkRejectReason}. Nothing is mapped or executed here; a refused request changes nothing.
 *
 * <p>Checks, in Linux blkback's order: the operation and the features offered ({@code BLKIF_RSP_EOPNOTSUPP}),
 * then segment count, read-only, each segment's sectors inside its page, alignment to {@code sector-size} and the
 * range against the disk's current size (read per request: an online resize changes it under a running ring).
 *
 * <p>Owned by one ring's thread; allocation-free.
 */
final class BlkRequestParser
{
    private static final int PAGE_SIZE = 4096;

    private final BlkifAbi abi;
    private final GrantMapper mapper;
    private final BlockStore store;
    private final boolean readOnly;
    private final boolean flushOffered;
    private final boolean discardOffered;
    private final boolean secureDiscardOffered;
    private final int maxIndirectSegments;
    private final int sectorMask;
    private final UnsafeBuffer indirectPages =
        new UnsafeBuffer(new byte[PAGE_SIZE * BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST]);
    private final BlkifSegment segment = new BlkifSegment();
    private final long[] rejections = new long[BlkRejectReason.values().length];
    private long grantCopies;

    BlkRequestParser(
        final BlkifAbi abi, final GrantMapper mapper, final BlockStore store, final BlkBackConfig config)
    {
        this.abi = abi;
        this.mapper = mapper;
        this.store = store;
        this.readOnly = config.readOnly() || config.cdrom() || store.isReadOnly();
        this.flushOffered = store.canFlush() && !readOnly;
        this.discardOffered = config.discard() && store.canDiscard() && !readOnly;
        this.secureDiscardOffered = discardOffered && store.canSecureDiscard();
        this.maxIndirectSegments = config.maxIndirectSegments();
        this.sectorMask = (store.logicalSectorSize() >> SECTOR_SHIFT) - 1;
    }

    /**
     * Parses the request in {@code slot} (the private copy) into {@code into}.
     *
     * @return {@code BLKIF_RSP_OKAY} when {@code into} holds a valid request, else the response status; either way
     *     {@code into} holds the id and the operation to answer with.
     */
    int parse(final DirectBuffer slot, final BlkRequest into)
    {
        final int operation = abi.operation(slot, 0);
        into.reset(abi.id(slot, 0), operation);
        switch (operation)
        {
            case BLKIF_OP_READ:
            case BLKIF_OP_WRITE:
                return direct(slot, into, operation == BLKIF_OP_WRITE ? BlkRequest.Kind.WRITE : BlkRequest.Kind.READ);
            case BLKIF_OP_WRITE_BARRIER:
            case BLKIF_OP_FLUSH_DISKCACHE:
                return flush(slot, into, operation == BLKIF_OP_WRITE_BARRIER);
            case BLKIF_OP_DISCARD:
                return discard(slot, into);
            case BLKIF_OP_INDIRECT:
                return indirect(slot, into);
            default:
                return reject(BlkRejectReason.UNKNOWN_OPERATION, BLKIF_RSP_EOPNOTSUPP);
        }
    }

    /** Requests refused for {@code reason} since the ring started. */
    long rejections(final BlkRejectReason reason)
    {
        return rejections[reason.ordinal()];
    }

    /** Grant copies made for indirect pages since the last call (the ring adds them to its counters). */
    long takeGrantCopies()
    {
        final long copies = grantCopies;
        grantCopies = 0;
        return copies;
    }

    boolean isReadOnly()
    {
        return readOnly;
    }

    private int direct(final DirectBuffer slot, final BlkRequest into, final BlkRequest.Kind kind)
    {
        final int nseg = abi.nrSegments(slot, 0);
        if (nseg == 0 || nseg > BLKIF_MAX_SEGMENTS_PER_REQUEST)
        {
            return reject(BlkRejectReason.BAD_SEGMENT_COUNT, BLKIF_RSP_ERROR);
        }
        if (kind == BlkRequest.Kind.WRITE && readOnly)
        {
            return reject(BlkRejectReason.READ_ONLY, BLKIF_RSP_ERROR);
        }
        into.kind(kind, abi.sectorNumber(slot, 0));
        return segments(slot, abi.segmentOffset(0), nseg, into);
    }

    private int flush(final DirectBuffer slot, final BlkRequest into, final boolean barrier)
    {
        final int nseg = abi.nrSegments(slot, 0);
        if (nseg > BLKIF_MAX_SEGMENTS_PER_REQUEST)
        {
            return reject(BlkRejectReason.BAD_SEGMENT_COUNT, BLKIF_RSP_ERROR);
        }
        if (nseg > 0 && readOnly)
        {
            return reject(BlkRejectReason.READ_ONLY, BLKIF_RSP_ERROR);
        }
        if (!flushOffered)
        {
            return reject(BlkRejectReason.NOT_OFFERED, BLKIF_RSP_EOPNOTSUPP);
        }
        into.kind(barrier ? BlkRequest.Kind.BARRIER : BlkRequest.Kind.FLUSH, abi.sectorNumber(slot, 0));
        return nseg == 0 ? BLKIF_RSP_OKAY : segments(slot, abi.segmentOffset(0), nseg, into);
    }

    private int discard(final DirectBuffer slot, final BlkRequest into)
    {
        if (readOnly)
        {
            return reject(BlkRejectReason.READ_ONLY, BLKIF_RSP_ERROR); // a write-like operation, whatever the features
        }
        if (!discardOffered)
        {
            return reject(BlkRejectReason.NOT_OFFERED, BLKIF_RSP_EOPNOTSUPP);
        }
        final boolean secure = (abi.discardFlag(slot, 0) & BLKIF_DISCARD_SECURE) != 0;
        if (secure && !secureDiscardOffered)
        {
            return reject(BlkRejectReason.NOT_OFFERED, BLKIF_RSP_EOPNOTSUPP);
        }
        final long sector = abi.sectorNumber(slot, 0);
        final long nrSectors = abi.discardNrSectors(slot, 0);
        if (((sector | nrSectors) & sectorMask) != 0)
        {
            return reject(BlkRejectReason.MISALIGNED, BLKIF_RSP_ERROR);
        }
        if (!inDisk(sector, nrSectors))
        {
            return reject(BlkRejectReason.OUT_OF_RANGE, BLKIF_RSP_ERROR);
        }
        into.kind(BlkRequest.Kind.DISCARD, sector);
        into.discardRange(nrSectors, secure);
        return BLKIF_RSP_OKAY;
    }

    private int indirect(final DirectBuffer slot, final BlkRequest into)
    {
        if (maxIndirectSegments == 0)
        {
            return reject(BlkRejectReason.NOT_OFFERED, BLKIF_RSP_EOPNOTSUPP);
        }
        final int indirectOp = abi.indirectOp(slot, 0);
        if (indirectOp != BLKIF_OP_READ && indirectOp != BLKIF_OP_WRITE)
        {
            return reject(BlkRejectReason.BAD_INDIRECT_OPERATION, BLKIF_RSP_ERROR);
        }
        into.responseOp(indirectOp);
        final boolean write = indirectOp == BLKIF_OP_WRITE;
        final int nseg = abi.indirectNrSegments(slot, 0);
        if (nseg == 0 || nseg > maxIndirectSegments)
        {
            return reject(BlkRejectReason.BAD_SEGMENT_COUNT, BLKIF_RSP_ERROR);
        }
        if (write && readOnly)
        {
            return reject(BlkRejectReason.READ_ONLY, BLKIF_RSP_ERROR);
        }
        final int pages = BlkifDescriptor.indirectPages(nseg);
        for (int p = 0; p < pages; p++)
        {
            final int segs = Math.min(SEGMENTS_PER_INDIRECT_FRAME, nseg - p * SEGMENTS_PER_INDIRECT_FRAME);
            grantCopies++;
            if (mapper.copyFromGuest(abi.indirectGref(slot, 0, p), 0, indirectPages, p * PAGE_SIZE,
                segs * SEGMENT_LENGTH) != 0)
            {
                return reject(BlkRejectReason.BAD_INDIRECT_PAGE, BLKIF_RSP_ERROR);
            }
        }
        into.kind(write ? BlkRequest.Kind.WRITE : BlkRequest.Kind.READ, abi.indirectSectorNumber(slot, 0));
        // The pages are consecutive in private memory, so their entries form one array.
        return segments(indirectPages, 0, nseg, into);
    }

    /** Checks {@code nseg} segments starting at {@code arrayOffset} of private memory and the range they cover. */
    private int segments(final DirectBuffer buffer, final int arrayOffset, final int nseg, final BlkRequest into)
    {
        for (int i = 0; i < nseg; i++)
        {
            segment.wrap(buffer, arrayOffset, i);
            final int first = segment.firstSect();
            final int last = segment.lastSect();
            if (last > MAX_SECT_IN_PAGE || first > last)
            {
                return reject(BlkRejectReason.BAD_SEGMENT, BLKIF_RSP_ERROR);
            }
            final int sectors = last - first + 1;
            if (((first | sectors) & sectorMask) != 0)
            {
                return reject(BlkRejectReason.MISALIGNED, BLKIF_RSP_ERROR);
            }
            into.addSegment(segment.gref(), first, sectors);
        }
        if ((into.sector() & sectorMask) != 0)
        {
            return reject(BlkRejectReason.MISALIGNED, BLKIF_RSP_ERROR);
        }
        if (!inDisk(into.sector(), into.nrSectors()))
        {
            return reject(BlkRejectReason.OUT_OF_RANGE, BLKIF_RSP_ERROR);
        }
        return BLKIF_RSP_OKAY;
    }

    /** {@code sector + count <= disk size}, with {@code sector} unsigned and no 64-bit wrap. */
    private boolean inDisk(final long sector, final long count)
    {
        final long diskSectors = store.sizeBytes() >> SECTOR_SHIFT;
        return Long.compareUnsigned(sector, diskSectors) <= 0 && Long.compareUnsigned(count, diskSectors - sector) <= 0;
    }

    private int reject(final BlkRejectReason reason, final int status)
    {
        rejections[reason.ordinal()]++;
        return status;
    }
}
