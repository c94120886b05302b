package io.pvring.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assertions;

/**
 * A C program compiled with gcc against the installed Xen public headers, the harness for tests that compare pvring
 * with the C macros and layouts (ABI offsets, ring.h differential tests).
 *
 * <p>Each distinct source is compiled once per JVM ({@code gcc -O2 -Wall -Werror -I/usr/include}) into a temporary
 * directory, keyed by the SHA-256 of source and flags. When gcc or the Xen headers are missing, the calling test is
 * skipped with a message naming the Debian package, or fails if the environment sets
 * {@code PVRING_REQUIRE_TOOLS=1} (CI must never skip these silently).
 */
public final class CProgram
{
    public static final String GCC_PACKAGE = "gcc";
    public static final String XEN_HEADERS_PACKAGE = "libxen-dev";
    /** The header every Xen C program here includes; its absence means libxen-dev is missing. */
    public static final Path XEN_RING_HEADER = Path.of("/usr/include/xen/io/ring.h");

    private static final List<String> DEFAULT_FLAGS =
        List.of("-std=gnu11", "-O2", "-Wall", "-Werror", "-I/usr/include");
    private static final long COMPILE_TIMEOUT_SECONDS = 120;
    private static final Map<String, Path> BINARIES = new ConcurrentHashMap<>();
    private static volatile Path workDir;

    private final String name;
    private final String source;
    private final List<String> flags;

    private CProgram(final String name, final String source, final List<String> flags)
    {
        this.name = name;
        this.source = source;
        this.flags = flags;
    }

    /**
     * A program from C source text.
     *
     * @param name a short name for the binary and for messages, e.g. {@code "xen_abi"}.
     */
    public static CProgram fromSource(final String name, final String source)
    {
        return new CProgram(name, source, DEFAULT_FLAGS);
    }

    /**
     * A program from a classpath resource, resolved relative to {@code anchor} like {@link Class#getResource}, so it
     * works from the ring test-jar in other modules too.
     */
    public static CProgram fromResource(final Class<?> anchor, final String resource)
    {
        try (InputStream in = anchor.getResourceAsStream(resource))
        {
            if (in == null)
            {
                throw new IllegalArgumentException("no resource=" + resource + " next to " + anchor.getName());
            }
            final String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            final String base = resource.substring(resource.lastIndexOf('/') + 1).replace(".c", "");
            return new CProgram(base, text, DEFAULT_FLAGS);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** The same program compiled with extra gcc flags (e.g. {@code -DNAME=value}). */
    public CProgram withFlags(final String... extraFlags)
    {
        final List<String> all = new ArrayList<>(flags);
        all.addAll(Arrays.asList(extraFlags));
        return new CProgram(name, source, List.copyOf(all));
    }

    public String name()
    {
        return name;
    }

    /**
     * Skips the calling test (or fails it under {@code PVRING_REQUIRE_TOOLS=1}) unless gcc and the Xen public
     * headers are installed. {@link #binary()} calls this first, so tests need not.
     */
    public static void assumeToolsPresent()
    {
        if (findOnPath("gcc") == null)
        {
            missing("gcc not found on PATH: install the Debian package " + GCC_PACKAGE);
        }
        if (!Files.isReadable(XEN_RING_HEADER))
        {
            missing(XEN_RING_HEADER + " not found: install the Debian package " + XEN_HEADERS_PACKAGE
                + " (Xen public headers)");
        }
    }

    private static void missing(final String message)
    {
        RequiredTools.unavailable(message);
    }

    /** Compiles the program if this JVM has not yet done so, and returns the executable. */
    public Path binary()
    {
        assumeToolsPresent();
        final String key = sha256(String.join(" ", flags) + '\n' + source);
        return BINARIES.computeIfAbsent(key, k -> compile(k));
    }

    private Path compile(final String key)
    {
        try
        {
            final Path dir = workDir();
            final Path src = dir.resolve(name + '-' + key.substring(0, 16) + ".c");
            final Path bin = dir.resolve(name + '-' + key.substring(0, 16));
            Files.writeString(src, source, StandardCharsets.UTF_8);
            final List<String> command = new ArrayList<>();
            command.add("gcc");
            command.addAll(flags);
            command.add("-o");
            command.add(bin.toString());
            command.add(src.toString());
            final Path log = dir.resolve(name + '-' + key.substring(0, 16) + ".gcc.log");
            final Process gcc = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
            if (!gcc.waitFor(COMPILE_TIMEOUT_SECONDS, TimeUnit.SECONDS))
            {
                gcc.destroyForcibly();
                throw new IllegalStateException("gcc timed out after " + COMPILE_TIMEOUT_SECONDS + "s on " + name);
            }
            if (gcc.exitValue() != 0)
            {
                throw new IllegalStateException("gcc failed on " + name + " (exit=" + gcc.exitValue() + "): "
                    + String.join(" ", command) + '\n' + Files.readString(log));
            }
            return bin;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted compiling " + name, ex);
        }
    }

    /**
     * Compiles the program with {@code -fsyntax-only} and the given extra flags, no link step: for layout checks by
     * {@code _Static_assert} in configurations that cannot link here (e.g. {@code -m32 -ffreestanding} without a
     * 32-bit libc). Fails with gcc's output when the source does not compile.
     */
    public void assertCompiles(final String... extraFlags)
    {
        assumeToolsPresent();
        try
        {
            final Path dir = workDir();
            final Path src = Files.createTempFile(dir, name, ".c");
            final Path log = Files.createTempFile(dir, name, ".gcc.log");
            try
            {
                Files.writeString(src, source, StandardCharsets.UTF_8);
                final List<String> command = new ArrayList<>();
                command.add("gcc");
                command.addAll(flags);
                command.addAll(Arrays.asList(extraFlags));
                command.add("-fsyntax-only");
                command.add(src.toString());
                final Process gcc = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
                if (!gcc.waitFor(COMPILE_TIMEOUT_SECONDS, TimeUnit.SECONDS))
                {
                    gcc.destroyForcibly();
                    Assertions.fail("gcc timed out after " + COMPILE_TIMEOUT_SECONDS + "s on " + name);
                }
                if (gcc.exitValue() != 0)
                {
                    Assertions.fail("gcc rejected " + name + " (exit=" + gcc.exitValue() + "): "
                        + String.join(" ", command) + '\n' + Files.readString(log));
                }
            }
            finally
            {
                Files.deleteIfExists(src);
                Files.deleteIfExists(log);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted compiling " + name, ex);
        }
    }

    /**
     * Runs the program to completion with {@code stdin} as its input and returns its output.
     *
     * @param timeoutSeconds the process is killed and the test fails after this long.
     */
    public Result run(final byte[] stdin, final long timeoutSeconds, final String... args)
    {
        final Path bin = binary();
        try
        {
            final Path dir = workDir();
            final Path in = Files.createTempFile(dir, name, ".stdin");
            final Path err = Files.createTempFile(dir, name, ".stderr");
            try
            {
                Files.write(in, stdin);
                final Process process = start(bin, in, err, args);
                final byte[] out;
                try (InputStream stdout = process.getInputStream())
                {
                    out = stdout.readAllBytes();
                }
                if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS))
                {
                    process.destroyForcibly();
                    throw new IllegalStateException(name + " did not exit within " + timeoutSeconds + "s");
                }
                return new Result(process.exitValue(), out, Files.readString(err));
            }
            finally
            {
                Files.deleteIfExists(in);
                Files.deleteIfExists(err);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + name, ex);
        }
    }

    /** Runs the program with no input and requires exit status 0. */
    public Result runOk(final String... args)
    {
        final Result result = run(new byte[0], 60, args);
        result.assertExitOk();
        return result;
    }

    /**
     * Starts the program reading {@code stdin} from a file, for tests that stream a large binary output; the caller
     * reads {@link Process#getInputStream()} and waits for it. Standard error goes to {@code stderr}.
     */
    public Process start(final Path stdin, final Path stderr, final String... args)
    {
        return start(binary(), stdin, stderr, args);
    }

    private static Process start(final Path bin, final Path stdin, final Path stderr, final String... args)
    {
        final List<String> command = new ArrayList<>();
        command.add(bin.toString());
        command.addAll(Arrays.asList(args));
        try
        {
            return new ProcessBuilder(command)
                .redirectInput(stdin.toFile())
                .redirectError(stderr.toFile())
                .start();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** A directory for scratch files next to the binaries, removed when the JVM exits. */
    public static Path workDir()
    {
        Path dir = workDir;
        if (dir == null)
        {
            synchronized (CProgram.class)
            {
                dir = workDir;
                if (dir == null)
                {
                    try
                    {
                        dir = Files.createTempDirectory("pvring-cprogram-");
                    }
                    catch (final IOException ex)
                    {
                        throw new UncheckedIOException(ex);
                    }
                    final Path toDelete = dir;
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(toDelete), "cprogram-cleanup"));
                    workDir = dir;
                }
            }
        }
        return dir;
    }

    private static void deleteTree(final Path dir)
    {
        try (var paths = Files.walk(dir))
        {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
        }
        catch (final IOException ignore)
        {
            // Best effort at exit: a leftover temp directory is harmless.
        }
    }

    private static Path findOnPath(final String program)
    {
        final String path = System.getenv("PATH");
        if (path == null)
        {
            return null;
        }
        for (final String dir : path.split(java.io.File.pathSeparator))
        {
            final Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    private static String sha256(final String text)
    {
        try
        {
            final MessageDigest digest = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** What a finished run produced. */
    public record Result(int exitCode, byte[] stdout, String stderr)
    {
        public String stdoutText()
        {
            return new String(stdout, StandardCharsets.US_ASCII);
        }

        /** Parses stdout as "name value" lines. */
        public CValues values()
        {
            return CValues.parse(stdoutText());
        }

        public Result assertExitOk()
        {
            if (exitCode != 0)
            {
                Assertions.fail("C program exit=" + exitCode + " stderr=" + stderr);
            }
            return this;
        }
    }
}
