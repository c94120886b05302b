/**
 * The per-thread io_uring ({@link io.pvring.uring.ThreadRing}): one Netty {@code ManualIoEventLoop} on Netty's
 * io_uring transport per thread that uses one, shared by everything that thread drives there (blkback's file
 * engine, a runner's kick eventfds), and on a runner thread also the way the runner sleeps, so a completion wakes it
 * with no thread in between. {@link io.pvring.uring.IoUringSupport} says whether io_uring works here, and why not.
 */
package io.pvring.uring;
