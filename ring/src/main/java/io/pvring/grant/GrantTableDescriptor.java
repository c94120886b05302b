package io.pvring.grant;

/**
 * Layout of a v1 grant table, {@code grant_entry_v1_t} of {@code xen/include/public/grant_table.h}: an array of
 * 8-byte entries filling whole 4 KiB frames (512 entries per frame), written by the granting domain and read (and
 * busy-marked) by the hypervisor.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |          flags (u16)          |          domid (u16)          |  0
 *  +-------------------------------+-------------------------------+
 *  |                          frame (u32)                          |  4
 *  +---------------------------------------------------------------+
 *
 *  flags: bits 0-1 type (GTF_invalid 0, GTF_permit_access 1, GTF_accept_transfer 2, GTF_transitive 3)
 *         bit 2 GTF_readonly (granter)   bit 3 GTF_reading, bit 4 GTF_writing (hypervisor: page in use)
 * </pre>
 * {@code flags} and {@code domid} form one little-endian 32-bit word ({@code flags | domid << 16}): the granter
 * publishes it in one release store, and both sides change it only by compare-and-swap of the whole word, so a
 * busy bit can never be set on an entry whose domid or type changed under the hypervisor, as Xen's
 * {@code _set_status_v1} and Linux's {@code gnttab_end_foreign_access_ref_v1} do.
 */
public final class GrantTableDescriptor
{
    public static final int FLAGS_OFFSET = 0;
    public static final int DOMID_OFFSET = 2;
    public static final int FRAME_OFFSET = 4;
    public static final int ENTRY_LENGTH = 8;
    public static final int ENTRY_SHIFT = 3;

    public static final int GTF_INVALID = 0;
    public static final int GTF_PERMIT_ACCESS = 1;
    public static final int GTF_ACCEPT_TRANSFER = 2;
    public static final int GTF_TRANSITIVE = 3;
    public static final int GTF_TYPE_MASK = 3;
    public static final int GTF_READONLY = 1 << 2;
    public static final int GTF_READING = 1 << 3;
    public static final int GTF_WRITING = 1 << 4;

    /** Refs 0..7 are reserved ({@code GNTTAB_RESERVED_CONSOLE} 0, {@code GNTTAB_RESERVED_XENSTORE} 1). */
    public static final int GNTTAB_NR_RESERVED_ENTRIES = 8;
    public static final int GNTTAB_RESERVED_CONSOLE = 0;
    public static final int GNTTAB_RESERVED_XENSTORE = 1;

    public static final int FRAME_SIZE = 4096;
    public static final int ENTRIES_PER_FRAME = FRAME_SIZE / ENTRY_LENGTH;
    /** Xen's {@code opt_max_grant_frames}: 64 frames, 32768 entries. */
    public static final int DEFAULT_FRAMES = 64;
    /** Largest table this emulator maps in one buffer (a 2 GiB Agrona buffer limit, rounded down to frames). */
    public static final int MAX_FRAMES = (Integer.MAX_VALUE / FRAME_SIZE);

    private GrantTableDescriptor()
    {
    }

    /** Byte offset of entry {@code ref}. */
    public static int entryOffset(final int ref)
    {
        return ref << ENTRY_SHIFT;
    }

    /** The combined {@code flags | domid << 16} word as the granter publishes it. */
    public static int flagsAndDomid(final int flags, final int domid)
    {
        return (flags & 0xFFFF) | (domid << 16);
    }

    /** Bytes for {@code frames} grant frames, checking the count. */
    public static int tableBytes(final int frames)
    {
        if (frames <= 0 || frames > MAX_FRAMES)
        {
            throw new IllegalArgumentException("frames=" + frames + " not in 1.." + MAX_FRAMES);
        }
        return frames * FRAME_SIZE;
    }
}
