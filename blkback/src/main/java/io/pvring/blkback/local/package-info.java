/**
 * {@link io.pvring.blkback.local.BlkLocalPair}: a blkfront and a blkback wired directly on an emulated hypervisor,
 * without xenstore, for benchmarks and in-process tests. It sits apart so neither end depends on the other.
 */
package io.pvring.blkback.local;
