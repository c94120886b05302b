package io.pvring.event;

/**
 * The hypervisor's event-channel table: per-domain port spaces and interdomain binding, as
 * {@code EVTCHNOP_alloc_unbound}, {@code bind_interdomain} and {@code close}. Thread-safe.
 */
public interface EventChannels
{
    /**
     * {@code EVTCHNOP_alloc_unbound}: a new port in {@code domid} that {@code remoteDomid} may bind.
     *
     * @return the port, or null when the domain has no free port.
     */
    EventPort allocUnbound(int domid, int remoteDomid);

    /**
     * {@code EVTCHNOP_bind_interdomain}: a new port in {@code domid} bound to {@code remotePort} of
     * {@code remoteDomid}, which must be unbound and allocated for {@code domid}.
     *
     * @return the port, or null when the remote port does not exist, is not for this domain or is already bound
     *     (guest input: the caller turns this into a connection failure).
     */
    EventPort bindInterdomain(int domid, int remoteDomid, int remotePort);

    /** The open port {@code port} of {@code domid}, or null. */
    EventPort port(int domid, int port);
}
