package io.pvring.stats;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Histogram;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A writer republishing histograms of varying size as fast as it can while a reader copies them: every histogram
 * the reader decodes is one the writer published whole. Bounded by a publication count, with a watchdog.
 */
class HistogramSlotStressTest
{
    private static final int PUBLICATIONS = 20_000;

    @Test
    void aReaderNeverDecodesATornHistogram()
    {
        final AtomicBuffer slots = new UnsafeBuffer(ByteBuffer.allocateDirect(DeviceSlotDescriptor.SLOT_LENGTH));
        final AtomicBoolean done = new AtomicBoolean();
        final AtomicLong failures = new AtomicLong();
        final Thread writer = new Thread(() ->
        {
            final Histogram h = DeviceSlotDescriptor.newHistogram();
            final ByteBuffer scratch = HistogramSlot.newScratch();
            for (int k = 1; k <= PUBLICATIONS; k++)
            {
                // publication k: k samples of 1 ns, and k % 50 samples spread far above (varying lengths)
                h.reset();
                h.recordValueWithCount(1, k);
                for (int i = 0; i < k % 50; i++)
                {
                    h.recordValue(1_000_000L + i * 7_919_000L);
                }
                HistogramSlot.publish(slots, 0, h, scratch);
            }
            done.set(true);
        }, "histogram-writer");
        assertTimeoutPreemptively(Duration.ofSeconds(60), () ->
        {
            writer.start();
            final byte[] scratch = new byte[DeviceSlotDescriptor.HISTOGRAM_CAPACITY];
            long reads = 0;
            long busyReads = 0;
            long last = 0;
            while (!done.get())
            {
                final Histogram h;
                try
                {
                    h = HistogramSlot.read(slots, 0, scratch);
                }
                catch (final IllegalStateException busy)
                {
                    // a writer republishing back to back can outrun every attempt: a reader gives up, never tears
                    busyReads++;
                    continue;
                }
                if (h == null)
                {
                    continue; // nothing published yet
                }
                final long k = h.getCountAtValue(1);
                if (h.getTotalCount() != k + k % 50 || k < last)
                {
                    failures.incrementAndGet();
                }
                last = k;
                reads++;
            }
            writer.join();
            assertEquals(0, failures.get(), "torn or out-of-order histograms among " + reads + " reads (" +
                busyReads + " gave up)");
            assertTrue(reads > 0, "the reader decoded some histograms");
            final Histogram lastPublished = HistogramSlot.read(slots, 0, scratch);
            assertEquals(PUBLICATIONS, lastPublished.getCountAtValue(1));
        }, "the writer finishes " + PUBLICATIONS + " publications and the reader keeps up");
    }
}
