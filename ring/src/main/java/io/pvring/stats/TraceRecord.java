package io.pvring.stats;

/**
 * One trace record ({@link TraceRecordDescriptor}) as a value.
 *
 * @param timeNanos completion time relative to the trace's start.
 */
public record TraceRecord(
    long timeNanos, long latencyNanos, long sector, long id, int queue, int status, int operation, int segments,
    long size, long flags)
{
}
