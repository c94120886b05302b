/**
 * NBD (the Network Block Device protocol, NBD project {@code doc/proto.md}): an asynchronous client for blkback
 * stores, and qemu-nbd as a child process for disk images in any format qemu reads.
 *
 * <p>Client: {@link io.pvring.nbd.NbdClient} (connect, submit with a tag and off-heap memory, one flush per ring
 * turn, completions through an {@link io.pvring.nbd.NbdCompletionSink}), {@link io.pvring.nbd.NbdClientConfig},
 * {@link io.pvring.nbd.NbdUri} ({@code nbd://} and {@code nbd+unix://}), {@link io.pvring.nbd.NbdExport} (what the
 * handshake learnt), {@link io.pvring.nbd.NbdErrno} (results), {@link io.pvring.nbd.NbdException}. Inside:
 * {@link io.pvring.nbd.NbdHandshakeHandler} (fixed newstyle negotiation, always on Netty), then one of two data paths
 * for requests and simple replies: {@link io.pvring.nbd.NbdRingTransmission} on the submitting thread's own io_uring
 * (the default where io_uring works: the socket leaves Netty after the handshake; batches go out as one
 * {@code sendmsg} built by {@link io.pvring.nbd.NbdSendBatch}) or {@link io.pvring.nbd.NbdTransmissionHandler} on a
 * Netty event loop (the fallback); {@link io.pvring.nbd.NbdFlushOrder}, the in-flight slots, and the wire layouts
 * {@link io.pvring.nbd.NbdHandshakeDescriptor}, {@link io.pvring.nbd.NbdTransmissionDescriptor} with
 * {@link io.pvring.nbd.NbdProtocol}'s constants.
 *
 * <p>Servers: {@link io.pvring.nbd.QemuNbdServer} with {@link io.pvring.nbd.QemuNbdConfig} and
 * {@link io.pvring.nbd.QemuImageInfo} (format probing), on {@link io.pvring.nbd.NbdServerProcess} (a child server
 * that never outlives the JVM).
 */
package io.pvring.nbd;
