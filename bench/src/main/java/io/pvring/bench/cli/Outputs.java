package io.pvring.bench.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.pvring.bench.report.ResultsFile;
import io.pvring.bench.report.TerminalTable;
import io.pvring.bench.run.BenchRecord;
import io.pvring.bench.run.Environment;

/** Printing and saving what a bench command measured. */
final class Outputs
{
    private Outputs()
    {
    }

    static List<Map<String, Object>> json(final List<BenchRecord> records)
    {
        final List<Map<String, Object>> maps = new ArrayList<>();
        for (final BenchRecord record : records)
        {
            maps.add(record.toJson());
        }
        return maps;
    }

    static void table(final PrintWriter out, final List<BenchRecord> records)
    {
        out.print(TerminalTable.render(json(records)));
        out.flush();
    }

    static void warnIfBusy(final PrintWriter out)
    {
        final String warning = Environment.busyWarning();
        if (warning != null)
        {
            out.println(warning);
            out.flush();
        }
    }

    static void writeJson(final PrintWriter out, final Path file, final List<BenchRecord> records)
        throws IOException
    {
        ResultsFile.write(file, records);
        out.println("results: " + file);
        out.flush();
    }
}
