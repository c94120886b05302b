package io.pvring.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The one answer every module's tests give when a real tool they need (gcc, Xen's headers, xenstore-utils,
 * qemu-img, nbdkit, tshark, ip, io_uring...) is missing: the test fails, naming the Debian package to install, as
 * {@code run-tests} installs them all. Locally, {@code PVRING_ALLOW_SKIP=1} turns that failure into a skip with
 * the same message; {@code PVRING_REQUIRE_TOOLS=1} (CI) never skips, whatever else is set.
 */
public final class RequiredTools
{
    /** Set to 1 (CI) so that a missing tool always fails. */
    public static final String REQUIRE_ENV = "PVRING_REQUIRE_TOOLS";
    /** Set to 1 locally so that a missing tool skips the test with a message instead of failing it. */
    public static final String ALLOW_SKIP_ENV = "PVRING_ALLOW_SKIP";

    private RequiredTools()
    {
    }

    /** True unless this run may skip tests whose tools are missing ({@code PVRING_ALLOW_SKIP=1} without CI's flag). */
    public static boolean required()
    {
        return "1".equals(System.getenv(REQUIRE_ENV)) || !"1".equals(System.getenv(ALLOW_SKIP_ENV));
    }

    /** A tool is missing: fails the calling test, or skips it where skipping is allowed. */
    public static void unavailable(final String message)
    {
        if (required())
        {
            Assertions.fail(message + " (run ./run-tests, which installs every tool, or set " + ALLOW_SKIP_ENV
                + "=1 to skip such tests locally)");
        }
        Assumptions.abort(message + " (skipped: " + ALLOW_SKIP_ENV + "=1)");
    }

    /** Fails or skips unless {@code condition} holds; {@code message} says what is missing and how to get it. */
    public static void require(final boolean condition, final String message)
    {
        if (!condition)
        {
            unavailable(message);
        }
    }

    /** The absolute path of {@code executable} on PATH; fails or skips naming {@code debianPackage} otherwise. */
    public static String requireExecutable(final String executable, final String debianPackage)
    {
        final Path found = findOnPath(executable);
        if (found == null)
        {
            unavailable(executable + " not found on PATH: apt-get install " + debianPackage);
            return executable;
        }
        return found.toString();
    }

    /** Fails or skips unless {@code file} exists, naming {@code debianPackage}. */
    public static void requireFile(final Path file, final String debianPackage)
    {
        require(Files.exists(file), file + " not found: apt-get install " + debianPackage);
    }

    /** Fails or skips unless the tests run as root (network namespaces, chown). */
    public static void requireRoot()
    {
        require("root".equals(System.getProperty("user.name")), "needs root (network namespaces, file owners)");
    }

    /** {@code executable} on PATH, or null. */
    public static Path findOnPath(final String executable)
    {
        final String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (final String dir : path.split(File.pathSeparator))
        {
            final Path candidate = Path.of(dir, executable);
            if (Files.isExecutable(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
