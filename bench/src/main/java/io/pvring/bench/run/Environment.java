package io.pvring.bench.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a run was measured: JDK, CPU count and model, OS. Recorded with every result because SPSC figures swing
 * with the JIT version and the core placement (performance-anchors section 7).
 */
public final class Environment
{
    private Environment()
    {
    }

    /** The environment of this JVM, as the {@code environment} object of a JSON record. */
    public static Map<String, Object> current()
    {
        final Map<String, Object> env = new LinkedHashMap<>();
        env.put("jdk", System.getProperty("java.version"));
        env.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"));
        env.put("cpus", Runtime.getRuntime().availableProcessors());
        env.put("cpu_model", cpuModel());
        env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        env.put("timestamp", Instant.now().toString());
        return env;
    }

    static String cpuModel()
    {
        final Path cpuinfo = Path.of("/proc/cpuinfo");
        try
        {
            final List<String> lines = Files.readAllLines(cpuinfo);
            for (final String line : lines)
            {
                if (line.startsWith("model name"))
                {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        }
        catch (final IOException | RuntimeException ignored)
        {
            // Not Linux, or /proc is hidden: the model is informative only.
        }
        return "unknown";
    }
}
