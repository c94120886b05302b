/**
 * Unix domain socket plumbing shared by the out-of-process servers (xenstore, event channels): the socket file,
 * the event loop and the set of connected clients, never a protocol.
 */
package io.pvring.unix;
