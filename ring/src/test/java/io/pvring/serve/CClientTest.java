package io.pvring.serve;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.pvring.testing.CProgram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped C client's packaging and version rule: the header's macros are {@link CClient}'s numbers, serve's
 * directory gets every file, and {@code pvring_check_version} accepts the same major with a minor at least the
 * client's, refusing anything else with {@code -EPROTONOSUPPORT} and a reason (the calls themselves are exercised by
 * the interop frontends: {@code OutOfProcessFrontendTest}, {@code ServeInteropTest}, {@code ServeNetInteropTest},
 * {@code BenchProcessFrontendTest}).
 */
class CClientTest
{
    private static final String CHECK_VERSION = String.join("\n",
        "#include <stdio.h>",
        "#include \"pvring_client.h\"",
        "int main(int argc, char **argv)",
        "{",
        "    struct pvring_guest g;",
        "    int rc;",
        "    (void)argc;",
        "    pvring_init(&g);",
        "    rc = pvring_check_version(&g, argv[1]);",
        "    printf(\"rc %d\\n\", rc);",
        "    fprintf(stderr, \"%s\\n\", g.error);",
        "    return 0;",
        "}", "");

    @Test
    void headerVersionIsTheJavaVersion()
    {
        assertEquals(CClient.VERSION_MAJOR, macro("PVRING_CLIENT_VERSION_MAJOR"));
        assertEquals(CClient.VERSION_MINOR, macro("PVRING_CLIENT_VERSION_MINOR"));
        assertTrue(CClient.header().contains("#define PVRING_CLIENT_VERSION \"" + CClient.version() + "\""));
        assertTrue(CClient.header().contains("#define PVRING_CLIENT_VERSION_FILE \"" + CClient.VERSION_FILE + "\""));
    }

    @Test
    void writesHeaderSourceProtocolHeaderAndVersion(@TempDir final Path dir) throws Exception
    {
        CClient.writeTo(dir);
        assertEquals(CClient.header(), Files.readString(dir.resolve(CClient.HEADER)));
        assertEquals(CClient.source(), Files.readString(dir.resolve(CClient.SOURCE)));
        assertTrue(Files.isRegularFile(dir.resolve("pvring_evtchn.h")));
        assertEquals(CClient.version() + "\n", Files.readString(dir.resolve(CClient.VERSION_FILE)));
    }

    @Test
    void versionCheckAcceptsSameMajorAndNewerMinorOnly(@TempDir final Path dir) throws Exception
    {
        final CProgram check = CProgram.fromSource("check_version", CHECK_VERSION)
            .withFlags(CClientSources.gccFlags().toArray(String[]::new));
        final int major = CClient.VERSION_MAJOR;
        final int minor = CClient.VERSION_MINOR;
        assertEquals(0, checkWith(check, dir, major + "." + minor), "the same version");
        assertEquals(0, checkWith(check, dir, major + "." + (minor + 3)), "a newer serve of the same major");
        final int noSupport = -93; // EPROTONOSUPPORT on Linux
        assertEquals(noSupport, checkWith(check, dir, (major + 1) + "." + minor), "a newer major");
        assertEquals(noSupport, checkWith(check, dir, (major - 1) + ".99"), "an older major");
        assertEquals(-71, checkWith(check, dir, "garbage"), "EPROTO: no MAJOR.MINOR");
        Files.delete(dir.resolve(CClient.VERSION_FILE));
        assertEquals(-2, checkWith(check, dir, null), "ENOENT: not a serve directory");
    }

    private static long checkWith(final CProgram check, final Path dir, final String version) throws Exception
    {
        if (null != version)
        {
            Files.writeString(dir.resolve(CClient.VERSION_FILE), version + "\n");
        }
        final CProgram.Result result = check.runOk(dir.toString());
        final long rc = result.values().get("rc");
        if (0 != rc)
        {
            assertTrue(result.stderr().contains(CClient.VERSION_FILE) || result.stderr().contains("serve ships"),
                "a reason naming the file or the versions: " + result.stderr());
        }
        return rc;
    }

    private static int macro(final String name)
    {
        final Matcher m = Pattern.compile("#define " + name + " (\\d+)").matcher(CClient.header());
        assertTrue(m.find(), name + " in the header");
        return Integer.parseInt(m.group(1));
    }
}
