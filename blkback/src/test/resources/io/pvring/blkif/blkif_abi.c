/*
 * Prints every blkif offset and size the Java descriptors encode, as the compiler lays them out for the target
 * (gcc -S -m64 or -m32 -ffreestanding: compiled to assembly only, so no 32-bit libc is needed). Each value is
 * emitted as a line ".ascii \"->name $value\"" in the assembly output.
 */
#include <stdint.h>
#include <stddef.h>
#include <xen/io/blkif.h>
#include <xen/io/protocols.h>

#define DEF(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %0\"" :: "i"((long)(val)))
#define OFF(type, field) DEF(type.field, offsetof(struct type, field))
#define SIZE(type) DEF(type.sizeof, sizeof(struct type))

void blkif_abi(void)
{
    SIZE(blkif_request_segment);
    OFF(blkif_request_segment, gref);
    OFF(blkif_request_segment, first_sect);
    OFF(blkif_request_segment, last_sect);

    SIZE(blkif_request);
    OFF(blkif_request, operation);
    OFF(blkif_request, nr_segments);
    OFF(blkif_request, handle);
    OFF(blkif_request, id);
    OFF(blkif_request, sector_number);
    OFF(blkif_request, seg);

    SIZE(blkif_request_discard);
    OFF(blkif_request_discard, operation);
    OFF(blkif_request_discard, flag);
    OFF(blkif_request_discard, handle);
    OFF(blkif_request_discard, id);
    OFF(blkif_request_discard, sector_number);
    OFF(blkif_request_discard, nr_sectors);

    SIZE(blkif_request_indirect);
    OFF(blkif_request_indirect, operation);
    OFF(blkif_request_indirect, indirect_op);
    OFF(blkif_request_indirect, nr_segments);
    OFF(blkif_request_indirect, id);
    OFF(blkif_request_indirect, sector_number);
    OFF(blkif_request_indirect, handle);
    OFF(blkif_request_indirect, indirect_grefs);

    SIZE(blkif_response);
    OFF(blkif_response, id);
    OFF(blkif_response, operation);
    OFF(blkif_response, status);

    DEF(blkif_sring_entry.sizeof, sizeof(union blkif_sring_entry));
    DEF(blkif_sring.ring, offsetof(struct blkif_sring, ring));
    DEF(ring_size.order0, __CONST_RING_SIZE(blkif, 4096));
    DEF(ring_size.order4, __CONST_RING_SIZE(blkif, 65536));

    DEF(BLKIF_OP_READ, BLKIF_OP_READ);
    DEF(BLKIF_OP_WRITE, BLKIF_OP_WRITE);
    DEF(BLKIF_OP_WRITE_BARRIER, BLKIF_OP_WRITE_BARRIER);
    DEF(BLKIF_OP_FLUSH_DISKCACHE, BLKIF_OP_FLUSH_DISKCACHE);
    DEF(BLKIF_OP_RESERVED_1, BLKIF_OP_RESERVED_1);
    DEF(BLKIF_OP_DISCARD, BLKIF_OP_DISCARD);
    DEF(BLKIF_OP_INDIRECT, BLKIF_OP_INDIRECT);
    DEF(BLKIF_RSP_OKAY, BLKIF_RSP_OKAY);
    DEF(BLKIF_RSP_ERROR, BLKIF_RSP_ERROR);
    DEF(BLKIF_RSP_EOPNOTSUPP, BLKIF_RSP_EOPNOTSUPP);
    DEF(BLKIF_DISCARD_SECURE, BLKIF_DISCARD_SECURE);
    DEF(BLKIF_MAX_SEGMENTS_PER_REQUEST, BLKIF_MAX_SEGMENTS_PER_REQUEST);
    DEF(BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST, BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST);
    DEF(VDISK_CDROM, VDISK_CDROM);
    DEF(VDISK_REMOVABLE, VDISK_REMOVABLE);
    DEF(VDISK_READONLY, VDISK_READONLY);
}
