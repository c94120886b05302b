package io.pvring.event.remote;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What kind of file a descriptor received with {@code SCM_RIGHTS} is, from its {@code /proc/self/fd} link: a
 * client says what it sends, and a descriptor of another kind is refused before pvring reads, writes or maps it.
 */
final class PassedFd
{
    private static final String EVENTFD_LINK = "anon_inode:[eventfd]";
    private static final String SEMAPHORE_KEY = "eventfd-semaphore:";

    private PassedFd()
    {
    }

    /** The path that reopens or names descriptor {@code fd} of this process while it is open. */
    static Path procPath(final int fd)
    {
        return Path.of("/proc/self/fd/" + fd);
    }

    /** True for an eventfd. */
    static boolean isEventFd(final int fd)
    {
        return EVENTFD_LINK.equals(link(fd));
    }

    /**
     * True for an eventfd made with {@code EFD_SEMAPHORE}, as its {@code /proc/self/fdinfo} says (kernels that
     * predate the {@code eventfd-semaphore} line say nothing: false). A semaphore counter gives back 1 per read, so
     * a client that wrote a huge count to one would keep its reader reading it for ever: refused as a doorbell.
     */
    static boolean isSemaphoreEventFd(final int fd)
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd)))
            {
                if (line.startsWith(SEMAPHORE_KEY))
                {
                    return !"0".equals(line.substring(SEMAPHORE_KEY.length()).trim());
                }
            }
            return false;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /**
     * True for a file that can be guest memory: a regular file (a tmpfs or hugetlbfs file, a memfd), not an
     * anonymous inode, pipe, socket or device.
     */
    static boolean isRegularFile(final int fd)
    {
        final String link = link(fd);
        return null != link && !link.startsWith("anon_inode:") && !link.startsWith("pipe:") &&
            !link.startsWith("socket:") && Files.isRegularFile(procPath(fd));
    }

    /** Size of the file behind {@code fd}, or -1 when it cannot be read. */
    static long size(final int fd)
    {
        try
        {
            return Files.size(procPath(fd));
        }
        catch (final IOException ex)
        {
            return -1;
        }
    }

    private static String link(final int fd)
    {
        try
        {
            return Files.readSymbolicLink(procPath(fd)).toString();
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            return null;
        }
    }
}
