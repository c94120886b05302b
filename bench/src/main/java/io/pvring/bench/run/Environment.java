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
        final double load = loadAverage();
        if (load >= 0)
        {
            env.put("load_avg_1m", load);
        }
        env.put("timestamp", Instant.now().toString());
        return env;
    }

    /** The 1-minute load average, or -1 where the OS does not tell. */
    public static double loadAverage()
    {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /**
     * A warning when other work competes for the CPUs (two spinning threads need two idle cores), else null.
     */
    public static String busyWarning()
    {
        final double load = loadAverage();
        final int cpus = Runtime.getRuntime().availableProcessors();
        if (load > cpus * 0.75)
        {
            return String.format(java.util.Locale.ROOT, "warning: the machine is busy (load average %.1f on %d CPUs):"
                + " absolute figures will be low and noisy (polling pairs lose whole time slices; --idle yield or"
                + " --wait notify suffer less); ratios measured in the same run still compare", load,
                cpus);
        }
        return null;
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
