/**
 * Per-device I/O limits (QoS): QEMU's throttling model, leaky buckets for bytes and operations per second, total
 * or by direction, each with an optional burst. {@link io.pvring.blkback.qos.ThrottleLimits} is the validated
 * setting (from a disk specification or the {@code qos-*} backend keys), {@link io.pvring.blkback.qos.BlkThrottle}
 * the device's buckets that a ring asks before it starts a request.
 */
package io.pvring.blkback.qos;
