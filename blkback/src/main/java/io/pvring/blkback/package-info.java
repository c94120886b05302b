/**
 * The Xen block protocol ({@code io/blkif.h}) on pvring's rings: a backend serving virtual disks and the
 * blkfront guest driver.
 *
 * <p>Layouts: {@link io.pvring.blkback.BlkifDescriptor} (constants), {@link io.pvring.blkback.BlkifAbi} with
 * {@link io.pvring.blkback.X8664BlkifAbi} and {@link io.pvring.blkback.X8632BlkifAbi} (stateless flyweight
 * accessors), {@link io.pvring.blkback.BlkifKeys} (xenstore keys).
 *
 * <p>Backend: {@link io.pvring.blkback.BlkBack} (one device: connect rings, start runners, disconnect),
 * {@link io.pvring.blkback.BlkRing} (one queue, an Agrona agent), {@link io.pvring.blkback.BlkBackConfig},
 * {@link io.pvring.blkback.BlkRingCounters}, {@link io.pvring.blkback.BlkBackDriver} (xenbus {@code vbd} driver).
 *
 * <p>Disks: {@link io.pvring.blkback.BlockStore} with {@link io.pvring.blkback.NullBlockStore},
 * {@link io.pvring.blkback.MemoryBlockStore} and {@link io.pvring.blkback.RawFileBlockStore}.
 *
 * <p>Frontend: {@link io.pvring.blkback.BlkFront} of {@link io.pvring.blkback.BlkFrontQueue}s (allocation-free
 * submit/push/poll with a {@link io.pvring.blkback.BlkCompletionHandler}), {@link io.pvring.blkback.BlkFrontConfig},
 * {@link io.pvring.blkback.BlkFrontDriver} (xenbus driver). {@link io.pvring.blkback.BlkLocalPair} wires a front
 * and a back on an emulated hypervisor without xenstore.
 */
package io.pvring.blkback;
