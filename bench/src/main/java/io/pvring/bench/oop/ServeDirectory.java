package io.pvring.bench.oop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A scratch serve directory, on tmpfs when there is one (guest memory is then shared memory), removed after. */
final class ServeDirectory implements AutoCloseable
{
    private static final Path SHM = Path.of("/dev/shm");

    private final Path path;

    ServeDirectory() throws IOException
    {
        path = Files.isDirectory(SHM) && Files.isWritable(SHM) ?
            Files.createTempDirectory(SHM, "pvring-bench-oop-") : Files.createTempDirectory("pvring-bench-oop-");
    }

    Path path()
    {
        return path;
    }

    Path work() throws IOException
    {
        return Files.createDirectories(path.resolve("build"));
    }

    @Override
    public void close() throws IOException
    {
        try (Stream<Path> files = Files.walk(path))
        {
            for (final Path p : (Iterable<Path>)files.sorted(Comparator.reverseOrder())::iterator)
            {
                Files.deleteIfExists(p);
            }
        }
    }
}
