/**
 * Event channels for processes outside the JVM: a fixed-size little-endian protocol on a Unix domain socket
 * ({@link io.pvring.event.remote.EvtchnMessageDescriptor}, C header {@code pvring_evtchn.h} next to these classes)
 * standing in for the {@code EVTCHNOP_*} hypercalls and {@code /dev/xen/evtchn}: hello, alloc_unbound,
 * bind_interdomain, send, mask, unmask, close, and pushed events that coalesce like the pending bit.
 * {@link io.pvring.event.remote.EvtchnServer} serves it; {@code docs/OUT-OF-PROCESS.md} documents it.
 */
package io.pvring.event.remote;
