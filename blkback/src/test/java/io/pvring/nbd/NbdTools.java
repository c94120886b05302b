package io.pvring.nbd;

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
 * Real tools for the NBD interop tests; a missing one is answered by {@link RequiredTools}.
 */
final class NbdTools
{
    private NbdTools()
    {
    }

    static void require(final String tool, final String debianPackage)
    {
        RequiredTools.requireExecutable(tool, debianPackage);
    }

    /** Runs a command to completion (bounded); returns its exit status and output. */
    static Result run(final List<String> command) throws IOException, InterruptedException
    {
        final Path out = Files.createTempFile("pvring-nbd-tool", ".out");
        try
        {
            final Process process = new ProcessBuilder(new ArrayList<>(command))
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
            if (!process.waitFor(60, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                fail("timed out after 60 s: " + command);
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        }
        finally
        {
            Files.deleteIfExists(out);
        }
    }

    /** Runs a command that must succeed; returns its output. */
    static String runOk(final List<String> command) throws IOException, InterruptedException
    {
        final Result result = run(command);
        if (result.exit() != 0)
        {
            fail("exit=" + result.exit() + " from " + command + ":\n" + result.output());
        }
        return result.output();
    }

    record Result(int exit, String output)
    {
    }
}
