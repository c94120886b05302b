/**
 * The Xen block backend ({@code io/blkif.h}): serves virtual disks to frontends on pvring's rings.
 *
 * <p>{@link io.pvring.blkback.BlkBack} (one device: connect rings, start runners, disconnect),
 * {@link io.pvring.blkback.BlkRing} (one queue, an Agrona agent), {@link io.pvring.blkback.BlkBackConfig},
 * {@link io.pvring.blkback.BlkRingCounters}, {@link io.pvring.blkback.BlkBackDriver} (xenbus {@code vbd} driver)
 * and the per-ring persistent grant cache.
 *
 * <p>Related packages: {@code io.pvring.blkif} (the protocol's layouts and keys), {@code io.pvring.blkback.store}
 * (the disks a device serves), {@code io.pvring.blkfront} (the guest driver) and {@code io.pvring.blkback.local}
 * (a front and a back wired without xenstore).
 */
package io.pvring.blkback;
