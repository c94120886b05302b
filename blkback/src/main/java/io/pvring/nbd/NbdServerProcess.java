package io.pvring.nbd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A server (qemu-nbd, nbdkit) run as a child process in a private 0700 directory holding its socket, pid file and
 * log. Started, it is ready: the call returns once the server has written its pid file, which both qemu-nbd and
 * nbdkit do only after their socket listens. Closed, it gets SIGTERM, then SIGKILL after a bound.
 *
 * <p>The child never outlives the JVM: a shutdown hook stops every live child on a normal exit or SIGTERM, and
 * where util-linux's {@code setpriv} exists the child runs under {@code setpriv --pdeathsig KILL}, so the kernel
 * kills it even when the JVM is SIGKILLed or crashes. The parent-death signal follows the thread that forked the
 * child, so children are forked from one long-lived launcher thread, never from a caller's thread that may end.
 * The server never forks itself ({@code --fork} would orphan it out of reach of both).
 */
public final class NbdServerProcess implements AutoCloseable
{
    private static final Set<NbdServerProcess> LIVE = ConcurrentHashMap.newKeySet();
    private static final ExecutorService LAUNCHER = Executors.newSingleThreadExecutor(runnable ->
    {
        final Thread thread = new Thread(runnable, "pvring-child-launcher");
        thread.setDaemon(true);
        return thread;
    });
    private static final String SETPRIV = "/usr/bin/setpriv";
    private static final int LOG_TAIL_BYTES = 4096;

    static
    {
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            for (final NbdServerProcess child : LIVE)
            {
                child.stop(1000);
            }
        }, "pvring-child-reaper"));
    }

    private final String name;
    private final Process process;
    private final Path directory;
    private final Path log;
    private final long stopTimeoutMs;

    private NbdServerProcess(final String name, final Process process, final Path directory, final Path log,
        final long stopTimeoutMs)
    {
        this.name = name;
        this.process = process;
        this.directory = directory;
        this.log = log;
        this.stopTimeoutMs = stopTimeoutMs;
    }

    /** A new directory only this user can enter, under {@code parent}, for a server's socket and pid file. */
    public static Path privateDirectory(final Path parent, final String prefix) throws IOException
    {
        return Files.createTempDirectory(parent, prefix,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }

    /**
     * Starts {@code command} (which must write {@code pidFile} once it serves) with its output in
     * {@code directory/name.log}, and waits for the pid file.
     *
     * @throws IOException naming the server, with the tail of its log, if it exits or is not ready in time (it
     *                     is then stopped).
     */
    public static NbdServerProcess start(final String name, final List<String> command, final Path directory,
        final Path pidFile, final long startTimeoutMs, final long stopTimeoutMs) throws IOException
    {
        final Path log = directory.resolve(name + ".log");
        final List<String> argv = new ArrayList<>();
        if (Files.isExecutable(Path.of(SETPRIV)))
        {
            argv.add(SETPRIV);
            argv.add("--pdeathsig");
            argv.add("KILL");
            argv.add("--");
        }
        argv.addAll(command);
        final ProcessBuilder builder = new ProcessBuilder(argv)
            .directory(directory.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
        try (WatchService watch = FileSystems.getDefault().newWatchService())
        {
            pidFile.getParent().register(watch, StandardWatchEventKinds.ENTRY_CREATE);
            final NbdServerProcess child = new NbdServerProcess(name, launch(builder, name), directory, log,
                stopTimeoutMs);
            LIVE.add(child);
            boolean ready = false;
            try
            {
                child.awaitPidFile(watch, pidFile, startTimeoutMs);
                ready = true;
                return child;
            }
            finally
            {
                if (!ready)
                {
                    child.stop(stopTimeoutMs);
                }
            }
        }
    }

    private static Process launch(final ProcessBuilder builder, final String name) throws IOException
    {
        final Future<Process> started = LAUNCHER.submit(builder::start);
        try
        {
            return started.get(30, TimeUnit.SECONDS);
        }
        catch (final ExecutionException ex)
        {
            throw new IOException("cannot start " + name + ": " + ex.getCause().getMessage(), ex.getCause());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting " + name, ex);
        }
        catch (final TimeoutException ex)
        {
            throw new IOException("starting " + name + " took more than 30 s", ex);
        }
    }

    private void awaitPidFile(final WatchService watch, final Path pidFile, final long timeoutMs) throws IOException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!Files.exists(pidFile))
        {
            if (!process.isAlive())
            {
                throw new IOException(name + " exited with status " + process.exitValue() + " before serving: " +
                    logTail());
            }
            final long remaining = deadline - System.nanoTime();
            if (remaining <= 0)
            {
                throw new IOException(name + " did not write its pid file within " + timeoutMs + " ms: " +
                    logTail());
            }
            try
            {
                // Woken by the file's creation; the slice bounds how late a crashed child is noticed.
                final var key = watch.poll(Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(100)),
                    TimeUnit.NANOSECONDS);
                if (key != null)
                {
                    key.pollEvents();
                    key.reset();
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + name, ex);
            }
        }
    }

    public long pid()
    {
        return process.pid();
    }

    public boolean isAlive()
    {
        return process.isAlive();
    }

    public Path directory()
    {
        return directory;
    }

    /** The last few KiB of the server's stdout and stderr, for error messages. */
    public String logTail()
    {
        try
        {
            final byte[] bytes = Files.readAllBytes(log);
            final int from = Math.max(0, bytes.length - LOG_TAIL_BYTES);
            final String text = new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? "(no output)" : text;
        }
        catch (final IOException ex)
        {
            return "(log unreadable: " + ex.getMessage() + ")";
        }
    }

    /** SIGKILL now (a server dying under its clients), waiting for the exit up to the stop bound. */
    public void kill()
    {
        process.destroyForcibly();
        awaitExit(stopTimeoutMs);
    }

    /** SIGTERM, SIGKILL if it has not exited within the stop bound; then the private directory is removed. */
    @Override
    public void close()
    {
        stop(stopTimeoutMs);
        deleteDirectory();
    }

    private void stop(final long timeoutMs)
    {
        if (process.isAlive())
        {
            process.destroy();
            if (!awaitExit(timeoutMs))
            {
                process.destroyForcibly();
                awaitExit(timeoutMs);
            }
        }
        LIVE.remove(this);
    }

    private boolean awaitExit(final long timeoutMs)
    {
        try
        {
            return process.waitFor(timeoutMs, TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    private void deleteDirectory()
    {
        try (Stream<Path> paths = Files.walk(directory))
        {
            paths.sorted(Comparator.reverseOrder()).forEach(path ->
            {
                try
                {
                    Files.deleteIfExists(path);
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException(ex);
                }
            });
        }
        catch (final IOException | UncheckedIOException ex)
        {
            // A directory left behind in the temporary directory harms nothing; the server is already stopped.
            return;
        }
    }

    @Override
    public String toString()
    {
        return name + "[pid " + process.pid() + (process.isAlive() ? "" : ", exited") + "]";
    }
}
