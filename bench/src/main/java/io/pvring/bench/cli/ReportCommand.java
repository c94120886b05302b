package io.pvring.bench.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import io.pvring.bench.report.HtmlReport;
import io.pvring.bench.report.ResultsFile;
import io.pvring.bench.report.TerminalTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code pvring report DIR...}: one HTML report with charts comparing result sets, and the table here. */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = "Write a self-contained HTML report (inline SVG charts, no network) comparing result sets: "
        + "throughput against the baselines, against slot size / queue depth / frame size, latency percentiles.",
    footer = {
        "",
        "Examples:",
        "  pvring report results/2026-11-23T18-00-00",
        "  pvring report results/before results/after -o compare.html"})
public final class ReportCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    @Parameters(paramLabel = "DIR", arity = "1..*",
        description = "result directories (their *.json files) or results files")
    private List<Path> inputs;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
        description = "the HTML file (default: report.html in the only DIR, else ./pvring-report.html)")
    private Path output;

    @Override
    public Integer call() throws Exception
    {
        final List<ResultsFile.Run> runs = new ArrayList<>();
        for (final Path input : inputs)
        {
            try
            {
                runs.add(ResultsFile.read(input));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new ParameterException(spec.commandLine(), ex.getMessage());
            }
        }
        final Path file = output != null ? output
            : inputs.size() == 1 && inputs.get(0).toFile().isDirectory()
            ? inputs.get(0).resolve(HtmlReport.DEFAULT_NAME) : Path.of("pvring-report.html");
        HtmlReport.write(file, runs);
        final PrintWriter out = spec.commandLine().getOut();
        final List<Map<String, Object>> all = new ArrayList<>();
        for (final ResultsFile.Run run : runs)
        {
            all.addAll(run.records());
        }
        out.print(TerminalTable.render(all));
        out.println("report: " + file);
        out.flush();
        return Main.EXIT_OK;
    }
}
