/**
 * Asynchronous positional file I/O on off-heap memory for file-backed disks: an engine interface
 * ({@link io.pvring.aio.AioEngine}), a portable worker-pool engine (QEMU's {@code aio=threads}), an io_uring engine
 * driven by the submitting thread itself on Netty's io_uring ring (one per thread, which a runner also sleeps in),
 * and QEMU's cache modes ({@code none}, {@code writeback}, {@code writethrough}) at
 * file-open level. A submit/complete {@code BlockStore} for raw files is built on it.
 */
package io.pvring.aio;
