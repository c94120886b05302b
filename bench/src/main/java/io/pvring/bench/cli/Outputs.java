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
import io.pvring.bench.run.Interruption;

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

    /** One measurement that may fail with any exception. */
    interface Run
    {
        BenchRecord run() throws Exception;
    }

    /** Runs {@code rounds} times (stopping at Ctrl-C) and keeps the fastest complete run, marked best_of. */
    static BenchRecord bestOf(final int rounds, final Run run) throws Exception
    {
        BenchRecord best = null;
        for (int i = 0; i < rounds; i++)
        {
            final BenchRecord record = run.run();
            if (best == null || best.partial() || (!record.partial() && record.opsPerSec() > best.opsPerSec()))
            {
                best = record;
            }
            if (record.partial() || Interruption.requested())
            {
                break;
            }
        }
        if (rounds > 1)
        {
            best.params().put("best_of", rounds);
        }
        return best;
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
