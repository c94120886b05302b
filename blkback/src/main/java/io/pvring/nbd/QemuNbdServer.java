package io.pvring.nbd;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A disk image in any format qemu reads (qcow2, vmdk, vhdx, raw...) served over NBD by a {@code qemu-nbd} child
 * process on a private Unix socket, for {@link NbdClient}. {@link #start} probes the format with
 * {@code qemu-img info} unless it is given, starts qemu-nbd (never {@code --fork}; without
 * {@link QemuNbdConfig#persistent} it exits when its last client disconnects) and returns once it listens;
 * {@link #close()} stops it (SIGTERM, then SIGKILL after a bound) and removes the directory.
 * {@link NbdServerProcess} keeps it from outliving the JVM.
 */
public final class QemuNbdServer implements AutoCloseable
{
    /** sun_path is 108 bytes including the terminating NUL. */
    private static final int MAX_SOCKET_PATH = 107;

    private final NbdServerProcess process;
    private final NbdUri uri;
    private final String format;
    private final Path image;

    private QemuNbdServer(final NbdServerProcess process, final NbdUri uri, final String format, final Path image)
    {
        this.process = process;
        this.uri = uri;
        this.format = format;
        this.image = image;
    }

    /**
     * Serves {@code image}.
     *
     * @throws IOException naming the image: unreadable or unknown format (qemu-img's message), or qemu-nbd exited
     *                     or did not listen in time (with its stderr).
     */
    public static QemuNbdServer start(final Path image, final QemuNbdConfig config) throws IOException
    {
        config.validate();
        if (!Files.exists(image))
        {
            throw new IOException("disk image " + image + " does not exist");
        }
        final Path directory = NbdServerProcess.privateDirectory(config.runtimeDirectory(), "pvring-qemu-nbd-");
        boolean started = false;
        try
        {
            final Path socket = directory.resolve("nbd.sock");
            if (socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH)
            {
                throw new IOException("socket path " + socket + " longer than " + MAX_SOCKET_PATH +
                    " bytes: choose a shorter runtime directory");
            }
            final Path pidFile = directory.resolve("qemu-nbd.pid");
            final String format = config.format() != null ? config.format() :
                QemuImageInfo.probe(config.qemuImg(), image, directory, config.startTimeoutMs()).format();
            final List<String> command = new ArrayList<>(List.of(
                config.qemuNbd(),
                "--socket=" + socket,
                "--pid-file=" + pidFile,
                "--format=" + format,
                "--export-name=" + config.exportName(),
                "--cache=" + config.cache(),
                "--aio=" + config.aio(),
                "--discard=" + config.discard(),
                "--shared=" + config.sharedConnections()));
            if (config.persistent())
            {
                command.add("--persistent");
            }
            if (config.readOnly())
            {
                command.add("--read-only");
            }
            command.add(image.toAbsolutePath().toString());
            final NbdServerProcess process;
            try
            {
                process = NbdServerProcess.start("qemu-nbd", command, directory, pidFile,
                    config.startTimeoutMs(), config.stopTimeoutMs());
            }
            catch (final IOException ex)
            {
                throw new IOException("qemu-nbd for " + image + " (format " + format + "): " + ex.getMessage(), ex);
            }
            started = true;
            return new QemuNbdServer(process, NbdUri.unix(socket.toString(), config.exportName()), format, image);
        }
        finally
        {
            if (!started)
            {
                deleteQuietly(directory);
            }
        }
    }

    private static void deleteQuietly(final Path directory)
    {
        try (var paths = Files.list(directory))
        {
            for (final Path path : (Iterable<Path>)paths::iterator)
            {
                Files.deleteIfExists(path);
            }
            Files.deleteIfExists(directory);
        }
        catch (final IOException ex)
        {
            // Only the start's own error matters to the caller; a leftover empty directory in tmp harms nothing.
            return;
        }
    }

    /** Where to connect: {@code nbd+unix:///EXPORT?socket=PATH}. */
    public NbdUri uri()
    {
        return uri;
    }

    /** The format qemu-nbd serves (given or probed). */
    public String format()
    {
        return format;
    }

    public Path image()
    {
        return image;
    }

    public long pid()
    {
        return process.pid();
    }

    public boolean isAlive()
    {
        return process.isAlive();
    }

    /** qemu-nbd's recent output, for diagnostics. */
    public String logTail()
    {
        return process.logTail();
    }

    /** SIGKILL, as if qemu-nbd crashed (tests of a server dying mid-I/O). */
    public void kill()
    {
        process.kill();
    }

    @Override
    public void close()
    {
        process.close();
    }

    @Override
    public String toString()
    {
        return "qemu-nbd[" + format + " " + image + " at " + uri + ", " + process + "]";
    }
}
