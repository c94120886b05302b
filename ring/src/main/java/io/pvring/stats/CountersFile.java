package io.pvring.stats;

import java.io.File;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;

import org.agrona.IoUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.ConcurrentCountersManager;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import static io.pvring.stats.CountersFileDescriptor.HEADER_LENGTH;
import static io.pvring.stats.CountersFileDescriptor.HEARTBEAT_MS_OFFSET;
import static io.pvring.stats.CountersFileDescriptor.MAGIC;
import static io.pvring.stats.CountersFileDescriptor.MAGIC_OFFSET;
import static io.pvring.stats.CountersFileDescriptor.METADATA_LENGTH_OFFSET;
import static io.pvring.stats.CountersFileDescriptor.PID_OFFSET;
import static io.pvring.stats.CountersFileDescriptor.SLOT_COUNT_OFFSET;
import static io.pvring.stats.CountersFileDescriptor.SLOT_LENGTH_OFFSET;
import static io.pvring.stats.CountersFileDescriptor.START_MS_OFFSET;
import static io.pvring.stats.CountersFileDescriptor.VALUES_LENGTH_OFFSET;
import static io.pvring.stats.CountersFileDescriptor.VERSION;
import static io.pvring.stats.CountersFileDescriptor.VERSION_OFFSET;

/**
 * A counters file ({@link CountersFileDescriptor}) mapped into memory: the owner allocates counters through
 * {@link #manager()} (any thread: allocation takes a lock, counting never does) and any process maps the same file
 * with {@link #openReader(Path)} to watch them live.
 */
public final class CountersFile implements AutoCloseable
{
    private final Path path;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer header;
    private final CountersReader reader;
    private final CountersManager manager;
    private final AtomicBuffer slots;
    private final int slotCount;
    private boolean closed;

    private CountersFile(final Path path, final MappedByteBuffer mapped, final boolean owner)
    {
        this.path = path;
        this.mapped = mapped;
        if (mapped.capacity() < HEADER_LENGTH)
        {
            IoUtil.unmap(mapped);
            throw new IllegalStateException("not a counters file: " + path + " is " + mapped.capacity() + " bytes");
        }
        this.header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        final int magic = header.getIntVolatile(MAGIC_OFFSET); // lengths after the magic (see create)
        if (!owner && magic != MAGIC)
        {
            IoUtil.unmap(mapped);
            throw new IllegalStateException("not a counters file: " + path + " magic=0x" +
                Integer.toHexString(magic));
        }
        final int metadataLength = header.getInt(METADATA_LENGTH_OFFSET);
        final int valuesLength = header.getInt(VALUES_LENGTH_OFFSET);
        final int count = header.getInt(SLOT_COUNT_OFFSET);
        final int slotLength = header.getInt(SLOT_LENGTH_OFFSET);
        final int version = header.getInt(VERSION_OFFSET);
        if (version != VERSION || metadataLength < 0 || valuesLength < 0 || count < 0 ||
            slotLength != DeviceSlotDescriptor.SLOT_LENGTH ||
            CountersFileDescriptor.slotsOffset(metadataLength, valuesLength) + (long)count * slotLength >
            mapped.capacity())
        {
            IoUtil.unmap(mapped); // nothing reads the mapping after this
            throw new IllegalStateException("bad counters file header: " + path + " version=" +
                version + " (want " + VERSION + ") metadataLength=" + metadataLength +
                " valuesLength=" + valuesLength + " slots=" + count + "x" + slotLength + " size=" + mapped.capacity());
        }
        final UnsafeBuffer metadata = new UnsafeBuffer(mapped, HEADER_LENGTH, metadataLength);
        final UnsafeBuffer values = new UnsafeBuffer(mapped, HEADER_LENGTH + metadataLength, valuesLength);
        this.manager = owner ? new ConcurrentCountersManager(metadata, values) : null;
        this.reader = owner ? manager : new CountersReader(metadata, values);
        this.slotCount = count;
        this.slots = new UnsafeBuffer(mapped, (int)CountersFileDescriptor.slotsOffset(metadataLength, valuesLength),
            count * slotLength);
    }

    /** Creates (or replaces) {@code path} with room for {@code counters} counters and {@code slots} device slots. */
    public static CountersFile create(final Path path, final int counters, final int slots)
    {
        final long length = CountersFileDescriptor.fileLength(counters, slots);
        if (length > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("counters file too large: counters=" + counters + " slots=" + slots);
        }
        final File file = path.toFile();
        IoUtil.deleteIfExists(file);
        final MappedByteBuffer mapped = IoUtil.mapNewFile(file, length);
        final UnsafeBuffer header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        header.putInt(VERSION_OFFSET, VERSION);
        header.putInt(METADATA_LENGTH_OFFSET, CountersFileDescriptor.metadataLength(counters));
        header.putInt(VALUES_LENGTH_OFFSET, CountersFileDescriptor.valuesLength(counters));
        header.putInt(SLOT_COUNT_OFFSET, slots);
        header.putInt(SLOT_LENGTH_OFFSET, DeviceSlotDescriptor.SLOT_LENGTH);
        header.putLong(PID_OFFSET, ProcessHandle.current().pid());
        header.putLong(START_MS_OFFSET, System.currentTimeMillis());
        header.putLong(HEARTBEAT_MS_OFFSET, System.currentTimeMillis());
        header.putIntRelease(MAGIC_OFFSET, MAGIC); // lengths visible before the magic
        return new CountersFile(path, mapped, true);
    }

    /** Maps an existing counters file, for a monitoring process. */
    public static CountersFile openReader(final Path path)
    {
        return new CountersFile(path, IoUtil.mapExistingFile(path.toFile(), "counters file"), false);
    }

    public Path path()
    {
        return path;
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

    /** The device slots region ({@link DeviceSlotDescriptor} records of {@code SLOT_LENGTH} bytes). */
    public AtomicBuffer slots()
    {
        return slots;
    }

    public int slotCount()
    {
        return slotCount;
    }

    /** Offset of slot {@code slot} in {@link #slots()}. */
    public static int slotOffset(final int slot)
    {
        return slot * DeviceSlotDescriptor.SLOT_LENGTH;
    }

    /** The process that created the file. */
    public long ownerPid()
    {
        return header.getLong(PID_OFFSET);
    }

    public long startMillis()
    {
        return header.getLong(START_MS_OFFSET);
    }

    /** When the owner last said it was alive (wall clock, ms). */
    public long heartbeatMillis()
    {
        return header.getLongVolatile(HEARTBEAT_MS_OFFSET);
    }

    /** The owner: refreshes the heartbeat. */
    public void heartbeat(final long epochMillis)
    {
        header.putLongRelease(HEARTBEAT_MS_OFFSET, epochMillis);
    }

    /** Whether the process that created the file still runs (on this host: pids are per host). */
    public boolean ownerAlive()
    {
        return ProcessHandle.of(ownerPid()).map(ProcessHandle::isAlive).orElse(false);
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
