package io.pvring.aio;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.agrona.UnsafeApi;

/**
 * A disk image file opened in a {@link CacheMode}, usable by every engine: the worker pool does positional I/O on
 * its {@link FileChannel}; io_uring submits on the same descriptor ({@link #fd()}), so the open flags the JDK set
 * ({@code O_DIRECT} for {@code cache=none}, {@code O_DSYNC} for {@code writethrough}) hold for both.
 *
 * <p>{@link #alignment()} is what {@code O_DIRECT} requires of memory addresses, file offsets and lengths: the
 * file system's block size as the JDK checks it ({@code statvfs f_frsize}, usually 4096), 1 in the other modes.
 */
public final class AioFile implements AutoCloseable
{
    /**
     * {@code com.sun.nio.file.ExtendedOpenOption.DIRECT} (O_DIRECT), looked up at run time: naming the class makes
     * javac 21+ warn of an internal API, an error under {@code -Werror}, though the option is supported on 17 to 25.
     */
    public static final OpenOption DIRECT = directOption();

    /** Larger file system blocks are treated as 4096, which Linux accepts for direct I/O on any of them. */
    public static final int MAX_ALIGNMENT = 65536;

    private static final long CHANNEL_FD_OFFSET = fieldOffset("sun.nio.ch.FileChannelImpl", "fd");
    private static final long DESCRIPTOR_FD_OFFSET = fieldOffset("java.io.FileDescriptor", "fd");

    private final FileChannel channel;
    private final Path path;
    private final CacheMode cacheMode;
    private final boolean readOnly;
    private final int alignment;
    private final int fd;
    /** Serialises read-modify-write of partial blocks under O_DIRECT, across every engine using this file. */
    final Object rmwLock = new Object();

    private AioFile(
        final FileChannel channel, final Path path, final CacheMode cacheMode, final boolean readOnly,
        final int alignment)
    {
        this.channel = channel;
        this.path = path;
        this.cacheMode = cacheMode;
        this.readOnly = readOnly;
        this.alignment = alignment;
        this.fd = descriptorOf(channel);
    }

    /**
     * Opens an existing file.
     *
     * @throws IOException when it cannot be opened, including a file system that refuses {@code O_DIRECT}.
     */
    public static AioFile open(final Path path, final CacheMode cacheMode, final boolean readOnly)
        throws IOException
    {
        final List<OpenOption> options = new ArrayList<>(4);
        options.add(StandardOpenOption.READ);
        if (!readOnly)
        {
            options.add(StandardOpenOption.WRITE);
        }
        if (cacheMode == CacheMode.WRITETHROUGH)
        {
            options.add(StandardOpenOption.DSYNC);
        }
        int alignment = 1;
        if (cacheMode == CacheMode.NONE)
        {
            options.add(DIRECT);
            alignment = directAlignment(path);
        }
        final FileChannel channel;
        try
        {
            channel = FileChannel.open(path, options.toArray(new OpenOption[0]));
        }
        catch (final UnsupportedOperationException ex)
        {
            throw new IOException("cache=none: the file system of " + path + " refuses O_DIRECT", ex);
        }
        return new AioFile(channel, path, cacheMode, readOnly, alignment);
    }

    public Path path()
    {
        return path;
    }

    public CacheMode cacheMode()
    {
        return cacheMode;
    }

    public boolean isReadOnly()
    {
        return readOnly;
    }

    /** Required alignment of memory, offset and length for direct I/O (1 when not {@code cache=none}). */
    public int alignment()
    {
        return alignment;
    }

    /** The open file descriptor (valid while {@link #isOpen()}). */
    public int fd()
    {
        return fd;
    }

    public FileChannel channel()
    {
        return channel;
    }

    public boolean isOpen()
    {
        return channel.isOpen();
    }

    public long sizeBytes() throws IOException
    {
        return channel.size();
    }

    /** True when memory, offset and length all meet {@link #alignment()}. */
    boolean isAligned(final long address, final long position, final long length)
    {
        final long mask = alignment - 1;
        return ((address | position | length) & mask) == 0;
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
            throw new UncheckedIOException("closing " + path, ex);
        }
    }

    @Override
    public String toString()
    {
        return "AioFile{path=" + path + ", cache=" + cacheMode.qemuName() + ", fd=" + fd + "}";
    }

    private static int directAlignment(final Path path) throws IOException
    {
        long size = 4096;
        try
        {
            size = Files.getFileStore(path).getBlockSize();
        }
        catch (final UnsupportedOperationException ex)
        {
            // No block size from this file store: 4096 is what every Linux file system accepts.
            size = 4096;
        }
        if (size < 512 || size > MAX_ALIGNMENT || Long.bitCount(size) != 1)
        {
            size = 4096;
        }
        return (int)size;
    }

    // The descriptor number is read from the JDK's own objects (no open flags of ours, no second open), through
    // Unsafe offsets that need no --add-opens; java.nio.channels has no public accessor for it.
    private static int descriptorOf(final FileChannel channel)
    {
        final Object descriptor = UnsafeApi.getReference(channel, CHANNEL_FD_OFFSET);
        if (!(descriptor instanceof FileDescriptor))
        {
            throw new IllegalStateException("FileChannel has no FileDescriptor: " + channel.getClass());
        }
        return UnsafeApi.getInt(descriptor, DESCRIPTOR_FD_OFFSET);
    }

    private static long fieldOffset(final String className, final String fieldName)
    {
        try
        {
            final Field field = Class.forName(className).getDeclaredField(fieldName);
            return UnsafeApi.objectFieldOffset(field);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private static OpenOption directOption()
    {
        try
        {
            final Class<?> options = Class.forName("com.sun.nio.file.ExtendedOpenOption");
            return (OpenOption)options.getField("DIRECT").get(null);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }
}
