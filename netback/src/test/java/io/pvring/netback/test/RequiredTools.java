package io.pvring.netback.test;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Interop tests need real tools (gcc, tshark, ip): what a missing one means is decided once, in
 * {@link io.pvring.testing.RequiredTools}; this class adds the process runner netback's tests share.
 */
public final class RequiredTools
{
    private RequiredTools()
    {
    }

    public static boolean required()
    {
        return io.pvring.testing.RequiredTools.required();
    }

    /** Fails or skips unless {@code tool} is on the PATH (see {@link io.pvring.testing.RequiredTools}). */
    public static String require(final String tool, final String debianPackage)
    {
        return io.pvring.testing.RequiredTools.requireExecutable(tool, debianPackage);
    }

    /** Fails or skips with {@code message}. */
    public static void unavailable(final String message)
    {
        io.pvring.testing.RequiredTools.unavailable(message);
    }

    /** Fails or skips unless the process runs as root (network namespaces). */
    public static void requireRoot()
    {
        io.pvring.testing.RequiredTools.requireRoot();
    }

    /** The result of {@link #run}: stdout and stderr kept apart (tools print warnings on stderr). */
    public record Result(int exitCode, String output, String errors)
    {
    }

    /** Runs a command to completion (bounded). */
    public static Result run(final List<String> command, final long timeoutSeconds)
    {
        File errFile = null;
        try
        {
            errFile = File.createTempFile("pvring-tool", ".err");
            final Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.to(errFile)).start();
            process.getOutputStream().close();
            final byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new IllegalStateException("timed out: " + command);
            }
            final String err = new String(java.nio.file.Files.readAllBytes(errFile.toPath()), StandardCharsets.UTF_8);
            return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8), err);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot run " + command, ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + command, ex);
        }
        finally
        {
            if (errFile != null && !errFile.delete())
            {
                errFile.deleteOnExit();
            }
        }
    }

    /** Runs a command and fails the test on a non-zero exit. */
    public static String runOk(final List<String> command, final long timeoutSeconds)
    {
        final Result result = run(command, timeoutSeconds);
        if (result.exitCode() != 0)
        {
            fail(command + " exited " + result.exitCode() + ": " + result.output() + result.errors());
        }
        return result.output();
    }
}
