package io.pvring.event.remote;

/**
 * Layout of an {@link EvtchnMessageDescriptor#OP_MEM_REGION} request ({@code struct pvring_evtchn_mem_region} in
 * {@code pvring_evtchn.h}): the same 32 bytes and header as every message, the rest one region of guest memory as
 * vhost-user's {@code VhostUserMemoryRegion} has it (without its userspace address, which only the emulator needs).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |   size (u16, always 32)       |   op (u16, OP_MEM_REGION)     |  0
 *  +-------------------------------+-------------------------------+
 *  |   id (u32, echoed in both replies)                            |  4
 *  +---------------------------------------------------------------+
 *  |   guest_phys_addr (u64, a multiple of 4096)                   |  8
 *  +---------------------------------------------------------------+
 *  |   memory_size (u64, a positive multiple of 4096)              | 16
 *  +---------------------------------------------------------------+
 *  |   mmap_offset (u64, where guest_phys_addr is in the file)     | 24
 *  +---------------------------------------------------------------+
 * </pre>
 * Its replies are ordinary {@link EvtchnMessageDescriptor} messages.
 */
public final class EvtchnMemRegionDescriptor
{
    public static final int GUEST_PHYS_ADDR_OFFSET = 8;
    public static final int MEMORY_SIZE_OFFSET = 16;
    public static final int MMAP_OFFSET_OFFSET = 24;

    private EvtchnMemRegionDescriptor()
    {
    }
}
