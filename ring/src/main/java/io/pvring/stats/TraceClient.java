package io.pvring.stats;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.AtomicBuffer;

import static io.pvring.stats.DeviceSlotDescriptor.GENERATION_OFFSET;
import static io.pvring.stats.DeviceSlotDescriptor.MAX_MESSAGE;
import static io.pvring.stats.DeviceSlotDescriptor.MAX_PATH;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_CLIENT_PID_OFFSET;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_DROPPED_OFFSET;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_FAILED;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_MESSAGE_OFFSET;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_OFF;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_ON;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_PATH_LENGTH_OFFSET;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_PATH_OFFSET;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_RECORDS_OFFSET;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_REQUEST_OFFSET;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_START;
import static io.pvring.stats.DeviceSlotDescriptor.TRACE_STATE_OFFSET;

/**
 * The other side of a device slot's trace words: asks the process serving a device to trace it into a file, and
 * to stop. The serving process writes the file (its publisher thread drains the ring threads' buffers); it stops
 * by itself if this process exits without stopping.
 */
public final class TraceClient
{
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    private final AtomicBuffer slots;
    private final int offset;
    private final int generation;
    private final DeviceId device;

    private TraceClient(final AtomicBuffer slots, final int offset, final int generation, final DeviceId device)
    {
        this.slots = slots;
        this.offset = offset;
        this.generation = generation;
        this.device = device;
    }

    /**
     * Starts tracing {@code device} into {@code output} (absolute; written by the serving process) and waits until
     * the serving process confirms.
     *
     * @throws IllegalStateException with the reason: no such device, already traced, the owner refused (cannot
     *     write the file) or did not answer within {@code timeoutMillis}.
     */
    public static TraceClient start(
        final StatsReader reader, final DeviceId device, final Path output, final long timeoutMillis)
    {
        final int[] slot = reader.slotOf(device);
        if (slot == null)
        {
            throw new IllegalStateException("no device " + device + " in " + reader.file().path());
        }
        if (slot[0] == CounterKeyDescriptor.SLOT_NONE)
        {
            throw new IllegalStateException(device + " publishes counters but cannot be traced: its driver does not " +
                "record traces yet, or the counters file had no free device slot (pvring serve --max-devices)");
        }
        final byte[] path = output.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8);
        if (path.length > MAX_PATH)
        {
            throw new IllegalArgumentException("trace path longer than " + MAX_PATH + " bytes: " + output);
        }
        final AtomicBuffer slots = reader.file().slots();
        final int offset = CountersFile.slotOffset(slot[0]);
        final TraceClient client = new TraceClient(slots, offset, slot[1], device);
        if (slots.getIntVolatile(offset + TRACE_REQUEST_OFFSET) != 0 ||
            slots.getIntVolatile(offset + TRACE_STATE_OFFSET) != TRACE_OFF)
        {
            throw new IllegalStateException(device + " is already being traced");
        }
        slots.putBytes(offset + TRACE_PATH_OFFSET, path);
        slots.putInt(offset + TRACE_PATH_LENGTH_OFFSET, path.length);
        slots.putLong(offset + TRACE_CLIENT_PID_OFFSET, ProcessHandle.current().pid());
        // the compare-and-set orders the path and pid before the request, and loses to a concurrent client
        if (!slots.compareAndSetInt(offset + TRACE_REQUEST_OFFSET, 0, TRACE_START))
        {
            throw new IllegalStateException(device + " is already being traced");
        }
        final int state = client.awaitStateOtherThan(TRACE_OFF, timeoutMillis);
        if (state == TRACE_ON)
        {
            return client;
        }
        final String why = state == TRACE_FAILED ? client.message() :
            "the serving process did not answer within " + timeoutMillis + " ms (is it running?)";
        slots.compareAndSetInt(offset + TRACE_REQUEST_OFFSET, TRACE_START, 0);
        if (state == TRACE_FAILED)
        {
            client.awaitStateOtherThan(TRACE_FAILED, timeoutMillis); // the owner acknowledges: the next may try
        }
        throw new IllegalStateException("cannot trace " + device + ": " + why);
    }

    public DeviceId device()
    {
        return device;
    }

    /** Whether the trace still runs (false when the device went away or the owner stopped it). */
    public boolean running()
    {
        return slots.getIntVolatile(offset + GENERATION_OFFSET) == generation &&
            slots.getIntVolatile(offset + TRACE_STATE_OFFSET) == TRACE_ON;
    }

    /** Records written so far (as the owner last reported). */
    public long records()
    {
        return slots.getLongVolatile(offset + TRACE_RECORDS_OFFSET);
    }

    public long dropped()
    {
        return slots.getLongVolatile(offset + TRACE_DROPPED_OFFSET);
    }

    /**
     * Asks the owner to stop and waits until the file is complete.
     *
     * @return false when the owner did not confirm within {@code timeoutMillis}.
     */
    public boolean stop(final long timeoutMillis)
    {
        slots.compareAndSetInt(offset + TRACE_REQUEST_OFFSET, TRACE_START, 0);
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (slots.getIntVolatile(offset + GENERATION_OFFSET) == generation &&
            slots.getIntVolatile(offset + TRACE_STATE_OFFSET) != TRACE_OFF)
        {
            if (System.nanoTime() - deadline > 0)
            {
                return false;
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        return true;
    }

    private int awaitStateOtherThan(final int state, final long timeoutMillis)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        int now;
        while ((now = slots.getIntVolatile(offset + TRACE_STATE_OFFSET)) == state &&
            slots.getIntVolatile(offset + GENERATION_OFFSET) == generation)
        {
            if (System.nanoTime() - deadline > 0)
            {
                return state;
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        return now;
    }

    private String message()
    {
        final int length = Math.max(0, Math.min(MAX_MESSAGE, slots.getInt(offset + TRACE_MESSAGE_OFFSET)));
        return slots.getStringWithoutLengthUtf8(offset + TRACE_MESSAGE_OFFSET + 4, length);
    }
}
