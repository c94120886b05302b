package io.pvring.bench.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.pvring.bench.oop.Doorbell;
import io.pvring.bench.report.GuestsTable;
import io.pvring.bench.report.ResultsFile;
import io.pvring.bench.report.TerminalTable;
import io.pvring.bench.run.BenchRecord;
import io.pvring.bench.run.Environment;
import io.pvring.bench.run.Interruption;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

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
        out.print(GuestsTable.render(json(records)));
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

    /** Measurements that add their records and say whether they ran to the end (false after Ctrl-C). */
    interface Measurements
    {
        boolean run(List<BenchRecord> records) throws Exception;
    }

    /** One out-of-process run with one kind of doorbell. */
    interface DoorbellRun
    {
        BenchRecord run(Doorbell doorbell) throws Exception;
    }

    /**
     * {@code --frontend process}: the in-process run, then the C frontend's run with each doorbell, each the best of
     * {@code measure}'s rounds, in one table and JSON file; stops at the first partial run (Ctrl-C).
     */
    static void inProcessThenProcess(final PrintWriter out, final MeasureOptions measure, final Run inProcess,
        final List<Doorbell> doorbells, final DoorbellRun process) throws Exception
    {
        measureAndReport(out, measure.json, records ->
        {
            final BenchRecord first = bestOf(measure.rounds, inProcess);
            records.add(first);
            if (first.partial())
            {
                return false;
            }
            for (final Doorbell doorbell : doorbells)
            {
                final BenchRecord record = bestOf(measure.rounds, () -> process.run(doorbell));
                records.add(record);
                if (record.partial())
                {
                    return false;
                }
            }
            return true;
        });
    }

    /** The {@code --rounds} range every measuring command accepts. */
    static void checkRounds(final CommandSpec spec, final int rounds)
    {
        if (rounds < 1 || rounds > 100)
        {
            throw new ParameterException(spec.commandLine(), "--rounds must be 1..100, got " + rounds);
        }
    }

    /**
     * Runs {@code measurements} with Ctrl-C turned into partial results, then prints the table and writes the JSON
     * file (when {@code json} is not null) before the interrupted process may exit.
     */
    static void measureAndReport(final PrintWriter out, final Path json, final Measurements measurements)
        throws Exception
    {
        warnIfBusy(out);
        final List<BenchRecord> records = new ArrayList<>();
        final Interruption interruption = Interruption.install();
        try
        {
            final boolean complete = measurements.run(records);
            table(out, records);
            if (json != null)
            {
                writeJson(out, json, records);
            }
            if (!complete)
            {
                out.println("interrupted: partial results above");
            }
        }
        finally
        {
            interruption.resultsWritten();
        }
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
