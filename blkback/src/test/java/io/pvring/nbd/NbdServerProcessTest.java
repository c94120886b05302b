package io.pvring.nbd;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class NbdServerProcessTest
{
    @TempDir
    Path dir;

    @Test
    void aServerDiesWithAJvmThatWasSigkilled() throws Exception
    {
        NbdTools.require("qemu-nbd", "qemu-utils");
        NbdTools.require("setpriv", "util-linux");
        final Path image = dir.resolve("disk.raw");
        NbdTools.runOk(List.of("qemu-img", "create", "-f", "raw", image.toString(), "1M"));
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final List<String> command = new ArrayList<>(List.of(java));
        command.addAll(ManagementArgs.opens());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), ChildHolder.class.getName(),
            image.toString(), dir.toString()));
        final Process jvm = new ProcessBuilder(command).redirectError(dir.resolve("jvm.err").toFile()).start();
        try
        {
            final BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(),
                StandardCharsets.UTF_8));
            final CompletableFuture<String> line = CompletableFuture.supplyAsync(() ->
            {
                try
                {
                    return out.readLine();
                }
                catch (final java.io.IOException ex)
                {
                    return "error " + ex;
                }
            });
            final String pidLine;
            try
            {
                pidLine = line.get(60, TimeUnit.SECONDS);
            }
            catch (final TimeoutException ex)
            {
                fail("the child JVM printed no pid within 60 s; stderr: " + Files.readString(dir.resolve("jvm.err")));
                return;
            }
            assertTrue(pidLine != null && pidLine.startsWith("pid "), "child JVM said " + pidLine + "; stderr: " +
                Files.readString(dir.resolve("jvm.err")));
            final ProcessHandle server = ProcessHandle.of(Long.parseLong(pidLine.substring(4)))
                .orElseThrow(() -> new AssertionError("qemu-nbd " + pidLine + " already gone"));
            assertTrue(server.isAlive());

            jvm.destroyForcibly();
            assertTrue(jvm.waitFor(30, TimeUnit.SECONDS), "the child JVM did not die of SIGKILL");
            try
            {
                server.onExit().get(30, TimeUnit.SECONDS);
            }
            catch (final TimeoutException ex)
            {
                server.destroyForcibly();
                fail("qemu-nbd outlived its SIGKILLed JVM by 30 s");
            }
            assertFalse(server.isAlive());
        }
        finally
        {
            jvm.destroyForcibly();
        }
    }

    /** The JVM flags every pvring JVM gets (Agrona's internals). */
    static final class ManagementArgs
    {
        private ManagementArgs()
        {
        }

        static List<String> opens()
        {
            return List.of("--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
                "--add-opens", "java.base/java.nio=ALL-UNNAMED",
                "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED");
        }
    }
}
