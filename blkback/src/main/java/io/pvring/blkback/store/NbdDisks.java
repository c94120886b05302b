package io.pvring.blkback.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

import io.pvring.nbd.NbdClientConfig;
import io.pvring.nbd.NbdUri;
import io.pvring.nbd.QemuNbdConfig;
import io.pvring.nbd.QemuNbdServer;

/**
 * Opens the {@link DiskSpec} kinds served over NBD for {@link DiskStores}: an NBD URI as it is, and an image
 * ({@code qcow2:PATH[,format=FMT]}) through a private {@code qemu-nbd} that the store stops when it closes. The format
 * is always given to qemu-nbd ({@link DiskSpec#format()}), never probed: a guest writes these images, and probing
 * lets an image's content choose its format (and with it files on the host).
 */
final class NbdDisks
{
    static final String AVAILABLE = "qcow2:PATH (through qemu-nbd; format=qcow2|raw|vmdk|..., " +
        "cache=none|writeback|writethrough, " +
        "aio=threads|io_uring), nbd://HOST[:PORT]/EXPORT, nbd+unix:///EXPORT?socket=PATH";

    /** NBD requests in flight per disk (the client's table); ios beyond wait for a free one. */
    static final int MAX_NBD_REQUESTS = 256;

    private NbdDisks()
    {
    }

    /**
     * @throws UncheckedIOException naming the image or server when it cannot be served.
     */
    static NbdBlockStore open(final DiskSpec spec, final int sectorSize, final boolean readOnly)
    {
        final NbdClientConfig client = new NbdClientConfig().maxInFlight(MAX_NBD_REQUESTS);
        try
        {
            if (spec.kind() == DiskSpec.Kind.NBD)
            {
                return NbdBlockStore.open(NbdUri.parse(spec.target()), client, null, sectorSize, readOnly, false,
                    NbdBlockStore.DEFAULT_MAX_IOS);
            }
            final QemuNbdServer server = start(spec, qemuNbd(spec, readOnly));
            // Writethrough as FUA on every write: qemu-nbd keeps its cache and makes each write durable alone.
            return NbdBlockStore.open(server.uri(), client, server, sectorSize, readOnly,
                spec.cache() == DiskSpec.CacheMode.WRITETHROUGH, NbdBlockStore.DEFAULT_MAX_IOS);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open disk '" + spec.describe() + "': " + ex.getMessage(), ex);
        }
    }

    /**
     * Starts qemu-nbd for an image disk.
     *
     * @throws IOException naming the image, and for a format mismatch the {@code format=} that would serve it.
     */
    static QemuNbdServer start(final DiskSpec spec, final QemuNbdConfig config) throws IOException
    {
        try
        {
            return QemuNbdServer.start(Path.of(spec.target()), config);
        }
        catch (final IOException ex)
        {
            // qemu says "Image is not in qcow2 format" for a raw file: say how to serve it.
            throw ex.getMessage() != null && ex.getMessage().contains("not in " + config.format() + " format") ?
                new IOException(ex.getMessage() + " (another format? add ,format=NAME as qemu-img info names it, " +
                    "e.g. " + spec.kind().token() + ":" + spec.target() + ",format=raw)", ex) : ex;
        }
    }

    static QemuNbdConfig qemuNbd(final DiskSpec spec, final boolean readOnly)
    {
        return new QemuNbdConfig()
            .format(spec.format())
            .readOnly(readOnly)
            .cache(spec.cache() == DiskSpec.CacheMode.NONE ? "none" : "writeback")
            .aio(spec.aio() == DiskSpec.AioMode.IO_URING ? "io_uring" : "threads");
    }
}
