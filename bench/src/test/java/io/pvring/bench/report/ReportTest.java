package io.pvring.bench.report;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.pvring.bench.cli.Main;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Report generation on recorded results (test resource fixtures/suite-run/results.json). */
class ReportTest
{
    @TempDir
    Path dir;

    static Path fixture() throws URISyntaxException
    {
        return Path.of(ReportTest.class.getResource("/fixtures/suite-run/results.json").toURI()).getParent();
    }

    @Test
    void fixtureConformsToTheSchema() throws Exception
    {
        final ResultsFile.Run run = ResultsFile.read(fixture());

        assertEquals("suite-run", run.label());
        assertEquals(21, run.records().size());
    }

    @Test
    void reportCommandWritesSelfContainedHtmlWithCharts() throws Exception
    {
        final Path html = dir.resolve("report.html");
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.execute(new String[] {"report", fixture().toString(), "-o", html.toString()},
            new PrintWriter(out, true), new PrintWriter(err, true));

        assertEquals(0, code, err.toString());
        final String text = Files.readString(html);
        assertTrue(text.startsWith("<!DOCTYPE html>"));
        assertEquals(1 + 1 + 6, count(text, "<svg"), "throughput bars, slot-size lines, six latency charts");
        assertFalse(text.contains("<script"), "no JavaScript");
        assertFalse(Pattern.compile("(src|href)=", Pattern.CASE_INSENSITIVE).matcher(text).find(),
            "nothing fetched");
        assertEquals(count(text, "<svg"), count(text, "xmlns='http://www.w3.org/2000/svg'"),
            "the only URL is the SVG namespace");
        assertTrue(text.contains("Round trips/s vs slot size"));
        assertTrue(text.contains("pvring vs agrona"), "headline ratio card");
        assertTrue(out.toString().contains("report: " + html), out.toString());
        assertEquals(21, count(text, "<tr><td"), "one table row per record");
    }

    @Test
    void comparingTwoRunsLabelsEverySeriesWithItsRun() throws Exception
    {
        final Path copy = dir.resolve("after");
        Files.createDirectories(copy);
        Files.copy(fixture().resolve("results.json"), copy.resolve("results.json"));

        final String html = HtmlReport.render(List.of(ResultsFile.read(fixture()), ResultsFile.read(copy)));

        assertTrue(html.contains("pvring @ suite-run"), "series named by run");
        assertTrue(html.contains("pvring @ after"));
        assertEquals(42, count(html, "<tr><td"));
    }

    @Test
    void valuesInChartsAreThoseOfTheRecords() throws Exception
    {
        final ResultsFile.Run run = ResultsFile.read(fixture());
        final Map<String, Object> first = run.records().get(0);
        final String html = HtmlReport.render(List.of(run));
        final String rendered = io.pvring.bench.run.Units.si(Records.number(first, "ops_per_sec")).trim();

        assertTrue(html.contains(rendered), "bar tooltip or table carries " + rendered);
    }

    @Test
    void fileThatIsNotResultsIsRefusedWithItsName() throws IOException
    {
        final Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"format\": \"pvring-bench-results\", \"version\": 1, \"records\": [{\"benchmark\": "
            + "\"ring\"}]}");
        final StringWriter err = new StringWriter();
        final int code = Main.execute(new String[] {"report", bad.toString()}, new PrintWriter(new StringWriter()),
            new PrintWriter(err, true));

        assertEquals(2, code);
        assertTrue(err.toString().contains(bad + ": not a pvring results file: $.records[0].params"), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
    }

    private static int count(final String text, final String needle)
    {
        final Matcher m = Pattern.compile(Pattern.quote(needle)).matcher(text);
        int n = 0;
        while (m.find())
        {
            n++;
        }
        return n;
    }
}
