/**
 * The disks blkback serves: {@link io.pvring.blkback.store.BlockStore} with
 * {@link io.pvring.blkback.store.NullBlockStore}, {@link io.pvring.blkback.store.MemoryBlockStore},
 * {@link io.pvring.blkback.store.RawFileBlockStore} and {@link io.pvring.blkback.store.NbdBlockStore} (NBD exports,
 * and image formats through qemu-nbd), opened from a {@link io.pvring.blkback.store.DiskSpec} by
 * {@link io.pvring.blkback.store.DiskStores}.
 */
package io.pvring.blkback.store;
