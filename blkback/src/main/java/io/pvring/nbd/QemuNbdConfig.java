package io.pvring.nbd;

import java.nio.file.Path;
import java.util.Set;

/**
 * How {@link QemuNbdServer} runs {@code qemu-nbd}, validated by {@link #validate()} before it starts. Fluent
 * setters; the defaults suit a disk image served to one blkback device.
 */
public final class QemuNbdConfig
{
    private static final Set<String> CACHE_MODES = Set.of("none", "writeback", "writethrough", "directsync", "unsafe");
    private static final Set<String> AIO_MODES = Set.of("threads", "native", "io_uring");
    private static final Set<String> DISCARD_MODES = Set.of("ignore", "unmap");

    private String format;
    private boolean readOnly;
    private String cache = "writeback";
    private String aio = "threads";
    private String discard = "unmap";
    private int sharedConnections = 1;
    private boolean persistent;
    private String exportName = "disk";
    private Path runtimeDirectory = Path.of(System.getProperty("java.io.tmpdir"));
    private String qemuNbd = "qemu-nbd";
    private String qemuImg = "qemu-img";
    private long startTimeoutMs = 10_000;
    private long stopTimeoutMs = 5_000;

    /**
     * The image format ({@code qcow2}, {@code raw}, {@code vmdk}, {@code vhdx}...); null (the default) asks
     * {@code qemu-img info}. Give it for images a guest could have written: probing a raw image whose content looks
     * like another format lets that content choose files on the host (a backing file).
     */
    public QemuNbdConfig format(final String value)
    {
        format = value;
        return this;
    }

    public String format()
    {
        return format;
    }

    public QemuNbdConfig readOnly(final boolean value)
    {
        readOnly = value;
        return this;
    }

    public boolean readOnly()
    {
        return readOnly;
    }

    /** qemu's cache mode: {@code writeback} (default: page cache, flushes honoured), {@code none} (O_DIRECT)... */
    public QemuNbdConfig cache(final String value)
    {
        cache = value;
        return this;
    }

    public String cache()
    {
        return cache;
    }

    /** {@code threads} (default, works everywhere), {@code native} (needs {@code cache=none}), {@code io_uring}. */
    public QemuNbdConfig aio(final String value)
    {
        aio = value;
        return this;
    }

    public String aio()
    {
        return aio;
    }

    /** {@code unmap} (default: TRIM frees space in the image) or {@code ignore}. */
    public QemuNbdConfig discard(final String value)
    {
        discard = value;
        return this;
    }

    public String discard()
    {
        return discard;
    }

    /** Connections served at once ({@code --shared}); qemu-nbd exits when the last one closes. */
    public QemuNbdConfig sharedConnections(final int value)
    {
        sharedConnections = value;
        return this;
    }

    public int sharedConnections()
    {
        return sharedConnections;
    }

    /**
     * Keep serving after the last client disconnects ({@code --persistent}; default false: qemu-nbd exits with its
     * one client). For clients that connect more than once, as fio's nbd engine does (a connection to read the
     * size, then one per job); the owner's {@link QemuNbdServer#close()} stops it.
     */
    public QemuNbdConfig persistent(final boolean value)
    {
        persistent = value;
        return this;
    }

    public boolean persistent()
    {
        return persistent;
    }

    public QemuNbdConfig exportName(final String value)
    {
        exportName = value;
        return this;
    }

    public String exportName()
    {
        return exportName;
    }

    /** Where the private socket directory is made (the socket path must stay under 108 bytes). */
    public QemuNbdConfig runtimeDirectory(final Path value)
    {
        runtimeDirectory = value;
        return this;
    }

    public Path runtimeDirectory()
    {
        return runtimeDirectory;
    }

    public QemuNbdConfig qemuNbd(final String value)
    {
        qemuNbd = value;
        return this;
    }

    public String qemuNbd()
    {
        return qemuNbd;
    }

    public QemuNbdConfig qemuImg(final String value)
    {
        qemuImg = value;
        return this;
    }

    public String qemuImg()
    {
        return qemuImg;
    }

    /** Bound on qemu-img's probe and on qemu-nbd's becoming ready. */
    public QemuNbdConfig startTimeoutMs(final long value)
    {
        startTimeoutMs = value;
        return this;
    }

    public long startTimeoutMs()
    {
        return startTimeoutMs;
    }

    /** Bound on each of SIGTERM and SIGKILL when stopping. */
    public QemuNbdConfig stopTimeoutMs(final long value)
    {
        stopTimeoutMs = value;
        return this;
    }

    public long stopTimeoutMs()
    {
        return stopTimeoutMs;
    }

    /** @throws IllegalArgumentException naming the first bad setting. */
    public QemuNbdConfig validate()
    {
        if (format != null && !format.matches("[a-z0-9_-]+"))
        {
            throw new IllegalArgumentException("format=" + format + " is not a qemu format name");
        }
        if (!CACHE_MODES.contains(cache))
        {
            throw new IllegalArgumentException("cache=" + cache + " not one of " + CACHE_MODES);
        }
        if (!AIO_MODES.contains(aio))
        {
            throw new IllegalArgumentException("aio=" + aio + " not one of " + AIO_MODES);
        }
        if ("native".equals(aio) && !("none".equals(cache) || "directsync".equals(cache)))
        {
            throw new IllegalArgumentException("aio=native needs cache=none or directsync (O_DIRECT), not " + cache);
        }
        if (!DISCARD_MODES.contains(discard))
        {
            throw new IllegalArgumentException("discard=" + discard + " not one of " + DISCARD_MODES);
        }
        if (sharedConnections < 1)
        {
            throw new IllegalArgumentException("sharedConnections=" + sharedConnections + " must be >= 1");
        }
        if (exportName == null || exportName.length() > 4096)
        {
            throw new IllegalArgumentException("exportName=" + exportName + " must be 0..4096 characters");
        }
        if (startTimeoutMs < 1 || stopTimeoutMs < 1)
        {
            throw new IllegalArgumentException("startTimeoutMs=" + startTimeoutMs + " stopTimeoutMs=" +
                stopTimeoutMs + " must be positive");
        }
        return this;
    }
}
