package io.pvring.bench.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad options: exit code 2 and one line naming the option and what it accepts; nothing runs. */
class BadOptionsTest
{
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "bench ring --ring-order 7       | --ring-order must be 0..4, got 7",
        "bench ring --batch 64           | --batch must be 1..32",
        "bench ring --batch 0            | --batch must be 1..32",
        "bench ring --slot-bytes 12      | --slot-bytes must be a multiple of 8 in 16..4032, got 12",
        "bench ring --slot-bytes 4096    | --slot-bytes must be a multiple of 8 in 16..4032, got 4096",
        "bench ring --duration 5x        | '--duration': expected a duration like 500ms, 10s or 2m, got '5x'",
        "bench ring --duration 0ms       | '--duration': expected a duration of at least 1ms",
        "bench ring --idle fast          | '--idle': expected one of [SPIN, YIELD, BACKOFF, NOTIFY]",
        "bench ring --ring-order two     | '--ring-order': 'two' is not an int",
        "bench ring --rate -5            | --rate must be a positive number",
        "bench ring --native --rate 1000 | --native runs closed loop",
        "bench ring --frobnicate         | Unknown option: '--frobnicate'",
        "bench --duration 1y             | '--duration': expected a duration like 500ms",
        "bench blk --qd 64               | --qd must be 1..32 (ring entries at --ring-order 0), got 64",
        "bench blk --bs 1000             | --bs must be a multiple of 512 bytes, got 1000",
        "bench blk --bs 64k              | --bs 65536 needs 16 segments: at most 44k without --indirect",
        "bench blk --bs 4x               | '--bs': expected a size like 512, 4k, 64k, 1m or 2g, got '4x'",
        "bench blk --indirect 8          | --indirect must be 0 or 12..4096, got 8",
        "bench blk --store disk          | --store expects file:PATH, qcow2:PATH, memory:SIZE, null:SIZE",
        "bench blk --store nbd://h/e,cache=none | --store cache= applies to file and qcow2 disks, not nbd",
        "bench blk --persistent maybe    | '--persistent': expected one of [ON, OFF]",
        "bench blk --wait sometimes      | '--wait': 'sometimes' is not poll, notify or adaptive",
        "bench blk --wait backoff        | '--wait': 'backoff' is not poll, notify or adaptive",
        "bench blk --rw sideways         | '--rw': expected one of [READ, WRITE, RANDREAD, RANDWRITE, RANDRW]",
        "bench blk --queues 0            | --queues must be 1..16, got 0",
        "bench blk --baseline fio        | --baseline fio needs --store file:PATH, qcow2:PATH or an nbd URI, got null",
        "bench blk --store null:1m --baseline fio | --baseline fio needs --store file:PATH, qcow2:PATH or an nbd URI",
        "bench blk --baseline dd         | --baseline takes fio, got dd",
        "bench blk --page-cache hot      | --page-cache hot sets up the runs beside fio: add --baseline fio",
        "bench net --frame 10            | --frame must be 64..65535 bytes, got 10",
        "bench net --frame 9000 --sg off  | --frame 9000 needs --sg on (one slot carries at most 4096 bytes)",
        "bench net --gso on --sg off     | --gso on needs --sg on",
        "bench net --gso on --frame 1000 | --gso on needs --frame above 1502",
        "bench net --queues 9            | --queues must be 1..8, got 9",
        "bench net --csum maybe          | '--csum': expected one of [ON, OFF]",
        "report                          | Missing required parameter: 'DIR'",
        "report /nonexistent/results     | /nonexistent/results: no such file or directory"})
    void badOptionGivesOneLineNamingTheOption(final String args, final String expected)
    {
        final CliRunner run = CliRunner.run(args.trim().split("\\s+"));

        assertEquals(Main.EXIT_USAGE, run.exitCode, run.toString());
        assertTrue(run.err.contains(expected), run.err);
        assertEquals(1, run.err.strip().lines().count(), "one line: " + run.err);
        assertEquals("", run.out, "nothing ran");
    }

    @Test
    void noArgumentsPrintsCommandsAndExamples()
    {
        final CliRunner run = CliRunner.run();

        assertEquals(Main.EXIT_OK, run.exitCode, run.toString());
        for (final String expected : new String[] {"bench", "report", "jmh", "Examples:", "pvring bench ring"})
        {
            assertTrue(run.out.contains(expected), expected + " in\n" + run.out);
        }
    }

    @Test
    void ringHelpListsEveryOption()
    {
        final CliRunner run = CliRunner.run("bench", "ring", "--help");

        assertEquals(Main.EXIT_OK, run.exitCode, run.toString());
        for (final String option : new String[] {
            "--slot-bytes", "--ring-order", "--batch", "--duration", "--idle", "--rate", "--native", "--json"})
        {
            assertTrue(run.out.contains(option), option + " in\n" + run.out);
        }
    }

    @Test
    void netHelpListsEveryOption()
    {
        final CliRunner run = CliRunner.run("bench", "net", "--help");

        assertEquals(Main.EXIT_OK, run.exitCode, run.toString());
        for (final String option : new String[] {
            "--frame", "--queues", "--sg", "--gso", "--csum", "--wait", "--rate", "--duration", "--json"})
        {
            assertTrue(run.out.contains(option), option + " in\n" + run.out);
        }
    }

    @Test
    void blkHelpListsEveryOption()
    {
        final CliRunner run = CliRunner.run("bench", "blk", "--help");

        assertEquals(Main.EXIT_OK, run.exitCode, run.toString());
        for (final String option : new String[] {
            "--store", "--rw", "--bs", "--qd", "--queues", "--ring-order", "--indirect", "--persistent", "--wait",
            "--rate", "--duration", "--json"})
        {
            assertTrue(run.out.contains(option), option + " in\n" + run.out);
        }
    }
}
