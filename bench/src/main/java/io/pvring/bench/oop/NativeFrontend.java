package io.pvring.bench.oop;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.pvring.bench.ring.NativeRingBaseline;
import io.pvring.serve.CClient;

/**
 * A C frontend of the jar's {@code /native} resources, compiled with gcc against Xen's public headers and the
 * client a {@link io.pvring.serve.ServeHost} wrote into its directory, then run to completion; what it printed as
 * {@code name value} lines is its result.
 */
final class NativeFrontend
{
    private static final long COMPILE_MILLIS = 120_000;

    private final Path binary;

    private NativeFrontend(final Path binary)
    {
        this.binary = binary;
    }

    /**
     * Compiles {@code /native/<name>.c} (with {@code oop_latency.h} beside it) against the client in
     * {@code serveDirectory}, into {@code workDir}.
     *
     * @throws IllegalStateException with what to install when gcc or the Xen headers are missing, or gcc's output.
     */
    static NativeFrontend compile(final String name, final Path serveDirectory, final Path workDir)
        throws IOException, InterruptedException
    {
        final String missing = NativeRingBaseline.missingToolchain();
        if (missing != null)
        {
            throw new IllegalStateException("--frontend process: " + missing);
        }
        final Path source = copy(name + ".c", workDir);
        copy("oop_latency.h", workDir);
        final Path binary = workDir.resolve(name);
        exec(List.of("gcc", "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-I" + serveDirectory,
            "-I" + workDir, "-o", binary.toString(), source.toString(),
            serveDirectory.resolve(CClient.SOURCE).toString()), Map.of(), COMPILE_MILLIS);
        return new NativeFrontend(binary);
    }

    private static Path copy(final String resource, final Path workDir) throws IOException
    {
        final Path target = workDir.resolve(resource);
        try (InputStream in = NativeFrontend.class.getResourceAsStream("/native/" + resource))
        {
            if (in == null)
            {
                throw new IllegalStateException("resource /native/" + resource + " missing from the jar");
            }
            Files.write(target, in.readAllBytes());
        }
        return target;
    }

    /**
     * Runs the frontend with {@code args} and {@code doorbell}'s environment, killing it after {@code timeoutMillis};
     * returns its values.
     */
    Map<String, Long> run(final List<String> args, final Doorbell doorbell, final long timeoutMillis)
        throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(args);
        return parse(exec(command, doorbell.environment(), timeoutMillis));
    }

    static Map<String, Long> parse(final String output)
    {
        final Map<String, Long> values = new LinkedHashMap<>();
        for (final String line : output.split("\n"))
        {
            final String[] parts = line.trim().split("\\s+");
            if (parts.length == 2 && parts[1].matches("-?\\d+"))
            {
                values.put(parts[0], Long.parseLong(parts[1]));
            }
        }
        return values;
    }

    static long require(final Map<String, Long> values, final String key)
    {
        final Long value = values.get(key);
        if (value == null)
        {
            throw new IllegalStateException("the out-of-process frontend printed no " + key + ": " + values);
        }
        return value;
    }

    private static String exec(final List<String> command, final Map<String, String> environment,
        final long timeoutMillis) throws IOException, InterruptedException
    {
        final Path log = Files.createTempFile("pvring-oop-", ".log");
        try
        {
            final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
            environment.forEach((name, value) ->
            {
                if (value.isEmpty())
                {
                    builder.environment().remove(name);
                }
                else
                {
                    builder.environment().put(name, value);
                }
            });
            final Process process = builder.start();
            if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS))
            {
                process.destroyForcibly().waitFor();
                throw new IllegalStateException(command.get(0) + " did not finish within " + timeoutMillis +
                    " ms: " + Files.readString(log, StandardCharsets.UTF_8).trim());
            }
            final String text = Files.readString(log, StandardCharsets.UTF_8);
            if (process.exitValue() != 0)
            {
                throw new IllegalStateException(String.join(" ", command) + " failed (exit " + process.exitValue()
                    + "): " + text.trim());
            }
            return text;
        }
        finally
        {
            Files.deleteIfExists(log);
        }
    }
}
