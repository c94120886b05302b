package io.pvring.serve;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.pvring.event.remote.EvtchnServer;
import io.pvring.testing.CProgram;
import io.pvring.testing.RequiredTools;
import io.pvring.testing.CValues;
import io.pvring.xenstore.XenStoreServer;
import org.junit.jupiter.api.Assertions;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A frontend in another process for out-of-process interop tests: a C source (a test resource) compiled with gcc
 * against Xen's public headers, libxenstore ({@code -lxenstore}) and {@code pvring_evtchn.h}, run with
 * {@code XENSTORED_PATH} set. Missing gcc, libxen-dev or libxenstore skips the test, or fails it under
 * {@code PVRING_REQUIRE_TOOLS=1}.
 */
public final class CFrontendProcess
{
    /** What the C frontends share (file mappings, grants, event socket, xenstore helpers), next to this class. */
    private static final String FRONTEND_HEADER = "pvring_frontend.h";

    private static final Path XENSTORE_H = Path.of("/usr/include/xenstore.h");

    private final Path binary;
    private Process process;
    private Path out;
    private Path err;

    private CFrontendProcess(final Path binary)
    {
        this.binary = binary;
    }

    /** Compiles {@code resource} (next to {@code anchor}) into {@code workDir}. */
    public static CFrontendProcess compile(final Class<?> anchor, final String resource, final Path workDir)
        throws IOException, InterruptedException
    {
        CProgram.assumeToolsPresent();
        if (!Files.isReadable(XENSTORE_H))
        {
            missing(XENSTORE_H + " not found: install the Debian package libxen-dev (libxenstore)");
        }
        final Path include = Files.createDirectories(workDir.resolve("include"));
        Files.writeString(include.resolve(EvtchnServer.C_HEADER), EvtchnServer.cHeader(), StandardCharsets.US_ASCII);
        try (InputStream in = CFrontendProcess.class.getResourceAsStream(FRONTEND_HEADER))
        {
            Files.copy(in, include.resolve(FRONTEND_HEADER), StandardCopyOption.REPLACE_EXISTING);
        }
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
        // -lxenstore after the source: Debian's gcc links --as-needed.
        final List<String> command = List.of("gcc", "-std=gnu11", "-O2", "-Wall", "-Werror", "-I/usr/include",
            "-I" + include, "-o", binary.toString(), source.toString(), "-lxenstore");
        final Process gcc = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!gcc.waitFor(120, TimeUnit.SECONDS))
        {
            gcc.destroyForcibly();
            Assertions.fail("gcc timed out on " + name);
        }
        final String output = Files.readString(log);
        if (0 != gcc.exitValue())
        {
            if (output.contains("cannot find -lxenstore"))
            {
                missing("libxenstore not found: install the Debian package libxen-dev\n" + output);
            }
            Assertions.fail("gcc failed: " + String.join(" ", command) + "\n" + output);
        }
        return new CFrontendProcess(binary);
    }

    /** Starts the program with {@code XENSTORED_PATH=xenStoreSocket}; {@link #await} collects it. */
    public CFrontendProcess start(final Path xenStoreSocket, final String... args) throws IOException
    {
        out = binary.resolveSibling(binary.getFileName() + ".out");
        err = binary.resolveSibling(binary.getFileName() + ".err");
        final List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put(XenStoreServer.XENSTORED_PATH_ENV, xenStoreSocket.toString());
        process = pb.start();
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
