package io.pvring.netback.stats;

import java.io.File;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import static io.pvring.netback.stats.CountersFileDescriptor.HEADER_LENGTH;
import static io.pvring.netback.stats.CountersFileDescriptor.MAGIC;
import static io.pvring.netback.stats.CountersFileDescriptor.MAGIC_OFFSET;
import static io.pvring.netback.stats.CountersFileDescriptor.METADATA_LENGTH_OFFSET;
import static io.pvring.netback.stats.CountersFileDescriptor.VALUES_LENGTH_OFFSET;
import static io.pvring.netback.stats.CountersFileDescriptor.VERSION;
import static io.pvring.netback.stats.CountersFileDescriptor.VERSION_OFFSET;

/**
 * An Agrona counters buffer in a memory-mapped file ({@link CountersFileDescriptor}): the owner allocates counters
 * through {@link #manager()} (one thread, e.g. xenbus, allocates and frees; agents update values), and any process
 * maps the same file with {@link #openReader(Path)} to watch them live.
 */
public final class CountersFile implements AutoCloseable
{
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer header;
    private final CountersReader reader;
    private final CountersManager manager;
    private boolean closed;

    private CountersFile(final MappedByteBuffer mapped, final boolean owner)
    {
        this.mapped = mapped;
        this.header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        final int magic = header.getIntVolatile(MAGIC_OFFSET);
        if (!owner && magic != MAGIC)
        {
            IoUtil.unmap(mapped);
            throw new IllegalStateException("not a counters file: magic=0x" + Integer.toHexString(magic));
        }
        final int metadataLength = header.getInt(METADATA_LENGTH_OFFSET);
        final int valuesLength = header.getInt(VALUES_LENGTH_OFFSET);
        if (header.getInt(VERSION_OFFSET) != VERSION || metadataLength < 0 || valuesLength < 0 ||
            (long)HEADER_LENGTH + metadataLength + valuesLength > mapped.capacity())
        {
            IoUtil.unmap(mapped);
            throw new IllegalStateException("bad counters file header: version=" + header.getInt(VERSION_OFFSET) +
                " metadataLength=" + metadataLength + " valuesLength=" + valuesLength + " size=" + mapped.capacity());
        }
        final UnsafeBuffer metadata = new UnsafeBuffer(mapped, HEADER_LENGTH, metadataLength);
        final UnsafeBuffer values = new UnsafeBuffer(mapped, HEADER_LENGTH + metadataLength, valuesLength);
        this.manager = owner ? new CountersManager(metadata, values) : null;
        this.reader = owner ? manager : new CountersReader(metadata, values);
    }

    /** Creates (or replaces) {@code path} with room for {@code counters} counters. */
    public static CountersFile create(final Path path, final int counters)
    {
        final int metadataLength = CountersFileDescriptor.metadataLength(counters);
        final int valuesLength = CountersFileDescriptor.valuesLength(counters);
        final File file = path.toFile();
        IoUtil.deleteIfExists(file);
        final MappedByteBuffer mapped = IoUtil.mapNewFile(file, CountersFileDescriptor.fileLength(counters));
        final UnsafeBuffer header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        header.putInt(VERSION_OFFSET, VERSION);
        header.putInt(METADATA_LENGTH_OFFSET, metadataLength);
        header.putInt(VALUES_LENGTH_OFFSET, valuesLength);
        header.putIntRelease(MAGIC_OFFSET, MAGIC); // lengths visible before the magic
        return new CountersFile(mapped, true);
    }

    /** Maps an existing counters file read-mostly, for a monitoring process. */
    public static CountersFile openReader(final Path path)
    {
        return new CountersFile(IoUtil.mapExistingFile(path.toFile(), "counters file"), false);
    }

    /** Allocates and frees counters; null for a file opened with {@link #openReader(Path)}. */
    public CountersManager manager()
    {
        return manager;
    }

    public CountersReader reader()
    {
        return reader;
    }

    /** Unmaps the file (it stays on disk for post-mortem reading). Close the counters' users first. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            IoUtil.unmap(mapped);
        }
    }
}
