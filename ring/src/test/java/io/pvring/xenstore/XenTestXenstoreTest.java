package io.pvring.xenstore;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Xen's own xenstore test suite ({@code tools/tests/xenstore/test-xenstore.c}, shipped as a binary in Debian's
 * {@code xen-utils-4.17}) against pvring's xenstore on a socket, every case: reads and writes of 1 and 2000 bytes,
 * directories, removal, and transactions including {@code ta err}, which checks that a node read in a transaction
 * keeps the value of its first read until the transaction ends. {@code run-tests} extracts the package privately
 * and points {@code PVRING_TEST_XENSTORE} at the binary.
 */
@Timeout(180)
class XenTestXenstoreTest
{
    static final String ENV = "PVRING_TEST_XENSTORE";
    static final Path INSTALLED = Path.of("/usr/lib/xen-4.17/bin/test-xenstore");
    static final List<String> CASES = List.of("read 1", "read 2000", "write 1", "write 2000", "dir", "rm node",
        "rm dir", "ta empty", "ta empty x", "ta rmw", "ta rmw x", "ta err");

    @TempDir
    Path dir;

    private final XenStore store = new XenStore();
    private XenStoreServer server;

    @BeforeEach
    void startServer() throws Exception
    {
        server = XenStoreServer.start(store, dir.resolve("xs.sock"));
    }

    @AfterEach
    void stopServer()
    {
        server.close();
    }

    private static Path binary()
    {
        final String env = System.getenv(ENV);
        final Path p = null == env || env.isEmpty() ? INSTALLED : Path.of(env);
        InteropTools.requireFile(p, "xen-utils-4.17 (run-tests extracts it: apt-get download + dpkg -x)");
        return p;
    }

    @Test
    void listsTheCasesThisTestExpects() throws Exception
    {
        final InteropTools.Result r = InteropTools.run(Map.of(), dir, 30, List.of(binary().toString(), "-l"));
        assertEquals(0, r.exitCode(), r.stderr());
        for (final String c : CASES)
        {
            assertTrue(r.stdout().contains(c + " ") || r.stdout().contains(c + ":"), "case '" + c + "' in " +
                r.stdout());
        }
    }

    @Test
    void everyCasePassesAgainstPvring() throws Exception
    {
        final Map<String, String> env = Map.of(XenStoreServer.XENSTORED_PATH_ENV, server.socketPath().toString());
        final InteropTools.Result r = InteropTools.run(env, dir, 150, List.of(binary().toString(), "-i", "3"));
        assertEquals(0, r.exitCode(), "test-xenstore failed:\n" + r.stdout() + r.stderr());
        for (final String c : CASES)
        {
            assertTrue(r.stdout().contains(c), "case '" + c + "' ran: " + r.stdout());
        }
        assertTrue(store.check(), "tree consistent afterwards");
    }
}
