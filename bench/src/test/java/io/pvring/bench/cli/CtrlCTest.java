package io.pvring.bench.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.pvring.bench.report.Json;
import io.pvring.bench.report.ResultsSchema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ctrl-C (SIGINT to a real JVM) ends a long run cleanly and keeps the partial results. */
class CtrlCTest
{
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void sigintDuringAMeasurementWritesPartialResults() throws Exception
    {
        final Path json = dir.resolve("partial.json");
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"),
            Main.class.getName(), "bench", "ring", "--no-baselines", "--idle", "yield", "--duration", "60s",
            "--json", json.toString()));
        final Process process = new ProcessBuilder(command).redirectOutput(dir.resolve("out.txt").toFile()).start();
        // Read on its own thread to the end: a child whose stderr pipe fills blocks in its next write and cannot
        // exit, and a reader blocked here would keep the test from killing it.
        final BlockingQueue<String> progress = new LinkedBlockingQueue<>();
        final Thread reader = new Thread(() ->
        {
            try (BufferedReader err = new BufferedReader(
                new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8)))
            {
                err.lines().forEach(progress::add);
            }
            catch (final IOException | UncheckedIOException ex)
            {
                progress.add("stderr: " + ex);
            }
        }, "stderr-reader");
        reader.setDaemon(true);
        reader.start();
        try
        {
            // The first progress line says the measured interval has begun.
            String line;
            do
            {
                line = progress.poll(60, TimeUnit.SECONDS);
                assertTrue(line != null, "no progress line on stderr within 60 s");
                assertTrue(process.isAlive() || line.contains("ops/s"), "exited before measuring: " + line);
            }
            while (!line.contains("ops/s"));
            final Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start();
            assertEquals(0, kill.waitFor(), "kill -INT");
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the JVM exits after Ctrl-C");
        }
        finally
        {
            process.destroyForcibly();
        }

        final Object doc = Json.parse(Files.readString(json));
        assertEquals(List.of(), ResultsSchema.check(doc));
        @SuppressWarnings("unchecked")
        final Map<String, Object> record = (Map<String, Object>)((List<Object>)((Map<String, Object>)doc)
            .get("records")).get(0);
        assertEquals(Boolean.TRUE, record.get("partial"));
        assertTrue(((Number)record.get("ops")).longValue() > 0, "ops measured before the interrupt: " + record);
        assertTrue(((Number)record.get("duration_sec")).doubleValue() < 30, "cut short: " + record);
        final String out = Files.readString(dir.resolve("out.txt"));
        assertTrue(out.contains("interrupted: partial results above"), out);
    }
}
