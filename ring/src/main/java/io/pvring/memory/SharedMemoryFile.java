package io.pvring.memory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A sparse file that backs shared memory: guest RAM or a grant table. Sizing uses {@code ftruncate}, so no block is
 * allocated until a page is first written and resident memory grows only with pages touched.
 *
 * <p>Two kinds: {@link #anonymous(String, long)} is process memory, a temporary file on {@code /dev/shm} (tmpfs)
 * deleted as soon as it is open, so nothing is left behind if the process dies; {@link #open(Path, long)} is a named
 * file another process can map (an out-of-process emulator or a C frontend), kept when closed; {@link #existing}
 * is a range of a file that belongs to someone else (an emulator's guest RAM), never resized by pvring.
 */
public final class SharedMemoryFile implements AutoCloseable
{
    private static final int PAGE_SIZE = 4096;

    /** tmpfs, so file pages are plain shared memory; the JVM temp directory when there is none. */
    public static final Path DEFAULT_DIRECTORY = Path.of("/dev/shm");

    private final FileChannel channel;
    private final Path path;
    private final boolean anonymous;
    private final long bytes;
    private final long offset;

    private SharedMemoryFile(
        final FileChannel channel, final Path path, final boolean anonymous, final long bytes, final long offset)
    {
        this.channel = channel;
        this.path = path;
        this.anonymous = anonymous;
        this.bytes = bytes;
        this.offset = offset;
    }

    /**
     * A sparse temporary file of {@code bytes}, unlinked once open: memory private to this process.
     *
     * @param prefix file name prefix, visible in {@code /proc/self/maps} as {@code prefix... (deleted)}.
     */
    public static SharedMemoryFile anonymous(final String prefix, final long bytes)
    {
        checkBytes(bytes);
        final Path directory = Files.isDirectory(DEFAULT_DIRECTORY) && Files.isWritable(DEFAULT_DIRECTORY) ?
            DEFAULT_DIRECTORY : Path.of(System.getProperty("java.io.tmpdir"));
        try
        {
            final Path path = Files.createTempFile(directory, prefix, ".mem");
            try
            {
                return new SharedMemoryFile(openSized(path, bytes), path, true, bytes, 0);
            }
            finally
            {
                Files.deleteIfExists(path);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create anonymous memory in " + directory, ex);
        }
    }

    /**
     * Opens or creates the named file and makes it at least {@code bytes} long (sparse). An existing longer file is
     * never truncated, because another process may have it mapped. The file stays when this is closed.
     */
    public static SharedMemoryFile open(final Path path, final long bytes)
    {
        checkBytes(bytes);
        try
        {
            return new SharedMemoryFile(openSized(path, bytes), path, false, bytes, 0);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open shared memory file " + path, ex);
        }
    }

    /**
     * Someone else's memory: {@code bytes} at {@code offset} of an existing regular file (an emulator's
     * {@code memory-backend-file}, or a memfd or hugetlbfs file reopened through {@code /proc/self/fd/N}). Never
     * created, extended or truncated here, and kept when closed: the file is its owner's.
     *
     * @throws IllegalArgumentException when it is not a regular file, {@code offset} is not page aligned, or the file
     *     is shorter than {@code offset + bytes}.
     * @throws UncheckedIOException when it cannot be opened for reading and writing.
     */
    public static SharedMemoryFile existing(final Path path, final long offset, final long bytes)
    {
        checkBytes(bytes);
        if (offset < 0 || (offset & (PAGE_SIZE - 1)) != 0)
        {
            throw new IllegalArgumentException("offset=" + offset + " of " + path + " must be a multiple of " +
                PAGE_SIZE);
        }
        if (!Files.isRegularFile(path))
        {
            throw new IllegalArgumentException(path + " is not a regular file (memory must be a file, memfd or " +
                "hugetlbfs file)");
        }
        FileChannel channel = null;
        try
        {
            channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            final long size = channel.size();
            if (bytes > size - offset)
            {
                throw new IllegalArgumentException("offset=" + offset + " bytes=" + bytes + " go beyond the " +
                    size + " bytes of " + path);
            }
            final SharedMemoryFile file = new SharedMemoryFile(channel, path, false, bytes, offset);
            channel = null;
            return file;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open " + path + " for reading and writing", ex);
        }
        finally
        {
            closeQuietly(channel);
        }
    }

    private static void closeQuietly(final FileChannel channel)
    {
        if (null != channel)
        {
            try
            {
                channel.close();
            }
            catch (final IOException ex)
            {
                // Already failing with the reason that matters.
            }
        }
    }

    private static FileChannel openSized(final Path path, final long bytes) throws IOException
    {
        try
        {
            // Owner-only from the first instant: a guest's memory is nobody else's to open, not even for a moment.
            Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        catch (final FileAlreadyExistsException ex)
        {
            // An existing file (an emulator's, or a restart) keeps the mode its owner gave it.
        }
        final RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw");
        try
        {
            if (file.length() < bytes)
            {
                file.setLength(bytes);
            }
            return file.getChannel();
        }
        catch (final IOException ex)
        {
            file.close();
            throw ex;
        }
    }

    private static void checkBytes(final long bytes)
    {
        if (bytes <= 0)
        {
            throw new IllegalArgumentException("bytes=" + bytes + " must be positive");
        }
    }

    /**
     * Maps {@code length} bytes at {@code offset} (from the start of this memory, which is {@link #offset()} into
     * the file) read-write and shared; unmap with Agrona's {@code IoUtil.unmap}.
     */
    public MappedByteBuffer map(final long offset, final long length)
    {
        if (offset < 0 || length <= 0 || length > bytes - offset)
        {
            // FileChannel.map would extend the file; someone else's file is never resized.
            throw new IllegalArgumentException("offset=" + offset + " length=" + length + " beyond bytes=" + bytes);
        }
        try
        {
            return channel.map(FileChannel.MapMode.READ_WRITE, this.offset + offset, length);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot map offset=" + offset + " length=" + length + " of " + path, ex);
        }
    }

    /** The file; for anonymous memory a name that no longer exists (the open file shows it as "(deleted)"). */
    public Path path()
    {
        return path;
    }

    public boolean isAnonymous()
    {
        return anonymous;
    }

    /** Where this memory starts in the file: 0 except for {@link #existing}. */
    public long offset()
    {
        return offset;
    }

    /**
     * False once the file is shorter than the range mapped from it (someone truncated it under the mapping: an
     * access beyond the new end faults). One {@code fstat}: for diagnosing a fault, not for the hot path.
     */
    public boolean intact()
    {
        try
        {
            return channel.size() >= offset + bytes;
        }
        catch (final IOException ex)
        {
            return true; // closed here: no evidence that the file shrank
        }
    }

    /** Size this file was opened for. */
    public long bytes()
    {
        return bytes;
    }

    /** Closes the file descriptor; mappings made earlier stay valid until unmapped. Idempotent. */
    @Override
    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot close " + path, ex);
        }
    }

    @Override
    public String toString()
    {
        return "SharedMemoryFile{path=" + path + ", anonymous=" + anonymous + ", offset=" + offset + ", bytes=" +
            bytes + '}';
    }
}
