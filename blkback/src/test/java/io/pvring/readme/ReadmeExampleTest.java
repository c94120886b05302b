package io.pvring.readme;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's embedding example is taken from README.md as written, compiled against the project's public API and
 * run: it must connect a blkfront to blkback through {@code Host} and read back what it wrote.
 */
class ReadmeExampleTest
{
    private static final String MARKER = "<!-- example: Example.java";

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void readmeExampleCompilesAndRuns(@TempDir final Path dir) throws Exception
    {
        final String source = exampleSource(Path.of("..", "README.md"));
        final Path file = dir.resolve("Example.java");
        Files.writeString(file, source);

        final JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "a JDK (not a JRE) runs the tests");
        final ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        final int rc = javac.run(null, null, diagnostics, "-Xlint:all", "-Werror", "-d", dir.toString(),
            "-classpath", testClassPath(), file.toString());
        assertEquals(0, rc, "README example does not compile:\n" + diagnostics.toString(StandardCharsets.UTF_8));

        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final PrintStream stdout = System.out;
        try (URLClassLoader loader = new URLClassLoader(new URL[]{dir.toUri().toURL()}, getClass().getClassLoader()))
        {
            final Method main = loader.loadClass("Example").getMethod("main", String[].class);
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            main.invoke(null, (Object)new String[0]);
        }
        finally
        {
            System.setOut(stdout);
        }
        final String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("disk: 131072 sectors of 512 bytes"), printed);
        assertTrue(printed.contains("read back: hello, blkback"), printed);
    }

    private static String exampleSource(final Path readme) throws IOException
    {
        final List<String> lines = Files.readAllLines(readme);
        final StringBuilder source = new StringBuilder();
        boolean inBlock = false;
        boolean afterMarker = false;
        for (final String line : lines)
        {
            if (line.startsWith(MARKER))
            {
                afterMarker = true;
            }
            else if (afterMarker && !inBlock && line.startsWith("```java"))
            {
                inBlock = true;
            }
            else if (inBlock && line.startsWith("```"))
            {
                return source.toString();
            }
            else if (inBlock)
            {
                source.append(line).append('\n');
            }
        }
        throw new AssertionError("no java block after '" + MARKER + "' in " + readme.toAbsolutePath());
    }

    /** Surefire may hide the real class path behind a manifest-only jar; it publishes it in this property. */
    private static String testClassPath()
    {
        final String surefire = System.getProperty("surefire.test.class.path");
        return null != surefire && !surefire.isEmpty() ? surefire : System.getProperty("java.class.path");
    }
}
