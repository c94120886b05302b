package io.pvring.blkback.store;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import io.pvring.blkback.qos.ThrottleBucket;
import io.pvring.blkback.qos.ThrottleLimits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DiskSpecTest
{
    private static DiskSpec parse(final String text)
    {
        return DiskSpec.parse("--disk", text, Set.of("vdev", "guest"), Set.of("ro"));
    }

    @Test
    void parsesEveryForm()
    {
        final DiskSpec file = parse("file:/img/a.raw,cache=none,aio=io_uring,vdev=xvdb,ro");
        assertEquals(DiskSpec.Kind.FILE, file.kind());
        assertEquals("/img/a.raw", file.target());
        assertEquals(DiskSpec.CacheMode.NONE, file.cache());
        assertEquals(DiskSpec.AioMode.IO_URING, file.aio());
        assertEquals(Map.of("vdev", "xvdb", "ro", ""), file.options());
        assertEquals("file:/img/a.raw,cache=none,aio=io_uring", file.describe());

        final DiskSpec memory = parse("memory:64m");
        assertEquals(DiskSpec.Kind.MEMORY, memory.kind());
        assertEquals(64L << 20, memory.sizeBytes());
        assertNull(memory.target());
        assertEquals(DiskSpec.CacheMode.WRITEBACK, memory.cache());
        assertEquals(DiskSpec.AioMode.AUTO, memory.aio());

        assertEquals(1L << 30, parse("null:1g").sizeBytes());
        assertEquals(DiskSpec.Kind.QCOW2, parse("qcow2:/img/b.qcow2,cache=writethrough").kind());
        final DiskSpec tcp = parse("nbd://localhost:10809/disk");
        assertEquals(DiskSpec.Kind.NBD, tcp.kind());
        assertEquals("nbd://localhost:10809/disk", tcp.target());
        assertEquals("nbd+unix:///disk?socket=/run/nbd.sock",
            parse("nbd+unix:///disk?socket=/run/nbd.sock,guest=g").target());
    }

    @Test
    void anImageIsQcow2UnlessFormatNamesAnotherQemuFormat()
    {
        assertEquals("qcow2", parse("qcow2:/img/b.qcow2").format());
        assertEquals("qcow2:/img/b.qcow2", parse("qcow2:/img/b.qcow2,format=qcow2").describe());
        final DiskSpec raw = parse("qcow2:/img/a.raw,format=raw,cache=none,vdev=xvdb");
        assertEquals("raw", raw.format());
        assertEquals(DiskSpec.CacheMode.NONE, raw.cache());
        assertEquals(Map.of("vdev", "xvdb"), raw.options(), "format is the disk's, not the caller's");
        assertEquals("qcow2:/img/a.raw,format=raw,cache=none", raw.describe());
        assertEquals(new DiskSpec(raw.kind(), raw.target(), 0, raw.cache(), raw.aio(), Map.of(), raw.limits(),
            raw.format()), parse(raw.describe()), "describe parses back to the same disk");
        assertNull(parse("file:/img/a.raw").format());
        assertNull(parse("nbd://localhost/disk").format());
    }

    @Test
    void aFileDiskTakesQemusAioMaxBatch()
    {
        final DiskSpec file = parse("file:/img/a.raw,cache=none,aio-max-batch=8,vdev=xvdb");
        assertEquals(8, file.aioMaxBatch());
        assertEquals(Map.of("vdev", "xvdb"), file.options(), "aio-max-batch is the disk's, not the caller's");
        assertEquals("file:/img/a.raw,cache=none,aio-max-batch=8", file.describe());
        assertEquals(file.aioMaxBatch(), parse(file.describe()).aioMaxBatch(), "describe parses back");
        assertEquals(0, parse("file:/img/a.raw").aioMaxBatch(), "the store's choice unless given");
        assertEquals("file:/img/a.raw", parse("file:/img/a.raw,aio-max-batch=0").describe());
        for (final String bad : new String[] {"-1", "x", "", "4097"})
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> parse("file:/img/a.raw,aio-max-batch=" + bad), bad);
            assertTrue(ex.getMessage().contains("0..4096"), ex.getMessage());
        }
        for (final String other : new String[] {"qcow2:/img/b.qcow2", "nbd://localhost/disk", "memory:64m"})
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> parse(other + ",aio-max-batch=1"), other);
            assertTrue(ex.getMessage().contains("applies to file disks"), ex.getMessage());
        }
    }

    @Test
    void takesQemusThrottlingOptionsOnEveryKind()
    {
        final DiskSpec limited = parse("file:/img/a.raw,iops=500,iops-total-max=2000,iops-total-max-length=10," +
            "bps-read=1048576,iops-size=8192,vdev=xvdc");
        assertEquals(500, limited.limits().avg(ThrottleBucket.IOPS_TOTAL));
        assertEquals(2000, limited.limits().max(ThrottleBucket.IOPS_TOTAL));
        assertEquals(10, limited.limits().maxLength(ThrottleBucket.IOPS_TOTAL));
        assertEquals(1048576, limited.limits().avg(ThrottleBucket.BPS_READ));
        assertEquals(8192, limited.limits().iopsSize());
        assertEquals(Map.of("vdev", "xvdc"), limited.options(), "limits are not the caller's options");
        assertEquals("file:/img/a.raw,bps-read=1048576,iops-total=500,iops-total-max=2000,iops-total-max-length=10," +
            "iops-size=8192", limited.describe());
        assertEquals(1 << 20, parse("nbd://localhost/disk,bps=1048576").limits().avg(ThrottleBucket.BPS_TOTAL));
        assertEquals(ThrottleLimits.NONE, parse("memory:1m").limits());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "disk                       | --disk expects file:PATH, qcow2:PATH, memory:SIZE, null:SIZE",
        "tape:1m                    | --disk kind must be file, qcow2, memory, null or an nbd:// URI, got 'tape'",
        "memory:1000                | --disk size must be a multiple of 512, got 'memory:1000'",
        "memory:lots                | --disk size must be like 512, 4k, 64m or 1g, got 'memory:lots'",
        "file:/x,cache=fast         | --disk cache must be none|writeback|writethrough, got 'fast'",
        "file:/x,aio=native         | --disk aio must be threads|io_uring, got 'native'",
        "memory:1m,cache=none       | --disk cache= applies to file and qcow2 disks, not memory",
        "memory:1m,speed=9          | unknown option 'speed=9' in 'memory:1m,speed=9': --disk takes cache=",
        "memory:1m,vdev=            | unknown option 'vdev=' in 'memory:1m,vdev='",
        "memory:1m,vdev=a,vdev=b    | --disk option vdev given twice",
        "nbd:///disk                | --disk nbd:// needs a host",
        "nbd+unix:///disk           | --disk nbd+unix:// needs ?socket=PATH",
        "null:1m,iops=fast          | --disk iops-total='fast' is not a number within [0, 1000000000000000] in",
        "null:1m,iops=5,iops-total=6| --disk limit iops-total given twice in 'null:1m,iops=5,iops-total=6'",
        "null:1m,bps=5,bps-read=6   | --disk bps-read and bps-total cannot be used at the same time",
        "null:1m,iops=5,iops-total-max=2| --disk iops-total-max=2 cannot be lower than iops-total=5",
        "file:/x,format=raw         | --disk format= applies to qcow2: disks (images served through qemu-nbd)",
        "qcow2:/x,format=Raw        | --disk format must be a qemu format name as qemu-img info prints it",
        "qcow2:/x,format=           | --disk format must be a qemu format name",
        "qcow2:/x,format=raw,format=raw| --disk option format given twice in 'qcow2:/x,format=raw,format=raw'",
    })
    void refusesWhatItCannotParseWithAClearMessage(final String text, final String message)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> parse(text));
        assertTrue(ex.getMessage().startsWith(message), ex.getMessage());
    }

    @Test
    void opensWhatThisBuildHasAndNamesWhatItAcceptsOtherwise(@TempDir final Path tmp) throws Exception
    {
        try (BlockStore store = DiskStores.open(parse("memory:1m"), 512, false))
        {
            assertInstanceOf(MemoryBlockStore.class, store);
            assertEquals(1 << 20, store.sizeBytes());
        }
        try (BlockStore store = DiskStores.open(parse("null:1m"), 4096, false))
        {
            assertEquals(4096, store.logicalSectorSize());
        }
        final Path image = tmp.resolve("a.raw");
        Files.write(image, new byte[8192]);
        try (BlockStore store = DiskStores.open(parse("file:" + image + ",cache=writethrough"), 512, true))
        {
            assertInstanceOf(FileBlockStore.class, store);
            assertTrue(store.isReadOnly());
            assertFalse(store.canFlush(), "writethrough: every write is durable, no flush offered");
            assertEquals(8192, store.sizeBytes());
        }
        try (BlockStore store = DiskStores.open(parse("file:" + image + ",aio=threads"), 512, false))
        {
            assertEquals("threads", ((FileBlockStore)store).engineName());
            assertEquals(io.pvring.aio.CacheMode.WRITEBACK, ((FileBlockStore)store).cacheMode());
            assertTrue(store.canFlush());
            assertFalse(store.canDiscard(), "the worker pool cannot punch holes: no feature-discard");
        }
        try (BlockStore store = DiskStores.open(parse("file:" + image + ",cache=none,aio=threads"), 512, false))
        {
            assertEquals(io.pvring.aio.CacheMode.NONE, ((FileBlockStore)store).cacheMode());
        }
    }

    @Test
    void nbdAndImageDisksThatCannotBeServedSayWhichAndWhy(@TempDir final Path tmp)
    {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        final UncheckedIOException refused = assertThrows(UncheckedIOException.class,
            () -> DiskStores.open(parse("nbd://127.0.0.1:1/disk"), 512, false));
        assertTrue(refused.getMessage().startsWith("cannot open disk 'nbd://127.0.0.1:1/disk': NBD server " +
            "nbd://127.0.0.1:1/disk unreachable"), refused.getMessage());
        final Path missing = tmp.resolve("none.qcow2");
        final UncheckedIOException absent = assertThrows(UncheckedIOException.class,
            () -> DiskStores.open(parse("qcow2:" + missing), 512, false));
        assertEquals("cannot open disk 'qcow2:" + missing + "': disk image " + missing + " does not exist",
            absent.getMessage());
        assertTrue(DiskStores.AVAILABLE.contains("qcow2:PATH") && DiskStores.AVAILABLE.contains("nbd+unix://"),
            DiskStores.AVAILABLE);
    }
}
