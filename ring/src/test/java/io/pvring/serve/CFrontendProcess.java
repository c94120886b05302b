package io.pvring.serve;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.pvring.testing.CProgram;
import io.pvring.testing.RequiredTools;
import io.pvring.testing.CValues;
import org.junit.jupiter.api.Assertions;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A frontend in another process for out-of-process interop tests: a C source (a test resource) compiled with gcc
 * against Xen's public headers and the shipped client ({@link CClient}, under {@code -Wall -Wextra -Werror}).
 * Missing gcc or libxen-dev skips the test, or fails it under {@code PVRING_REQUIRE_TOOLS=1}.
 */
public final class CFrontendProcess
{
    private final Path binary;
    private Process process;
    private Path out;
    private Path err;

    private CFrontendProcess(final Path binary)
    {
        this.binary = binary;
    }

    /** Compiles {@code resource} (next to {@code anchor}) with the shipped client into {@code workDir}. */
    public static CFrontendProcess compile(final Class<?> anchor, final String resource, final Path workDir)
        throws IOException, InterruptedException
    {
        CProgram.assumeToolsPresent();
        final String name = resource.substring(resource.lastIndexOf('/') + 1).replace(".c", "");
        final Path source = workDir.resolve(name + ".c");
        try (InputStream in = anchor.getResourceAsStream(resource))
        {
            if (null == in)
            {
                throw new IllegalArgumentException("no resource=" + resource + " next to " + anchor.getName());
            }
            Files.copy(in, source);
        }
        final Path binary = workDir.resolve(name);
        final Path log = workDir.resolve(name + ".gcc.log");
        final List<String> command = new ArrayList<>(List.of("gcc", "-std=gnu11", "-O2", "-Wall", "-I/usr/include",
            "-o", binary.toString(), source.toString()));
        command.addAll(CClientSources.gccFlags());
        final Process gcc = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!gcc.waitFor(120, TimeUnit.SECONDS))
        {
            gcc.destroyForcibly();
            Assertions.fail("gcc timed out on " + name);
        }
        if (0 != gcc.exitValue())
        {
            Assertions.fail("gcc failed: " + String.join(" ", command) + "\n" + Files.readString(log));
        }
        return new CFrontendProcess(binary);
    }

    /** Starts the program with {@code args}; {@link #await} collects it. */
    public CFrontendProcess start(final String... args) throws IOException
    {
        out = binary.resolveSibling(binary.getFileName() + ".out");
        err = binary.resolveSibling(binary.getFileName() + ".err");
        final List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(List.of(args));
        process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return this;
    }

    /** Waits for the exit (killing it after {@code timeoutSeconds}), requires status 0, parses "name value" lines. */
    public CValues await(final long timeoutSeconds) throws IOException, InterruptedException
    {
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS))
        {
            process.destroyForcibly().waitFor();
            Assertions.fail(binary.getFileName() + " did not finish in " + timeoutSeconds + " s; stdout:\n" +
                Files.readString(out) + "\nstderr:\n" + Files.readString(err));
        }
        final String stdout = Files.readString(out);
        assertEquals(0, process.exitValue(), binary.getFileName() + " failed; stdout:\n" + stdout + "\nstderr:\n" +
            Files.readString(err));
        return CValues.parse(stdout);
    }

    /** The program's standard input (a pipe), for a test that tells it when to go on. */
    public OutputStream stdin()
    {
        return process.getOutputStream();
    }

    /** Whether the program still runs. */
    public boolean isAlive()
    {
        return null != process && process.isAlive();
    }

    /** Kills the program if it still runs (a test failing before {@link #await}). */
    public void destroy()
    {
        if (null != process && process.isAlive())
        {
            process.destroyForcibly();
        }
    }

    /** A missing tool: see {@link RequiredTools}. */
    public static void missing(final String message)
    {
        RequiredTools.unavailable(message);
    }

}
