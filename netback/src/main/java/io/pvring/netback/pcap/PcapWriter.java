package io.pvring.netback.pcap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.DirectBuffer;

/**
 * Writes frames to a classic libpcap file (magic 0xa1b2c3d4, version 2.4, microsecond timestamps, LINKTYPE_ETHERNET)
 * that tcpdump, tshark and Wireshark read. A tap is a debugging aid shared by several forwarding threads, so
 * {@link #write} takes a lock; the record buffer is reused and nothing is allocated per frame. An I/O error closes the
 * writer and is reported by {@link #error()}, never thrown into a forwarding thread.
 */
public final class PcapWriter implements AutoCloseable
{
    public static final int MAGIC = 0xA1B2_C3D4;
    public static final int VERSION_MAJOR = 2;
    public static final int VERSION_MINOR = 4;
    public static final int LINKTYPE_ETHERNET = 1;
    public static final int GLOBAL_HEADER_LENGTH = 24;
    public static final int RECORD_HEADER_LENGTH = 16;

    private final FileChannel channel;
    private final int snapLength;
    private final ByteBuffer record;
    private long frames;
    private IOException error;
    private boolean closed;

    public PcapWriter(final Path file, final int snapLength)
    {
        if (snapLength <= 0 || snapLength > 262_144)
        {
            throw new IllegalArgumentException("snapLength=" + snapLength);
        }
        this.snapLength = snapLength;
        this.record = ByteBuffer.allocateDirect(RECORD_HEADER_LENGTH + snapLength).order(ByteOrder.LITTLE_ENDIAN);
        try
        {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
            final ByteBuffer header = ByteBuffer.allocate(GLOBAL_HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(MAGIC).putShort((short)VERSION_MAJOR).putShort((short)VERSION_MINOR)
                .putInt(0).putInt(0).putInt(snapLength).putInt(LINKTYPE_ETHERNET).flip();
            while (header.hasRemaining())
            {
                channel.write(header);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create pcap " + file, ex);
        }
    }

    /** Appends one frame, truncated to the snap length, stamped with the wall clock. */
    public synchronized void write(final DirectBuffer frame, final int offset, final int length)
    {
        if (closed)
        {
            return;
        }
        final long micros = System.currentTimeMillis() * 1000L + (System.nanoTime() / 1000L) % 1000L;
        final int captured = Math.min(length, snapLength);
        record.clear();
        record.putInt((int)(micros / 1_000_000L)).putInt((int)(micros % 1_000_000L)).putInt(captured).putInt(length);
        frame.getBytes(offset, record, RECORD_HEADER_LENGTH, captured);
        record.position(0).limit(RECORD_HEADER_LENGTH + captured);
        try
        {
            while (record.hasRemaining())
            {
                channel.write(record);
            }
            frames++;
        }
        catch (final IOException ex)
        {
            error = ex;
            close();
        }
    }

    public synchronized long frames()
    {
        return frames;
    }

    /** The I/O error that stopped the capture, or null. */
    public synchronized IOException error()
    {
        return error;
    }

    @Override
    public synchronized void close()
    {
        if (!closed)
        {
            closed = true;
            try
            {
                channel.close();
            }
            catch (final IOException ex)
            {
                if (error == null)
                {
                    error = ex;
                }
            }
        }
    }
}
