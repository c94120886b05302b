package io.pvring.nbd;

import java.nio.file.Path;

/**
 * Run in a separate JVM by {@link NbdServerProcessTest}: serves an image with qemu-nbd (which, unlike nbdkit, keeps
 * running when orphaned), prints its pid, then waits to be killed.
 */
public final class ChildHolder
{
    private ChildHolder()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final QemuNbdServer server = QemuNbdServer.start(Path.of(args[0]),
            new QemuNbdConfig().format("raw").runtimeDirectory(Path.of(args[1])));
        System.out.println("pid " + server.pid());
        System.out.flush();
        // Blocks until the parent test SIGKILLs this JVM (stdin stays open; the test bounds its own waits).
        System.in.read();
        server.close();
    }
}
