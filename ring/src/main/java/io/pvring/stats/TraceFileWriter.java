package io.pvring.stats;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.DirectBuffer;

import static io.pvring.stats.TraceFileDescriptor.DEVID_OFFSET;
import static io.pvring.stats.TraceFileDescriptor.DOMID_OFFSET;
import static io.pvring.stats.TraceFileDescriptor.HEADER_LENGTH;
import static io.pvring.stats.TraceFileDescriptor.KIND_OFFSET;
import static io.pvring.stats.TraceFileDescriptor.MAGIC;
import static io.pvring.stats.TraceFileDescriptor.MAGIC_OFFSET;
import static io.pvring.stats.TraceFileDescriptor.RECORDS_OFFSET;
import static io.pvring.stats.TraceFileDescriptor.RECORD_LENGTH_OFFSET;
import static io.pvring.stats.TraceFileDescriptor.START_EPOCH_NANOS_OFFSET;
import static io.pvring.stats.TraceFileDescriptor.START_MONOTONIC_NANOS_OFFSET;
import static io.pvring.stats.TraceFileDescriptor.VERSION;
import static io.pvring.stats.TraceFileDescriptor.VERSION_OFFSET;

/** Writes a trace file ({@link TraceFileDescriptor}) on the drainer thread, through a staging buffer. */
public final class TraceFileWriter implements AutoCloseable
{
    private static final int STAGING_RECORDS = 1024;
    private final FileChannel channel;
    private final ByteBuffer staging = ByteBuffer.allocateDirect(STAGING_RECORDS * TraceRecordDescriptor.LENGTH)
        .order(ByteOrder.LITTLE_ENDIAN);
    private long records;
    private boolean closed;

    /** Creates (or truncates) {@code path} and writes the header. */
    public TraceFileWriter(final Path path, final DeviceId device, final long startEpochNanos,
        final long startMonotonicNanos)
    {
        try
        {
            channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write trace file " + path + ": " + ex.getMessage(), ex);
        }
        final ByteBuffer header = ByteBuffer.allocate(HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(MAGIC_OFFSET, MAGIC);
        header.putInt(VERSION_OFFSET, VERSION);
        header.putInt(RECORD_LENGTH_OFFSET, TraceRecordDescriptor.LENGTH);
        header.putInt(KIND_OFFSET, device.kind().code());
        header.putInt(DOMID_OFFSET, device.domid());
        header.putInt(DEVID_OFFSET, device.devid());
        header.putLong(START_EPOCH_NANOS_OFFSET, startEpochNanos);
        header.putLong(START_MONOTONIC_NANOS_OFFSET, startMonotonicNanos);
        write(header, 0);
        try
        {
            channel.position(HEADER_LENGTH);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** Appends one record ({@link TraceRecordDescriptor#LENGTH} bytes at {@code index} of {@code buffer}). */
    public void append(final DirectBuffer buffer, final int index)
    {
        if (staging.remaining() < TraceRecordDescriptor.LENGTH)
        {
            flush();
        }
        final int position = staging.position();
        buffer.getBytes(index, staging, position, TraceRecordDescriptor.LENGTH);
        staging.position(position + TraceRecordDescriptor.LENGTH);
        records++;
    }

    /** Writes what is staged. */
    public void flush()
    {
        staging.flip();
        try
        {
            while (staging.hasRemaining())
            {
                channel.write(staging);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("trace file write failed: " + ex.getMessage(), ex);
        }
        staging.clear();
    }

    public long records()
    {
        return records;
    }

    /** Flushes, records the counts in the header and closes the file. */
    public void close(final long dropped)
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            flush();
            final ByteBuffer counts = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            counts.putLong(0, records).putLong(8, dropped);
            write(counts, RECORDS_OFFSET); // dropped follows records
        }
        finally
        {
            try
            {
                channel.close();
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
    }

    @Override
    public void close()
    {
        close(0);
    }

    private void write(final ByteBuffer bytes, final long position)
    {
        try
        {
            long at = position;
            while (bytes.hasRemaining())
            {
                at += channel.write(bytes, at);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("trace file write failed: " + ex.getMessage(), ex);
        }
    }
}
