package io.pvring.serve;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.pvring.event.remote.EvtchnServer;

/**
 * The shipped C client of {@code pvring serve} ({@code pvring_client.h} and {@code pvring_client.c}, next to this
 * class in the jar): mapping a guest's memory and grant table, granting, event channels, xenstore on its socket
 * and the xenbus state steps, for frontends written in C. {@code serve} writes it into its directory with
 * {@code pvring_evtchn.h} and the version file the client checks at {@code pvring_open}.
 * <p>
 * Version rule: {@link #VERSION_MAJOR} changes when a call or a wire format changes incompatibly,
 * {@link #VERSION_MINOR} when something is added; a client built against {@code MAJOR.m} works with a serve
 * shipping {@code MAJOR.n} for every {@code n >= m}. The header's macros carry the same numbers.
 */
public final class CClient
{
    public static final String HEADER = "pvring_client.h";
    public static final String SOURCE = "pvring_client.c";
    /** In serve's directory: {@code MAJOR.MINOR} and a newline, what {@code pvring_check_version} reads. */
    public static final String VERSION_FILE = "pvring_client.version";
    public static final int VERSION_MAJOR = 1;
    public static final int VERSION_MINOR = 3;
    /** The environment variable that, set to 1, keeps the client's notifications on the socket (1.2). */
    public static final String SOCKET_DOORBELLS_ENV = "PVRING_SOCKET_DOORBELLS";

    private CClient()
    {
    }

    /** {@code MAJOR.MINOR}. */
    public static String version()
    {
        return VERSION_MAJOR + "." + VERSION_MINOR;
    }

    /** The header as shipped. */
    public static String header()
    {
        return resource(HEADER);
    }

    /** The source as shipped. */
    public static String source()
    {
        return resource(SOURCE);
    }

    /**
     * Writes the header, the source, {@code pvring_evtchn.h} (which the header includes) and the version file into
     * {@code directory}; returns their paths.
     *
     * @throws UncheckedIOException when a file cannot be written.
     */
    public static List<Path> writeTo(final Path directory)
    {
        final Path evtchn = EvtchnServer.writeCHeader(directory);
        return List.of(write(directory.resolve(HEADER), header()), write(directory.resolve(SOURCE), source()),
            evtchn, write(directory.resolve(VERSION_FILE), version() + "\n"));
    }

    private static Path write(final Path path, final String text)
    {
        try
        {
            Files.writeString(path, text, StandardCharsets.US_ASCII);
            return path;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write " + path, ex);
        }
    }

    private static String resource(final String name)
    {
        try (InputStream in = CClient.class.getResourceAsStream(name))
        {
            if (null == in)
            {
                throw new IllegalStateException(name + " missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
