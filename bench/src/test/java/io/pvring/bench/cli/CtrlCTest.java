package io.pvring.bench.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
        try (BufferedReader err = new BufferedReader(
            new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8)))
        {
            String line;
            // The first progress line says the measured interval has begun.
            while ((line = err.readLine()) != null && !line.contains("ops/s"))
            {
                assertTrue(process.isAlive(), "exited before measuring: " + line);
            }
            assertTrue(line != null, "a progress line on stderr");
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
