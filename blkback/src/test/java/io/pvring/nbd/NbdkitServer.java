package io.pvring.nbd;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** nbdkit (a server nobody here wrote) on a private Unix socket or 127.0.0.1, for tests. */
public final class NbdkitServer implements AutoCloseable
{
    private final NbdServerProcess process;
    private final NbdUri uri;

    private NbdkitServer(final NbdServerProcess process, final NbdUri uri)
    {
        this.process = process;
        this.uri = uri;
    }

    /** {@code nbdkit [filters] plugin args...} on a Unix socket. */
    public static NbdkitServer unix(final Path parent, final List<String> filters, final List<String> pluginAndArgs)
        throws IOException
    {
        final Path directory = NbdServerProcess.privateDirectory(parent, "nbdkit-");
        final Path socket = directory.resolve("nbd.sock");
        return start(directory, List.of("--unix", socket.toString()), filters, pluginAndArgs,
            NbdUri.unix(socket.toString(), ""));
    }

    /** {@code nbdkit [filters] plugin args...} on 127.0.0.1:port. */
    public static NbdkitServer tcp(final Path parent, final int port, final List<String> filters,
        final List<String> pluginAndArgs) throws IOException
    {
        final Path directory = NbdServerProcess.privateDirectory(parent, "nbdkit-");
        return start(directory, List.of("--ipaddr", "127.0.0.1", "--port", Integer.toString(port)), filters,
            pluginAndArgs, NbdUri.tcp("127.0.0.1", port, ""));
    }

    private static NbdkitServer start(final Path directory, final List<String> listen, final List<String> filters,
        final List<String> pluginAndArgs, final NbdUri uri) throws IOException
    {
        final Path pidFile = directory.resolve("nbdkit.pid");
        final List<String> command = new ArrayList<>(List.of("nbdkit", "--foreground", "--pidfile",
            pidFile.toString()));
        command.addAll(listen);
        for (final String filter : filters)
        {
            command.add("--filter=" + filter);
        }
        command.addAll(pluginAndArgs);
        return new NbdkitServer(NbdServerProcess.start("nbdkit", command, directory, pidFile, 10_000, 5_000), uri);
    }

    public NbdUri uri()
    {
        return uri;
    }

    public Path directory()
    {
        return process.directory();
    }

    public NbdServerProcess process()
    {
        return process;
    }

    @Override
    public void close()
    {
        process.close();
    }
}
