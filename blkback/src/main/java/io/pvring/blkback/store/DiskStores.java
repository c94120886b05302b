package io.pvring.blkback.store;

import java.nio.file.Path;

import io.pvring.aio.CacheMode;

/**
 * Opens the store a {@link DiskSpec} names, or says clearly why this build cannot. The one place a new store kind
 * or engine plugs in: add its case here (and nothing else needs to know).
 */
public final class DiskStores
{
    /** What {@link #open} can open today, for messages. */
    public static final String AVAILABLE = "file:PATH (cache=none|writeback|writethrough, aio=threads|io_uring), " +
        "memory:SIZE, null:SIZE, " + NbdDisks.AVAILABLE;

    /** How long a ring's file engine waits for its I/O in flight when the ring closes. */
    public static final long FILE_CLOSE_TIMEOUT_MS = new io.pvring.aio.AioConfig().closeTimeoutMillis();

    private DiskStores()
    {
    }

    /**
     * Checks, without opening anything, that this build can serve {@code spec}.
     *
     * @throws IllegalArgumentException naming what is not available and what is.
     */
    public static DiskSpec checkAvailable(final DiskSpec spec)
    {
        switch (spec.kind())
        {
            case MEMORY:
            case NULL:
            case FILE:
            case QCOW2:
            case NBD:
                return spec;
            default:
                throw unavailable(spec, spec.kind().token() + " disks need the NBD store");
        }
    }

    /**
     * Opens {@code spec}'s store with {@code sectorSize}-byte logical sectors.
     *
     * @param readOnly open a file read-only (a memory disk refuses writes too).
     * @throws IllegalArgumentException when this build cannot serve it ({@link #checkAvailable}).
     * @throws java.io.UncheckedIOException when the image cannot be opened.
     */
    public static BlockStore open(final DiskSpec spec, final int sectorSize, final boolean readOnly)
    {
        checkAvailable(spec);
        switch (spec.kind())
        {
            case MEMORY:
                return new MemoryBlockStore(spec.sizeBytes(), sectorSize, readOnly);
            case NULL:
                return new NullBlockStore(spec.sizeBytes(), sectorSize);
            case FILE:
                return FileBlockStore.open(Path.of(spec.target()), CacheMode.parse(DiskSpec.token(spec.cache())),
                    DiskSpec.token(spec.aio()), sectorSize, readOnly, FILE_CLOSE_TIMEOUT_MS);
            case QCOW2:
            case NBD:
                return NbdDisks.open(spec, sectorSize, readOnly);
            default:
                throw unavailable(spec, spec.kind().token());
        }
    }

    private static IllegalArgumentException unavailable(final DiskSpec spec, final String why)
    {
        return new IllegalArgumentException("'" + spec.describe() + "' is not available in this build (" + why +
            "); available: " + AVAILABLE);
    }
}
