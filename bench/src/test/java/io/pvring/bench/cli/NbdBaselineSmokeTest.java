package io.pvring.bench.cli;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.pvring.bench.blk.BlkBenchConfig;
import io.pvring.bench.blk.BlkPattern;
import io.pvring.bench.blk.FioBaseline;
import io.pvring.bench.report.Json;
import io.pvring.bench.report.Records;
import io.pvring.bench.report.ResultsSchema;
import io.pvring.nbd.NbdServerProcess;
import io.pvring.event.WaitMode;
import io.pvring.nbd.NbdUri;
import io.pvring.testing.RequiredTools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bench blk --baseline fio} on an NBD disk: fio's nbd engine against the same kind of qemu-nbd. */
class NbdBaselineSmokeTest
{
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aRawImageThroughQemuNbdRunsBesideFiosNbdEngine() throws IOException
    {
        final String missing = FioBaseline.missingFio();
        RequiredTools.require(missing == null, "fio: " + missing);
        RequiredTools.requireExecutable("qemu-nbd", "qemu-utils");
        final Path image = dir.resolve("disk.raw");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw"))
        {
            file.setLength(8 << 20);
        }
        final Path json = dir.resolve("nbd.json");

        final CliRunner run = CliRunner.run("bench", "blk", "--store", "qcow2:" + image + ",format=raw", "--qd", "4",
            "--wait", "notify", "--duration", "150ms", "--baseline", "fio", "--json", json.toString());

        assertEquals(0, run.exitCode, run.toString());
        final List<Map<String, Object>> records = records(json);
        assertEquals(Set.of("pvring", FioBaseline.NBD_IMPL), impls(records), records.toString());
        for (final Map<String, Object> record : records)
        {
            assertTrue(Records.number(record, "ops_per_sec") > 0, record.toString());
            assertEquals(Records.settings(records.get(0)), Records.settings(record), "same job for both");
            assertEquals("raw", Records.params(record).get("format"), record.toString());
        }
        assertTrue(run.out.contains("x fio-nbd"), "the table has pvring's ratio: " + run.out);
        final Map<String, Object> pvring = records.stream().filter(r -> "pvring".equals(Records.impl(r)))
            .findFirst().orElseThrow();
        final Map<String, Object> fio = records.stream().filter(r -> FioBaseline.NBD_IMPL.equals(Records.impl(r)))
            .findFirst().orElseThrow();
        final Map<?, ?> ratios = (Map<?, ?>)pvring.get("ratios");
        assertEquals(Set.of(FioBaseline.NBD_IMPL), ratios.keySet(), "the ratio is in the JSON too");
        final double ratio = ((Number)ratios.get(FioBaseline.NBD_IMPL)).doubleValue();
        assertEquals(Records.number(pvring, "ops_per_sec") / Records.number(fio, "ops_per_sec"), ratio,
            1e-4 + 1e-3 * ratio, "pvring's ops/s over fio's");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void anNbdUriRunsFiosNbdEngineAgainstTheUsersServer() throws IOException
    {
        final String missing = FioBaseline.missingFio();
        RequiredTools.require(missing == null, "fio: " + missing);
        RequiredTools.requireExecutable("nbdkit", "nbdkit");
        final Path directory = NbdServerProcess.privateDirectory(dir, "nbdkit-");
        final Path socket = directory.resolve("nbd.sock");
        final Path pidFile = directory.resolve("nbdkit.pid");
        final Path json = dir.resolve("uri.json");
        try (NbdServerProcess nbdkit = NbdServerProcess.start("nbdkit", List.of("nbdkit", "--foreground",
            "--pidfile", pidFile.toString(), "--unix", socket.toString(), "memory", "8M"), directory, pidFile, 10_000,
            5_000))
        {
            final CliRunner run = CliRunner.run("bench", "blk", "--store", NbdUri.unix(socket.toString(), "")
                .toString(), "--qd", "4", "--wait", "notify", "--duration", "150ms", "--baseline", "fio", "--json",
                json.toString());

            assertEquals(0, run.exitCode, run.toString() + "\nnbdkit: " + nbdkit.logTail());
            assertTrue(nbdkit.isAlive(), "the user's server is the user's: still serving");
        }
        final List<Map<String, Object>> records = records(json);
        assertEquals(Set.of("pvring", FioBaseline.NBD_IMPL), impls(records), records.toString());
        assertEquals("nbd", Records.params(records.get(0)).get("store"));
        for (final Map<String, Object> record : records)
        {
            assertTrue(Records.number(record, "ops_per_sec") > 0, record.toString());
        }
    }

    @Test
    void anImageInTheWrongFormatSaysWhichFormatToName() throws IOException
    {
        RequiredTools.requireExecutable("qemu-nbd", "qemu-utils");
        final Path image = dir.resolve("plain.raw");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw"))
        {
            file.setLength(1 << 20);
        }

        final CliRunner run = CliRunner.run("bench", "blk", "--store", "qcow2:" + image, "--duration", "50ms");

        assertTrue(run.exitCode != 0, run.toString());
        assertTrue(run.err.contains("not in qcow2 format") && run.err.contains(",format=raw"), run.toString());
    }

    @Test
    void pollingOnTwoCpusWithAnNbdDiskSaysItMeasuresStarvation()
    {
        final BlkBenchConfig nbd = config("qcow2:/img/a.raw,format=raw", WaitMode.POLL);
        assertTrue(BlkCommand.pollStarves(nbd, WaitMode.POLL, 2).contains("--wait notify measures the NBD path"));
        assertNull(BlkCommand.pollStarves(config("nbd://localhost/disk", WaitMode.NOTIFY), WaitMode.NOTIFY, 2));
        assertNull(BlkCommand.pollStarves(nbd, WaitMode.POLL, 8), "room for the spinning pair and the NBD path");
        assertNull(BlkCommand.pollStarves(config("null", WaitMode.POLL), WaitMode.POLL, 2), "nothing else to run");
    }

    private static BlkBenchConfig config(final String store, final WaitMode wait)
    {
        return new BlkBenchConfig(store, 1 << 20, BlkPattern.RANDREAD, 4096, 16, 1, 0, 0, true, wait, 0);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> records(final Path json) throws IOException
    {
        final Object doc = Json.parse(Files.readString(json));
        final List<String> problems = ResultsSchema.check(doc);
        assertTrue(problems.isEmpty(), problems.toString());
        return (List<Map<String, Object>>)((Map<String, Object>)doc).get("records");
    }

    private static Set<String> impls(final List<Map<String, Object>> records)
    {
        final Set<String> impls = new TreeSet<>();
        records.forEach(record -> impls.add(Records.impl(record)));
        return impls;
    }
}
