/**
 * The blkif protocol of {@code xen/include/public/io/blkif.h}, shared by backend and frontend:
 * {@link io.pvring.blkif.BlkifDescriptor} (constants and the segment layout), {@link io.pvring.blkif.BlkifAbi} with
 * {@link io.pvring.blkif.X8664BlkifAbi} and {@link io.pvring.blkif.X8632BlkifAbi} (stateless flyweight accessors of
 * the two request/response layouts) and {@link io.pvring.blkif.BlkifKeys} (xenstore keys).
 */
package io.pvring.blkif;
