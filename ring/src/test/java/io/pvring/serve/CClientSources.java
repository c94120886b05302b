package io.pvring.serve;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.pvring.testing.CProgram;

/**
 * The shipped C client ({@link CClient}) as test programs build it: written once per JVM into a scratch directory,
 * compiled with every program that uses it under {@code -Wall -Wextra -Werror}.
 */
public final class CClientSources
{
    private static Path directory;

    private CClientSources()
    {
    }

    /** Where the client's files are (written on first use). */
    public static synchronized Path directory()
    {
        if (null == directory)
        {
            try
            {
                final Path dir = Files.createDirectories(CProgram.workDir().resolve("pvring-client"));
                CClient.writeTo(dir);
                directory = dir;
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
        return directory;
    }

    /** gcc arguments that add the client to a program: warnings as errors, its include directory, its source. */
    public static List<String> gccFlags()
    {
        final Path dir = directory();
        return List.of("-Wextra", "-Werror", "-I" + dir, dir.resolve(CClient.SOURCE).toString());
    }
}
