package io.pvring.stats;

import java.nio.file.Path;

import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.RingBuffer;

/** A running trace of one device, owned by {@link IoStats}'s publisher thread: drains the queues to the file. */
final class TraceSession
{
    private final DeviceStats device;
    private final long clientPid;
    private final TraceFileWriter writer;
    private final RingBuffer[] buffers;
    private final long[] droppedAtStart;
    private final MessageHandler append;

    TraceSession(final DeviceStats device, final Path path, final long clientPid)
    {
        this.device = device;
        this.clientPid = clientPid;
        this.writer = new TraceFileWriter(path, device.id(), System.currentTimeMillis() * 1_000_000L,
            System.nanoTime());
        this.append = (type, buffer, index, length) -> writer.append(buffer, index);
        this.buffers = new RingBuffer[device.queues()];
        this.droppedAtStart = new long[buffers.length];
        for (int q = 0; q < buffers.length; q++)
        {
            droppedAtStart[q] = device.queue(q).trace().dropped();
            buffers[q] = device.queue(q).trace().start();
        }
    }

    long clientPid()
    {
        return clientPid;
    }

    /** Copies what the queues recorded to the file; returns the records copied. */
    int drain()
    {
        int drained = 0;
        for (final RingBuffer buffer : buffers)
        {
            drained += buffer.read(append);
        }
        writer.flush();
        return drained;
    }

    long records()
    {
        return writer.records();
    }

    long dropped()
    {
        long dropped = 0;
        for (int q = 0; q < buffers.length; q++)
        {
            dropped += device.queue(q).trace().dropped() - droppedAtStart[q];
        }
        return dropped;
    }

    /** Stops recording, copies what is left and closes the file with its counts. */
    void stop()
    {
        for (int q = 0; q < buffers.length; q++)
        {
            device.queue(q).trace().stop();
        }
        try
        {
            drain();
        }
        finally
        {
            writer.close(dropped());
        }
    }
}
