package io.pvring.blkback;

/** Why {@link BlkRequestParser} refused a request; each is counted per ring ({@link BlkRing#rejections}). */
public enum BlkRejectReason
{
    /** An operation blkif does not define, or one this backend does not offer: {@code BLKIF_RSP_EOPNOTSUPP}. */
    UNKNOWN_OPERATION,
    /** Indirect, flush, discard or secure discard without the feature offered: {@code BLKIF_RSP_EOPNOTSUPP}. */
    NOT_OFFERED,
    /** An indirect request whose inner operation is not a read or write. */
    BAD_INDIRECT_OPERATION,
    /** No segments, or more than the ABI or {@code feature-max-indirect-segments} allows. */
    BAD_SEGMENT_COUNT,
    /** A write-like request on a read-only disk. */
    READ_ONLY,
    /** {@code last_sect} beyond the page or before {@code first_sect}. */
    BAD_SEGMENT,
    /** Sector or length not a multiple of the disk's {@code sector-size}. */
    MISALIGNED,
    /** Beyond the end of the disk (or wrapping 64 bits). */
    OUT_OF_RANGE,
    /** An indirect page whose grant could not be copied. */
    BAD_INDIRECT_PAGE
}
