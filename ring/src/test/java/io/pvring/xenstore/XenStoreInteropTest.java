package io.pvring.xenstore;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Xen's own xenstore tools (Debian {@code xenstore-utils}) and a C program linked with libxenstore
 * ({@code libxen-dev}) against a {@link XenStoreServer} on a temporary socket, found through
 * {@code XENSTORED_PATH} as libxenstore's {@code xs_daemon_socket()} reads it.
 */
@Timeout(120)
class XenStoreInteropTest
{
    private static final String UTILS = "xenstore-utils";

    @TempDir
    Path dir;

    private final XenStore store = new XenStore();
    private final XsConnection java = store.connect(0);
    private XenStoreServer server;
    private Map<String, String> env;

    @BeforeEach
    void startServer() throws IOException
    {
        server = XenStoreServer.start(store, dir.resolve("xs.sock"));
        env = Map.of(XenStoreServer.XENSTORED_PATH_ENV, server.socketPath().toString());
    }

    @AfterEach
    void stopServer()
    {
        server.close();
    }

    private InteropTools.Result tool(final String name, final String... args) throws Exception
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(InteropTools.requireExecutable(name, UTILS).toString());
        cmd.addAll(List.of(args));
        return InteropTools.run(env, dir, 30, cmd);
    }

    private String ok(final String name, final String... args) throws Exception
    {
        final InteropTools.Result r = tool(name, args);
        assertEquals(0, r.exitCode(), name + " " + List.of(args) + ": " + r.stderr());
        return r.stdout();
    }

    @Test
    void toolWritesJavaReadsAndBack() throws Exception
    {
        ok("xenstore-write", "/vm/1/name", "guest-one", "/vm/1/memory", "1024");
        assertEquals("guest-one", java.readString("/vm/1/name"));
        assertEquals("1024", java.readString("/vm/1/memory"));
        java.write("/vm/1/uuid", "d0c5a1e5-0000-4000-8000-000000000001");
        assertEquals("d0c5a1e5-0000-4000-8000-000000000001\n", ok("xenstore-read", "/vm/1/uuid"));
        final InteropTools.Result missing = tool("xenstore-read", "/vm/1/nothing");
        assertNotEquals(0, missing.exitCode());
    }

    @Test
    void listLsExistsAndRm() throws Exception
    {
        java.write("/d/a", "1");
        java.write("/d/b/c", "two");
        assertEquals("a\nb\n", ok("xenstore-list", "/d"));
        final String ls = ok("xenstore-ls", "/d");
        assertTrue(ls.contains("a = \"1\""), ls);
        assertTrue(ls.contains("c = \"two\""), ls);
        assertEquals(0, tool("xenstore-exists", "/d/b/c").exitCode());
        assertNotEquals(0, tool("xenstore-exists", "/d/zzz").exitCode());
        ok("xenstore-rm", "/d/b");
        assertNull(java.readOrNull("/d/b/c"));
        assertEquals("1", java.readString("/d/a"));
    }

    @Test
    void chmodSetsXenPermissions() throws Exception
    {
        java.write("/p/node", "v");
        ok("xenstore-chmod", "/p/node", "n5", "r7", "b9");
        assertEquals(List.of("n5", "r7", "b9"), java.getPerms("/p/node").toStrings());
        final String lsPerms = ok("xenstore-ls", "-p", "/p");
        assertTrue(lsPerms.contains("n5,r7,b9") || lsPerms.contains("n5 r7 b9"), lsPerms);
        // The permissions are enforced for domains.
        assertEquals(XsError.EACCES, assertThrowsXs(() -> store.connect(8).read("/p/node")));
        assertEquals("v", store.connect(7).readString("/p/node"));
    }

    private static XsError assertThrowsXs(final Runnable r)
    {
        try
        {
            r.run();
        }
        catch (final XenStoreException ex)
        {
            return ex.error();
        }
        throw new AssertionError("no XenStoreException");
    }

    @Test
    void watchToolSeesAChangeMadeInJava() throws Exception
    {
        java.mkdir("/w");
        final ProcessBuilder pb = new ProcessBuilder(
            InteropTools.requireExecutable("xenstore-watch", UTILS).toString(), "-n", "2", "/w")
            .redirectError(dir.resolve("watch.err").toFile());
        pb.environment().putAll(env);
        final Process p = pb.start();
        try (BufferedReader out = reader(p.getInputStream()))
        {
            final String first = out.readLine();
            assertEquals("/w", first, "the watch fires once at registration");
            java.write("/w/changed", "1");
            final String second = out.readLine();
            assertTrue(null != second && second.startsWith("/w/changed"), "change event: " + second);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), Files.readString(dir.resolve("watch.err")));
        }
        finally
        {
            p.destroyForcibly();
        }
    }

    private static BufferedReader reader(final InputStream in)
    {
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    }

    @Test
    void libxenstoreClientWithTransactionRetryWatchAndPermissions() throws Exception
    {
        final Path gcc = InteropTools.requireExecutable("gcc", "gcc");
        InteropTools.requireFile(Path.of("/usr/include/xenstore.h"), "libxen-dev");
        final Path source = dir.resolve("xs_client.c");
        try (InputStream in = getClass().getResourceAsStream("/xenstore/xs_client.c"))
        {
            Files.copy(in, source);
        }
        final Path binary = dir.resolve("xs_client");
        final InteropTools.Result cc = InteropTools.run(Map.of(), dir, 60,
            List.of(gcc.toString(), "-Wall", "-Werror", "-o", binary.toString(), source.toString(), "-lxenstore"));
        assertEquals(0, cc.exitCode(), "gcc: " + cc.stderr());
        final InteropTools.Result r = InteropTools.run(env, dir, 30, List.of(binary.toString()));
        assertEquals(0, r.exitCode(), "xs_client: " + r.stdout() + r.stderr());
        assertEquals("OK attempts=2 conflicts=1\n", r.stdout(), "one EAGAIN, then the retry committed");
        assertNull(java.readOrNull("/c"));
        assertTrue(store.check());
    }

    @Test
    void toolTransactionsCommit() throws Exception
    {
        // xenstore-write runs its writes in a transaction (retried on EAGAIN): all land together.
        ok("xenstore-write", "/t/a", "1", "/t/b", "2", "/t/c", "3");
        assertEquals(List.of("a", "b", "c"), java.directory("/t"));
    }
}
