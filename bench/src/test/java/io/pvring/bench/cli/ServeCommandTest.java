package io.pvring.bench.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.pvring.netback.stats.VifCounters;
import io.pvring.stats.CountersFile;
import io.pvring.testing.RequiredTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code pvring serve}: what it prints and makes, bad specs rejected before anything starts. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServeCommandTest
{
    @Test
    void withoutDevicesServesXenstoreAndEventChannelsAndSaysHowToAttach(@TempDir final Path tmp)
    {
        final Path dir = tmp.resolve("srv");
        final CliRunner r = CliRunner.run("serve", "--dir", dir.toString(), "--for", "1ms");
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("xenstore  " + dir.resolve("xenstored.sock")), r.out);
        assertTrue(r.out.contains("evtchn    " + dir.resolve("evtchn.sock")), r.out);
        assertTrue(r.out.contains("attach: XENSTORED_PATH=" + dir.resolve("xenstored.sock")), r.out);
        assertFalse(r.out.contains("guest "), "no guest without --guest or devices: " + r.out);
        assertFalse(Files.exists(dir.resolve("evtchn.sock")), "sockets removed on exit");
    }

    @Test
    void devicesGetADefaultGuestAndLinuxDeviceNumbers(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("srv");
        final Path image = Files.createFile(tmp.resolve("disk.img"));
        Files.write(image, new byte[1 << 20]);
        final CliRunner r = CliRunner.run("serve", "--dir", dir.toString(), "--for", "1ms",
            "--disk", "memory:1m", "--disk", "file:" + image + ",ro", "--vif", "auto", "--wait", "poll",
            "--net-socket", tmp.resolve("net.sock").toString());
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("guest guest domid 1: memory " + dir.resolve("dom1.mem")), r.out);
        assertTrue(r.out.contains("vbd 51712 (xvda) of domid 1: memory 1048576"), r.out);
        assertTrue(r.out.contains("vbd 51728 (xvdb) of domid 1: file " + image + " read-only"), r.out);
        assertTrue(r.out.contains("vif 0 of domid 1: mac 00:16:3e:00:01:00"), r.out);
        assertTrue(r.out.contains("net       " + tmp.resolve("net.sock")), r.out);
        assertFalse(Files.exists(dir.resolve("dom1.mem")), "guest files removed on exit");
    }

    @Test
    void fileCacheAndAioReachBlkbacksOpenerThroughParams(@TempDir final Path tmp) throws Exception
    {
        final Path image = tmp.resolve("disk.img");
        Files.write(image, new byte[1 << 16]);
        final ServeCommand.DiskSpec disk =
            ServeCommand.DiskSpec.parse("file:" + image + ",cache=none,aio=threads,aio-max-batch=4");
        assertEquals("file", disk.type());
        assertEquals(image.toAbsolutePath() + ",cache=none,aio=threads,aio-max-batch=4", disk.params());
        try (io.pvring.blkback.store.BlockStore store =
            io.pvring.blkback.BlkBackDriver.DEFAULT_OPENER.open(disk.type(), disk.params(), false, 512))
        {
            assertEquals("file:" + image.toAbsolutePath() + ",cache=none,aio=threads,aio-max-batch=4",
                store.describe());
        }
        assertEquals(image.toAbsolutePath().toString(), ServeCommand.DiskSpec.parse("file:" + image).params(),
            "defaults are not spelled out: plain-path params stay what toolstacks write");
    }

    @Test
    void anImagesFormatReachesServesOpenerThroughParams(@TempDir final Path tmp) throws Exception
    {
        RequiredTools.requireExecutable("qemu-nbd", "qemu-utils");
        final Path image = tmp.resolve("disk.raw");
        Files.write(image, new byte[1 << 16]);
        final ServeCommand.DiskSpec disk = ServeCommand.DiskSpec.parse("qcow2:" + image + ",format=raw,cache=none");
        assertEquals("qcow2", disk.type());
        assertEquals(image.toAbsolutePath() + ",format=raw,cache=none", disk.params());
        try (io.pvring.blkback.store.BlockStore store = ServeCommand.openStore(disk.type(), disk.params(), false, 512))
        {
            assertEquals(1 << 16, store.sizeBytes(), "served as raw: the whole file is the disk");
            assertTrue(store.describe().startsWith("raw:" + image.toAbsolutePath()), store.describe());
        }
    }

    @Test
    void diskLimitsBecomeTheVbdsQosBackendKeys(@TempDir final Path tmp)
    {
        final ServeCommand.DiskSpec disk = ServeCommand.DiskSpec.parse("null:1m,iops=500,bps-write=1048576," +
            "iops-total-max=1000");
        assertEquals(Map.of("qos-iops-total", "500", "qos-iops-total-max", "1000", "qos-bps-write",
            "1048576"), disk.qos());
        assertEquals("1048576", disk.params(), "limits are keys of their own, not params");
        final CliRunner r = CliRunner.run("serve", "--dir", tmp.resolve("srv").toString(), "--for", "1ms",
            "--disk", "null:1m,iops=500");
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("vbd 51712 (xvda) of domid 1: null 1048576, limits {qos-iops-total=500}"), r.out);
        final CliRunner bad = CliRunner.run("serve", "--dir", tmp.resolve("bad").toString(), "--for", "1ms",
            "--disk", "null:1m,iops-read=5,iops=6");
        assertEquals(Main.EXIT_USAGE, bad.exitCode, bad.toString());
        assertTrue(bad.err.contains("iops-read and iops-total cannot be used at the same time"), bad.err);
    }

    @Test
    void runnersAndWaitModeAreTheHostsChoiceAndAdaptiveByDefault(@TempDir final Path tmp)
    {
        final CliRunner defaults = CliRunner.run("serve", "--dir", tmp.resolve("a").toString(), "--for", "1ms",
            "--disk", "null:1m");
        assertEquals(0, defaults.exitCode, defaults.toString());
        assertTrue(defaults.out.contains("runners   " + Runtime.getRuntime().availableProcessors() +
            " (rings wait adaptive)"), defaults.out);
        final CliRunner chosen = CliRunner.run("serve", "--dir", tmp.resolve("b").toString(), "--for", "1ms",
            "--disk", "null:1m", "--runners", "3", "--wait", "notify");
        assertEquals(0, chosen.exitCode, chosen.toString());
        assertTrue(chosen.out.contains("runners   3 (rings wait notify)"), chosen.out);
    }

    @Test
    void countersFileIsCreatedInTheDirectoryAndReadableByAMonitor(@TempDir final Path tmp)
    {
        final Path counters = tmp.resolve("srv").resolve("counters.dat");
        final CliRunner r = CliRunner.run("serve", "--dir", tmp.resolve("srv").toString(), "--for", "1ms",
            "--vif", "auto", "--max-devices", "3");
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("counters  " + counters), r.out);
        try (CountersFile monitor = CountersFile.openReader(counters))
        {
            assertEquals(3, monitor.slotCount(), "a slot per device");
            assertTrue(monitor.reader().maxCounterId() >= 3 * VifCounters.COUNTERS_PER_QUEUE, "room for devices");
            assertEquals(ProcessHandle.current().pid(), monitor.ownerPid(), "the serving process owns it");
        }
    }

    @Test
    void namedGuestsTakeTheirDevices(@TempDir final Path tmp)
    {
        final CliRunner r = CliRunner.run("serve", "--dir", tmp.resolve("srv").toString(), "--for", "1ms",
            "--guest", "a:8m", "--guest", "b:16m", "--disk", "null:1g,guest=b,vdev=xvdc",
            "--vif", "guest=a,mac=02:00:00:00:00:0a");
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("guest a domid 1"), r.out);
        assertTrue(r.out.contains("guest b domid 2"), r.out);
        assertTrue(r.out.contains("vbd 51744 (xvdc) of domid 2: null 1073741824"), r.out);
        assertTrue(r.out.contains("vif 0 of domid 1: mac 02:00:00:00:00:0a"), r.out);
        assertTrue(r.out.contains("evtchn " + tmp.resolve("srv").resolve("dom2.evtchn.sock")), r.out);
    }

    @Test
    void aGuestGivenToAUidSaysSo(@TempDir final Path tmp) throws Exception
    {
        final boolean root = Integer.valueOf(0).equals(Files.getAttribute(tmp, "unix:uid"));
        final CliRunner r = CliRunner.run("serve", "--dir", tmp.resolve("srv").toString(), "--for", "1ms",
            "--guest", "a:8m,uid=4242");
        if (root)
        {
            assertEquals(0, r.exitCode, r.toString());
            assertTrue(r.out.contains("guest a domid 1") && r.out.contains("owned by uid 4242"), r.out);
        }
        else
        {
            assertTrue(r.exitCode != 0 && r.err.contains("uid=4242"), "not root: a clear failure: " + r);
        }
    }

    @Test
    void aGuestOnTheEmulatorsMemoryFileMapsItAndLeavesItAsItWas(@TempDir final Path tmp) throws Exception
    {
        final Path ram = tmp.resolve("guest.ram");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(ram.toFile(), "rw"))
        {
            f.setLength(12L << 20);
        }
        final CliRunner r = CliRunner.run("serve", "--dir", tmp.resolve("srv").toString(), "--for", "1ms",
            "--guest", "a:8m,mem=" + ram + ",offset=4m");
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("guest a domid 1: memory " + ram + " at offset 4194304 (the emulator's)"), r.out);
        assertFalse(Files.exists(tmp.resolve("srv").resolve("dom1.mem")), "no memory file of pvring's own");
        assertEquals(12L << 20, Files.size(ram), "the emulator's file keeps its size");

        final CliRunner tooShort = CliRunner.run("serve", "--dir", tmp.resolve("srv2").toString(), "--for", "1ms",
            "--guest", "a:16m,mem=" + ram);
        assertTrue(0 != tooShort.exitCode && tooShort.err.contains("beyond"), "a short file: " + tooShort);
        assertEquals(12L << 20, Files.size(ram), "and is never extended");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--disk disk                       | --disk expects file:PATH, qcow2:PATH, memory:SIZE, null:SIZE",
        "--disk tape:1m                    | --disk kind must be file, qcow2, memory, null or an nbd:// URI",
        "--disk qcow2:/a.qcow2             | --disk qcow2 /a.qcow2 is not a regular file",
        "--disk memory:1000                | --disk size must be a multiple of 512, got 'memory:1000'",
        "--disk file:/nonexistent/img      | --disk file /nonexistent/img is not a regular file",
        "--disk memory:1m,vdev=hda         | vdev must be xvda..xvdp, got 'hda'",
        "--disk memory:1m,speed=9          | unknown option 'speed=9' in 'memory:1m,speed=9': --disk takes cache=",
        "--disk memory:1m,guest=nope       | no --guest named 'nope'",
        "--guest lonely                    | --guest expects NAME:SIZE[,uid=N][,mem=PATH[,offset=N]], got 'lonely'",
        "--guest g:8m,uid=me               | --guest options are uid=N, mem=PATH and offset=N",
        "--guest g:8m,offset=4096          | --guest offset= needs mem=PATH, got 'g:8m,offset=4096'",
        "--guest g:8m,mem=/none            | --guest mem /none is not a regular file",
        "--guest g:1000                    | --guest size must be a multiple of 4k, got 'g:1000'",
        "--vif devid=x                     | --vif devid must be a number, got 'x'",
        "--guest a:8m --guest a:4m         | --guest name given twice: a",
        "--disk null:1m --disk null:1m,vdev=xvda | --disk vdev for guest given twice: guest xvda",
        "--vif auto --vif devid=0          | --vif devid for guest given twice: guest 0",
        "--wait sometimes                  | '--wait': 'sometimes' is not poll, notify or adaptive",
        "--runners 0                       | --runners must be 1..1024, got 0"})
    void badSpecsGiveOneLineAndStartNothing(final String args, final String expected, @TempDir final Path tmp)
    {
        final String[] words = ("serve --dir " + tmp.resolve("srv") + " --for 1ms " + args.trim()).split(" +");
        final CliRunner r = CliRunner.run(words);
        assertEquals(Main.EXIT_USAGE, r.exitCode, r.toString());
        assertTrue(r.err.contains(expected), r.err);
        assertEquals(1, r.err.lines().count(), r.err);
        assertFalse(Files.exists(tmp.resolve("srv")), "nothing started");
    }
}
