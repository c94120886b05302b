package io.pvring.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.pvring.bench.run.BenchRecord;

/**
 * The results file: {@code {"format": "pvring-bench-results", "version": 1, "records": [ ... ]}}, one record per
 * run (see {@link ResultsSchema}); a pvring record measured beside baselines also has {@code "ratios":
 * {"fio-psync": 0.91, ...}}, its ops per second over each baseline's at the same settings. Reading accepts a file
 * or a directory of them.
 */
public final class ResultsFile
{
    public static final String FORMAT = "pvring-bench-results";
    public static final int VERSION = 1;
    public static final String DEFAULT_NAME = "results.json";

    private ResultsFile()
    {
    }

    public static void write(final Path file, final List<BenchRecord> records) throws IOException
    {
        final Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("format", FORMAT);
        doc.put("version", VERSION);
        final List<Map<String, Object>> list = new ArrayList<>();
        for (final BenchRecord record : records)
        {
            list.add(record.toJson());
        }
        for (final Map<String, Object> json : list)
        {
            // pvring's ratio to each baseline measured in the same run, for tools that read the file.
            final Map<String, Double> ratios = TerminalTable.ratioMap(list, json);
            if (!ratios.isEmpty())
            {
                json.put("ratios", ratios);
            }
        }
        doc.put("records", list);
        final Path parent = file.toAbsolutePath().getParent();
        if (parent != null)
        {
            Files.createDirectories(parent);
        }
        Files.writeString(file, Json.write(doc), StandardCharsets.UTF_8);
    }

    /** A labelled set of records: one results file or directory. */
    public record Run(String label, List<Map<String, Object>> records)
    {
    }

    /**
     * Reads {@code path}: a results file, or a directory whose {@code *.json} files are results files.
     *
     * @throws IllegalArgumentException naming the file and the problem when something is not a results file.
     */
    public static Run read(final Path path) throws IOException
    {
        final List<Path> files = new ArrayList<>();
        if (Files.isDirectory(path))
        {
            try (Stream<Path> list = Files.list(path))
            {
                list.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().forEach(files::add);
            }
            if (files.isEmpty())
            {
                throw new IllegalArgumentException(path + ": no *.json results in this directory");
            }
        }
        else if (Files.isRegularFile(path))
        {
            files.add(path);
        }
        else
        {
            throw new IllegalArgumentException(path + ": no such file or directory");
        }
        final List<Map<String, Object>> records = new ArrayList<>();
        for (final Path file : files)
        {
            records.addAll(readFile(file));
        }
        return new Run(label(path), records);
    }

    /** A directory's name; a file's name without .json, or its directory's name for {@value #DEFAULT_NAME}. */
    static String label(final Path path)
    {
        final Path absolute = path.toAbsolutePath().normalize();
        final Path name = absolute.getFileName();
        if (name == null)
        {
            return path.toString();
        }
        if (Files.isDirectory(absolute))
        {
            return name.toString();
        }
        if (name.toString().equals(DEFAULT_NAME) && absolute.getParent() != null
            && absolute.getParent().getFileName() != null)
        {
            return absolute.getParent().getFileName().toString();
        }
        return name.toString().replaceFirst("\\.json$", "");
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> readFile(final Path file) throws IOException
    {
        final Object doc;
        try
        {
            doc = Json.parse(Files.readString(file, StandardCharsets.UTF_8));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(file + ": " + ex.getMessage(), ex);
        }
        final List<String> problems = ResultsSchema.check(doc);
        if (!problems.isEmpty())
        {
            throw new IllegalArgumentException(file + ": not a pvring results file: " + problems.get(0));
        }
        final List<Map<String, Object>> records = new ArrayList<>();
        for (final Object record : (List<Object>)((Map<String, Object>)doc).get("records"))
        {
            records.add((Map<String, Object>)record);
        }
        return records;
    }
}
