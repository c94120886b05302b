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

    /** What a command printed (stdout and stderr together) and how it exited. */
    public record Result(int exit, String output)
    {
    }

    /** Runs a command to completion (bounded by 60 s, a failure past it); returns its exit status and output. */
    public static Result runForResult(final List<String> command) throws IOException, InterruptedException
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
                fail("timed out after 60 s: " + command);
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        }
        finally
        {
            Files.deleteIfExists(out);
        }
    }

    /** Runs a command that must succeed (bounded); returns its output. */
    public static String run(final List<String> command) throws IOException, InterruptedException
    {
        final Result result = runForResult(command);
        if (result.exit() != 0)
        {
            fail("exit=" + result.exit() + " from " + command + ":\n" + result.output());
        }
        return result.output();
    }
}
