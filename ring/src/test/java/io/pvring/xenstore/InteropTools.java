package io.pvring.xenstore;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.pvring.testing.RequiredTools;

import org.junit.jupiter.api.Assertions;

/**
 * Finds the real programs interop tests run. In CI ({@code PVRING_REQUIRE_TOOLS=1}) a missing tool fails the test;
 * elsewhere the test is skipped with a message naming the Debian package to install.
 */
final class InteropTools
{

    private InteropTools()
    {
    }

    /** The absolute path of {@code executable} found on PATH. */
    static Path requireExecutable(final String executable, final String debianPackage)
    {
        final String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (final String dir : path.split(File.pathSeparator))
        {
            final Path p = Path.of(dir, executable);
            if (Files.isExecutable(p))
            {
                return p;
            }
        }
        missing(executable + " not found on PATH: install the Debian package " + debianPackage);
        return null;
    }

    static void requireFile(final Path file, final String debianPackage)
    {
        if (!Files.exists(file))
        {
            missing(file + " not found: install the Debian package " + debianPackage);
        }
    }

    private static void missing(final String message)
    {
        RequiredTools.unavailable(message);
    }

    record Result(int exitCode, String stdout, String stderr)
    {
    }

    /** Runs a program to completion (bounded by {@code timeoutSeconds}), capturing its output in files. */
    static Result run(final Map<String, String> env, final Path workDir, final long timeoutSeconds,
        final List<String> command) throws IOException, InterruptedException
    {
        final Path out = Files.createTempFile(workDir, "out", ".txt");
        final Path err = Files.createTempFile(workDir, "err", ".txt");
        final ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().putAll(env);
        final Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS))
        {
            p.destroyForcibly().waitFor();
            Assertions.fail(command + " did not finish within " + timeoutSeconds + " s; stderr: " +
                Files.readString(err, StandardCharsets.UTF_8));
        }
        final String stdout = Files.readString(out, StandardCharsets.UTF_8);
        return new Result(p.exitValue(), stdout, Files.readString(err, StandardCharsets.UTF_8));
    }
}
