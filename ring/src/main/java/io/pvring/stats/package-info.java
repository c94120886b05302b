/**
 * I/O introspection: counters files that another process maps and reads live ({@link io.pvring.stats.IoStats},
 * {@link io.pvring.stats.StatsReader}), per-device latency histograms under a seqlock, and per-device ring traces
 * ({@link io.pvring.stats.TraceRecorder}, {@link io.pvring.stats.TraceFile}). {@code pvring stat} and
 * {@code pvring trace} are built on them.
 */
package io.pvring.stats;
