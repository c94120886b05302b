package io.pvring.unix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * A hostile socket client for bound tests: writes one request over and over without reading (non-blocking, so it
 * stops only when the kernel takes nothing more), then reads everything the server owes it. Every wait is bounded
 * and fails with what was seen.
 */
public final class FloodClient implements AutoCloseable
{
    private final SocketChannel channel;
    private long written;
    private long read;

    private FloodClient(final SocketChannel channel)
    {
        this.channel = channel;
    }

    public static FloodClient connect(final Path socket)
    {
        try
        {
            final SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.configureBlocking(false);
            return new FloodClient(ch);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot connect to " + socket, ex);
        }
    }

    /** Bytes the kernel took from this client so far. */
    public long written()
    {
        return written;
    }

    /** Bytes read from the server so far. */
    public long read()
    {
        return read;
    }

    /**
     * Writes whole copies of {@code request} until the socket takes nothing more and {@code serverPaused} says the
     * server stopped reading this client. The kernel may have taken part of a last copy: the server holds it as a
     * partial frame and answers only whole ones.
     *
     * @return the number of whole requests written.
     */
    public long floodUntilStalled(final byte[] request, final BooleanSupplier serverPaused, final long timeoutMillis)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        final long before = written;
        final ByteBuffer out = ByteBuffer.allocate(request.length * 256);
        while (out.hasRemaining())
        {
            out.put(request, 0, Math.min(request.length, out.remaining()));
        }
        out.flip();
        while (true)
        {
            final int n = write(out);
            if (!out.hasRemaining())
            {
                out.clear();
            }
            if (0 == n && serverPaused.getAsBoolean())
            {
                return (written - before) / request.length;
            }
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("the server never stopped reading a client that does not read, after " +
                    written + " bytes in " + timeoutMillis + " ms");
            }
            if (0 == n)
            {
                LockSupport.parkNanos(100_000); // the kernel buffer is full: poll again shortly
            }
        }
    }

    /** Writes {@code bytes} whole (waiting for the kernel as needed, bounded). */
    public void writeFully(final byte[] bytes, final long timeoutMillis)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        final ByteBuffer out = ByteBuffer.wrap(bytes);
        while (out.hasRemaining())
        {
            if (0 == write(out))
            {
                if (System.nanoTime() > deadline)
                {
                    throw new AssertionError("could not write " + bytes.length + " bytes in " + timeoutMillis + " ms");
                }
                LockSupport.parkNanos(100_000);
            }
        }
    }

    /**
     * Reads until {@code bytes} more arrived (bounded); the bytes are handed to {@code sink} (null to discard).
     */
    public void readExactly(final long bytes, final ByteBuffer sink, final long timeoutMillis)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        long left = bytes;
        while (left > 0)
        {
            in.clear().limit((int)Math.min(in.capacity(), left));
            final int n;
            try
            {
                n = channel.read(in);
            }
            catch (final IOException ex)
            {
                throw new AssertionError("connection broken with " + left + " of " + bytes + " bytes unread", ex);
            }
            if (n < 0)
            {
                throw new AssertionError("connection closed with " + left + " of " + bytes + " bytes unread");
            }
            if (n > 0)
            {
                left -= n;
                read += n;
                if (null != sink)
                {
                    in.flip();
                    sink.put(in);
                }
            }
            else if (System.nanoTime() > deadline)
            {
                throw new AssertionError("only " + (bytes - left) + " of " + bytes + " bytes arrived in " +
                    timeoutMillis + " ms");
            }
            else
            {
                LockSupport.parkNanos(100_000);
            }
        }
    }

    /** True once the server closed the connection (read returns end of stream or a reset), waiting at most that. */
    public boolean closedByServer(final long timeoutMillis)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        while (System.nanoTime() < deadline)
        {
            try
            {
                in.clear();
                if (channel.read(in) < 0)
                {
                    return true;
                }
            }
            catch (final IOException ex)
            {
                return true;
            }
            LockSupport.parkNanos(100_000);
        }
        return false;
    }

    private int write(final ByteBuffer out)
    {
        try
        {
            final int n = channel.write(out);
            written += n;
            return n;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("the server closed a flooding client after " + written + " bytes", ex);
        }
    }

    @Override
    public void close()
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
