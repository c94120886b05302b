package io.pvring.uring;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import io.netty.channel.uring.IoUring;

/**
 * Whether this process can use io_uring, and if not, why, in words an operator can act on: the kernel switch
 * ({@code kernel.io_uring_disabled}), the native library, or the ring setup itself (which fails with {@code
 * ENOMEM} when {@code RLIMIT_MEMLOCK} is too small on kernels that charge rings to it, before 5.12).
 */
public final class IoUringSupport
{
    private static final Path DISABLED_SWITCH = Path.of("/proc/sys/kernel/io_uring_disabled");

    private IoUringSupport()
    {
    }

    /** Null when io_uring works here, otherwise the reason it does not. */
    public static String unavailableReason()
    {
        final String os = System.getProperty("os.name", "");
        if (!os.toLowerCase(java.util.Locale.ROOT).contains("linux"))
        {
            return "io_uring is Linux only (os.name=" + os + ")";
        }
        final String switchReason = kernelSwitchReason();
        if (switchReason != null)
        {
            return switchReason;
        }
        try
        {
            if (IoUring.isAvailable())
            {
                return null;
            }
            final Throwable cause = IoUring.unavailabilityCause();
            final String message = String.valueOf(cause);
            if (message.contains("Cannot allocate memory") || message.contains("ENOMEM"))
            {
                return "io_uring ring setup failed with ENOMEM: raise RLIMIT_MEMLOCK (ulimit -l), " + message;
            }
            return "Netty io_uring unavailable: " + message;
        }
        catch (final LinkageError ex)
        {
            return "Netty io_uring classes or native library missing: " + ex;
        }
    }

    private static String kernelSwitchReason()
    {
        if (!Files.exists(DISABLED_SWITCH))
        {
            return null;
        }
        try
        {
            final String value = Files.readString(DISABLED_SWITCH, StandardCharsets.US_ASCII).trim();
            if ("2".equals(value))
            {
                return "io_uring disabled by the kernel (kernel.io_uring_disabled=2)";
            }
            if ("1".equals(value) && !IoUringAvailability.probe())
            {
                return "io_uring restricted by the kernel (kernel.io_uring_disabled=1): only members of group " +
                    "kernel.io_uring_group may create rings";
            }
            return null;
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    /** Defers touching Netty until the kernel switch has been read. */
    private static final class IoUringAvailability
    {
        static boolean probe()
        {
            try
            {
                return IoUring.isAvailable();
            }
            catch (final LinkageError ex)
            {
                return false;
            }
        }
    }
}
