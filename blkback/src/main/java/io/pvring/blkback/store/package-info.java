/**
 * The disks blkback serves: {@link io.pvring.blkback.store.BlockStore} with
 * {@link io.pvring.blkback.store.NullBlockStore}, {@link io.pvring.blkback.store.MemoryBlockStore} and
 * {@link io.pvring.blkback.store.RawFileBlockStore}.
 */
package io.pvring.blkback.store;
