package io.pvring.event.remote;

/**
 * What the event-channel socket does for {@link EvtchnMessageDescriptor#OP_DOMAIN_CREATE} and
 * {@link EvtchnMessageDescriptor#OP_DOMAIN_DESTROY}: the host that owns the hypervisor creates guests whose memory
 * and grant table are shared files. Called on the server's event loop.
 */
public interface DomainControl
{
    /**
     * @param memoryBytes guest memory, as the client asked (unvalidated).
     * @return the new domid, or a negative errno ({@code -EINVAL} for a bad size, {@code -ENOMEM} when the
     *     memory cannot be created).
     */
    int createDomain(long memoryBytes);

    /** @return 0, or a negative errno ({@code -ESRCH} when there is no such domain created through this control). */
    int destroyDomain(int domid);

    /**
     * {@link EvtchnMessageDescriptor#OP_SET_MEM_TABLE}: {@code domid}'s memory becomes the emulator's regions (their
     * files named by paths valid for the duration of the call).
     *
     * @return 0, or a negative errno: {@code -EBUSY} while a device of the domain is connected, {@code -EINVAL}
     *     when a file cannot be mapped, {@code -ENOSYS} when this control does not offer it.
     */
    default int setMemory(final int domid, final io.pvring.memory.MemoryTable table)
    {
        return -EvtchnMessageDescriptor.ENOSYS;
    }
}
