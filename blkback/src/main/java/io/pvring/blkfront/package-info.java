/**
 * The blkfront guest driver: {@link io.pvring.blkfront.BlkFront} of {@link io.pvring.blkfront.BlkFrontQueue}s
 * (allocation-free submit/push/poll with a {@link io.pvring.blkfront.BlkCompletionHandler}),
 * {@link io.pvring.blkfront.BlkFrontConfig} and {@link io.pvring.blkfront.BlkFrontDriver} (xenbus driver).
 */
package io.pvring.blkfront;
