package io.pvring.blkback;

import java.nio.ByteBuffer;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

/**
 * Per-ring counters in an Agrona counters buffer (each value on its own padded 128-byte record, so rings on
 * different threads never share a cache line, and another process can read them live). The ring's agent adds to
 * them once per batch with release stores.
 */
public final class BlkRingCounters implements AutoCloseable
{
    public final AtomicCounter requests;
    public final AtomicCounter responses;
    public final AtomicCounter batches;
    public final AtomicCounter notificationsSent;
    public final AtomicCounter notificationsSuppressed;
    public final AtomicCounter grantMaps;
    public final AtomicCounter grantCopies;
    public final AtomicCounter persistentHits;
    public final AtomicCounter errors;
    /** The ring's current adaptive polling window on its runner (0 unless it waits {@code adaptive}). */
    public final AtomicCounter pollWindowNanos;
    /** Time the runner spent polling the ring after it ran dry, in all ({@code adaptive} only). */
    public final AtomicCounter pollNanos;
    /** Times the ring armed {@code req_event} and slept ({@code notify}, {@code adaptive}). */
    public final AtomicCounter sleeps;
    /** Times the ring was woken from a sleep (a notification, a completion, or its purge timer). */
    public final AtomicCounter wakeups;

    public BlkRingCounters(final CountersManager manager, final String name)
    {
        requests = manager.newCounter(name + " requests");
        responses = manager.newCounter(name + " responses");
        batches = manager.newCounter(name + " batches");
        notificationsSent = manager.newCounter(name + " notifications sent");
        notificationsSuppressed = manager.newCounter(name + " notifications suppressed");
        grantMaps = manager.newCounter(name + " grant maps");
        grantCopies = manager.newCounter(name + " grant copies");
        persistentHits = manager.newCounter(name + " persistent hits");
        errors = manager.newCounter(name + " errors");
        pollWindowNanos = manager.newCounter(name + " poll window ns");
        pollNanos = manager.newCounter(name + " polled ns");
        sleeps = manager.newCounter(name + " sleeps");
        wakeups = manager.newCounter(name + " wakeups");
    }

    /** A private counters buffer for {@code counters} counters, when the caller has no shared one. */
    public static CountersManager newCountersManager(final int counters)
    {
        final AtomicBuffer metadata = new UnsafeBuffer(
            ByteBuffer.allocateDirect(counters * CountersReader.METADATA_LENGTH));
        final AtomicBuffer values = new UnsafeBuffer(
            ByteBuffer.allocateDirect(counters * CountersReader.COUNTER_LENGTH));
        return new CountersManager(metadata, values);
    }

    public void close()
    {
        requests.close();
        responses.close();
        batches.close();
        notificationsSent.close();
        notificationsSuppressed.close();
        grantMaps.close();
        grantCopies.close();
        persistentHits.close();
        errors.close();
        pollWindowNanos.close();
        pollNanos.close();
        sleeps.close();
        wakeups.close();
    }

    public String toString()
    {
        return "requests=" + requests.get() + " responses=" + responses.get() + " batches=" + batches.get() +
            " notificationsSent=" + notificationsSent.get() + " notificationsSuppressed=" +
            notificationsSuppressed.get() + " grantMaps=" + grantMaps.get() + " grantCopies=" + grantCopies.get() +
            " persistentHits=" + persistentHits.get() + " errors=" + errors.get() + " pollWindowNanos=" +
            pollWindowNanos.get() + " pollNanos=" + pollNanos.get() + " sleeps=" + sleeps.get() + " wakeups=" +
            wakeups.get();
    }
}
