package io.pvring.blkback.test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs the real tools interop tests need. A missing tool fails the test when {@code PVRING_REQUIRE_TOOLS=1} (CI)
 * and skips it otherwise, naming the Debian package to install.
 */
public final class ExternalTools
{
    private ExternalTools()
    {
    }

    public static void require(final String tool, final String debianPackage)
    {
        final boolean present = findOnPath(tool);
        if ("1".equals(System.getenv("PVRING_REQUIRE_TOOLS")))
        {
            assertTrue(present, tool + " not found on PATH: apt-get install " + debianPackage);
        }
        else
        {
            assumeTrue(present, tool + " not found on PATH: apt-get install " + debianPackage + " to run this test");
        }
    }

    public static boolean findOnPath(final String tool)
    {
        final String path = System.getenv("PATH");
        if (path == null)
        {
            return false;
        }
        for (final String dir : path.split(":"))
        {
            if (Files.isExecutable(Path.of(dir, tool)))
            {
                return true;
            }
        }
        return false;
    }

    /** Runs a command to completion (bounded), failing the test on a non-zero exit; returns its stdout. */
    public static String run(final List<String> command) throws IOException, InterruptedException
    {
        final Path out = Files.createTempFile("pvring-tool", ".out");
        try
        {
            final Process process = new ProcessBuilder(new ArrayList<>(command))
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
            if (!process.waitFor(60, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                fail("timed out: " + command);
            }
            final String output = Files.readString(out, StandardCharsets.UTF_8);
            if (process.exitValue() != 0)
            {
                fail("exit=" + process.exitValue() + " from " + command + ":\n" + output);
            }
            return output;
        }
        finally
        {
            Files.deleteIfExists(out);
        }
    }
}
