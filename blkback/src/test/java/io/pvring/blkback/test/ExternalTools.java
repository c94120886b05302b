package io.pvring.blkback.test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.pvring.testing.RequiredTools;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs the real tools interop tests need; a missing one is answered by {@link RequiredTools}.
 */
public final class ExternalTools
{
    private ExternalTools()
    {
    }

    /** Fails or skips unless {@code tool} is on the PATH (see {@link RequiredTools}). */
    public static void require(final String tool, final String debianPackage)
    {
        RequiredTools.requireExecutable(tool, debianPackage);
    }

    public static boolean findOnPath(final String tool)
    {
        return RequiredTools.findOnPath(tool) != null;
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
