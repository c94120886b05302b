package io.pvring.bench.stat;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.pvring.stats.CountersFile;
import io.pvring.stats.CountersFileDescriptor;

/**
 * Finds the counters file {@code pvring stat} and {@code pvring trace} read: {@code DIR/counters.dat} of a serve
 * directory, a counters file named directly, or the one running serve in its default directory. Every refusal
 * says what to do.
 */
public final class CountersLocator
{
    private CountersLocator()
    {
    }

    /**
     * The live counters file for {@code given} (a directory or a file; null: look for a running serve).
     *
     * @throws IllegalStateException saying what is wrong and what to do.
     */
    public static Path locate(final Path given)
    {
        final Path path;
        if (given == null)
        {
            path = findRunning();
        }
        else if (Files.isDirectory(given))
        {
            path = given.resolve(CountersFileDescriptor.FILE_NAME);
            if (!Files.exists(path))
            {
                throw new IllegalStateException("no counters file in " + given + " (" + path + "): is a pvring serve " +
                    "running there? Start one with: pvring serve --dir " + given);
            }
        }
        else if (Files.isRegularFile(given))
        {
            path = given;
        }
        else
        {
            throw new IllegalStateException("no such directory or counters file: " + given +
                " (give the --dir of a running pvring serve)");
        }
        try (CountersFile file = CountersFile.openReader(path))
        {
            if (!file.ownerAlive())
            {
                throw new IllegalStateException(path + " is stale: the process that wrote it (pid " +
                    file.ownerPid() + ") has exited. Start it again, e.g. pvring serve --dir " + path.getParent());
            }
        }
        return path;
    }

    private static Path findRunning()
    {
        final List<Path> live = new ArrayList<>();
        final List<Path> bases = List.of(Path.of("/dev/shm"), Path.of(System.getProperty("java.io.tmpdir")));
        for (final Path base : bases)
        {
            if (!Files.isDirectory(base))
            {
                continue;
            }
            try (DirectoryStream<Path> dirs = Files.newDirectoryStream(base, "pvring-*"))
            {
                for (final Path dir : dirs)
                {
                    final Path candidate = dir.resolve(CountersFileDescriptor.FILE_NAME);
                    if (Files.isRegularFile(candidate) && alive(candidate))
                    {
                        live.add(candidate);
                    }
                }
            }
            catch (final IOException ex)
            {
                // an unreadable base directory holds no serve of ours
            }
        }
        if (live.isEmpty())
        {
            throw new IllegalStateException("no running pvring serve found (looked for /dev/shm/pvring-*/" +
                CountersFileDescriptor.FILE_NAME + "): start one with 'pvring serve', or give the directory of one " +
                "started with --dir: pvring stat DIR");
        }
        if (live.size() > 1)
        {
            throw new IllegalStateException("several pvring serves run; give one's directory: " + live.stream()
                .map(p -> p.getParent().toString()).toList());
        }
        return live.get(0);
    }

    private static boolean alive(final Path candidate)
    {
        try (CountersFile file = CountersFile.openReader(candidate))
        {
            return file.ownerAlive();
        }
        catch (final RuntimeException ex)
        {
            return false; // not a counters file, or one being created
        }
    }
}
