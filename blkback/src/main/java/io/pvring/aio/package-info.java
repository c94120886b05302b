/**
 * Asynchronous positional file I/O on off-heap memory for file-backed disks: an engine interface
 * ({@link io.pvring.aio.AioEngine}), a portable worker-pool engine (QEMU's {@code aio=threads}), an io_uring engine
 * on Netty's io_uring transport, and QEMU's cache modes ({@code none}, {@code writeback}, {@code writethrough}) at
 * file-open level. Self-contained: a submit/complete {@code BlockStore} for raw files is built on it.
 */
package io.pvring.aio;
