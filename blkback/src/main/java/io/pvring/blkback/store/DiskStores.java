package io.pvring.blkback.store;

import java.io.IOException;
import java.nio.file.Path;

import io.pvring.aio.CacheMode;
import io.pvring.nbd.QemuNbdServer;

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
                    DiskSpec.token(spec.aio()), spec.aioMaxBatch(), sectorSize, readOnly, FILE_CLOSE_TIMEOUT_MS);
            case QCOW2:
            case NBD:
                return NbdDisks.open(spec, sectorSize, readOnly);
            default:
                throw unavailable(spec, spec.kind().token());
        }
    }

    /**
     * Starts the qemu-nbd an image disk ({@link DiskSpec.Kind#QCOW2}) is served by, exactly as {@link #open} does,
     * but for other clients (fio's nbd engine beside pvring in the bench): it serves {@code connections} clients
     * at once and keeps serving when one disconnects ({@code --persistent}), until it is closed.
     *
     * @throws IllegalArgumentException when {@code spec} is not an image disk.
     * @throws IOException naming the image when qemu-nbd cannot serve it.
     */
    public static QemuNbdServer serveImage(
        final DiskSpec spec, final boolean readOnly, final int connections) throws IOException
    {
        if (spec.kind() != DiskSpec.Kind.QCOW2)
        {
            throw new IllegalArgumentException("'" + spec.describe() + "' is not an image served by qemu-nbd");
        }
        return NbdDisks.start(spec, NbdDisks.qemuNbd(spec, readOnly).sharedConnections(connections).persistent(true));
    }

    private static IllegalArgumentException unavailable(final DiskSpec spec, final String why)
    {
        return new IllegalArgumentException("'" + spec.describe() + "' is not available in this build (" + why +
            "); available: " + AVAILABLE);
    }
}
