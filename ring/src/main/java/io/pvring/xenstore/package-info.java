/**
 * XenStore, in process and on a Unix socket.
 *
 * <p>{@link io.pvring.xenstore.XenStore} is the tree, with cxenstored's semantics: permissions
 * ({@link io.pvring.xenstore.XsPermissions}), watches that fire on the path and below (and once when set),
 * transactions that fail with EAGAIN on conflict, the limits of {@code xs_wire.h} and per-domain quotas. Code acts
 * through an {@link io.pvring.xenstore.XsConnection} per domain:
 * <pre>{@code
 * XenStore store = new XenStore();
 * XsConnection dom0 = store.connect(0);                // privileged
 * XsConnection guest = store.connect(5);               // permission-checked, relative paths below /local/domain/5
 * dom0.transact(tx -> { dom0.write(tx, "/a", "1"); dom0.write(tx, "/b", "2"); return null; });
 * guest.watch("device", "token");                      // events: guest.drainWatchEvents(handler, limit)
 * }</pre>
 *
 * <p>{@link io.pvring.xenstore.XenStoreServer} speaks {@code xs_wire.h}
 * ({@link io.pvring.xenstore.XsSockMsgDescriptor}, {@link io.pvring.xenstore.XsMessageType}) on a Unix socket.
 * Xen's {@code xenstore-*} tools and libxenstore programs use it with {@code XENSTORED_PATH=<socket>} in their
 * environment (libxenstore's {@code xs_daemon_socket()}; {@code XENSTORED_RUNDIR} only moves the default
 * {@code /var/run/xenstored/socket}).
 */
package io.pvring.xenstore;
