package io.pvring.stats;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

import static io.pvring.stats.TraceFileDescriptor.DEVID_OFFSET;
import static io.pvring.stats.TraceFileDescriptor.DOMID_OFFSET;
import static io.pvring.stats.TraceFileDescriptor.DROPPED_OFFSET;
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

/**
 * A trace file read back: its header as a value and its records, streamed.
 *
 * @param records from the header; 0 if the trace did not end cleanly (then {@link #forEach} still reads every
 *     whole record in the file).
 */
public record TraceFile(
    Path path, DeviceId device, long startEpochNanos, long startMonotonicNanos, long records, long dropped)
{
    /** Reads {@code path}'s header; a file that is not a trace file gets an exception naming what is wrong. */
    public static TraceFile open(final Path path)
    {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ))
        {
            final ByteBuffer header = ByteBuffer.allocate(HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            while (header.hasRemaining() && channel.read(header) >= 0)
            {
                // until the header is read or the file ends
            }
            if (header.hasRemaining() || header.getInt(MAGIC_OFFSET) != MAGIC)
            {
                throw new IllegalArgumentException("not a pvring trace file: " + path);
            }
            if (header.getInt(VERSION_OFFSET) != VERSION ||
                header.getInt(RECORD_LENGTH_OFFSET) != TraceRecordDescriptor.LENGTH)
            {
                throw new IllegalArgumentException("unsupported trace file " + path + ": version=" +
                    header.getInt(VERSION_OFFSET) + " record length=" + header.getInt(RECORD_LENGTH_OFFSET));
            }
            final DeviceKind kind = DeviceKind.of(header.getInt(KIND_OFFSET));
            if (kind == null || kind == DeviceKind.DOMAIN)
            {
                throw new IllegalArgumentException("trace file " + path + ": unknown device kind " +
                    header.getInt(KIND_OFFSET));
            }
            return new TraceFile(path, new DeviceId(kind, header.getInt(DOMID_OFFSET), header.getInt(DEVID_OFFSET)),
                header.getLong(START_EPOCH_NANOS_OFFSET), header.getLong(START_MONOTONIC_NANOS_OFFSET),
                header.getLong(RECORDS_OFFSET), header.getLong(DROPPED_OFFSET));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read trace file " + path + ": " + ex.getMessage(), ex);
        }
    }

    /** Every whole record in the file, in file order (each queue's records are in time order). */
    public void forEach(final Consumer<TraceRecord> consumer)
    {
        final int length = TraceRecordDescriptor.LENGTH;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ))
        {
            final ByteBuffer chunk = ByteBuffer.allocate(length * 1024).order(ByteOrder.LITTLE_ENDIAN);
            channel.position(HEADER_LENGTH);
            while (channel.read(chunk) > 0 || chunk.position() >= length)
            {
                chunk.flip();
                while (chunk.remaining() >= length)
                {
                    final int at = chunk.position();
                    consumer.accept(record(chunk, at));
                    chunk.position(at + length);
                }
                chunk.compact();
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read trace file " + path + ": " + ex.getMessage(), ex);
        }
    }

    private TraceRecord record(final ByteBuffer b, final int at)
    {
        return new TraceRecord(
            b.getLong(at + TraceRecordDescriptor.TIME_OFFSET) - startMonotonicNanos,
            b.getLong(at + TraceRecordDescriptor.LATENCY_OFFSET),
            b.getLong(at + TraceRecordDescriptor.SECTOR_OFFSET),
            b.getLong(at + TraceRecordDescriptor.ID_OFFSET),
            b.getShort(at + TraceRecordDescriptor.QUEUE_OFFSET) & 0xFFFF,
            b.getShort(at + TraceRecordDescriptor.STATUS_OFFSET),
            b.get(at + TraceRecordDescriptor.OPERATION_OFFSET) & 0xFF,
            b.get(at + TraceRecordDescriptor.SEGMENTS_OFFSET) & 0xFF,
            b.getInt(at + TraceRecordDescriptor.SIZE_OFFSET) & 0xFFFF_FFFFL,
            b.getInt(at + TraceRecordDescriptor.FLAGS_OFFSET) & 0xFFFF_FFFFL);
    }
}
