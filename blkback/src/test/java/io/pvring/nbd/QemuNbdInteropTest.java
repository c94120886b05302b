package io.pvring.nbd;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import io.pvring.blkback.test.ExternalTools;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link NbdClient} through {@link QemuNbdServer} on raw and qcow2 images, checked with qemu-img and qemu-io. */
class QemuNbdInteropTest
{
    private static final long WAIT_MS = 30_000;
    private static final int REGION = 64 << 10;

    /** The data path under test; the event-loop path runs the same tests in a subclass. */
    NbdClientConfig.DataPath dataPath()
    {
        return NbdClientConfig.DataPath.RING;
    }

    NbdClientConfig config()
    {
        return new NbdClientConfig().dataPath(dataPath());
    }

    @TempDir
    Path dir;

    private static UnsafeBuffer offHeap(final int size)
    {
        return new UnsafeBuffer(ByteBuffer.allocateDirect(size));
    }

    private static void requireQemu()
    {
        NbdTools.require("qemu-nbd", "qemu-utils");
        NbdTools.require("qemu-img", "qemu-utils");
        NbdTools.require("qemu-io", "qemu-utils");
    }

    @Test
    void aRawImageRoundTripsWithQemuIo() throws Exception
    {
        requireQemu();
        final Path image = dir.resolve("disk.raw");
        NbdTools.runOk(List.of("qemu-img", "create", "-f", "raw", image.toString(), "16M"));
        NbdTools.runOk(List.of("qemu-io", "-f", "raw", "-c", "write -P 0xcd 1M 64k", image.toString()));
        final CompletionLog log = new CompletionLog();
        final long pid;
        final Path socket;
        try (QemuNbdServer server = QemuNbdServer.start(image, new QemuNbdConfig()))
        {
            pid = server.pid();
            socket = Path.of(server.uri().socketPath());
            assertEquals("raw", server.format(), "probed format");
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(socket.getParent())), "private socket directory");
            try (NbdClient client = log.drive(NbdClient.connect(server.uri(), config(), log)))
            {
                assertEquals(16L << 20, client.export().size());
                final UnsafeBuffer back = offHeap(65536 + 1024);
                assertEquals(0, client.submitRead(1, (1 << 20) - 512, back.capacity(), back, 0));
                client.flushBatch();
                log.awaitCount(1, WAIT_MS, "read of qemu-io's data");
                assertEquals(back.capacity(), log.result(1));
                assertEquals(0, back.getByte(0));
                assertEquals((byte)0xCD, back.getByte(512));
                assertEquals((byte)0xCD, back.getByte(512 + 65535));
                assertEquals(0, back.getByte(512 + 65536));

                final UnsafeBuffer ab = offHeap(12288);
                ab.setMemory(0, ab.capacity(), (byte)0xAB);
                assertEquals(0, client.submitWrite(2, 5L << 20, ab.capacity(), ab, 0, false));
                assertEquals(0, client.submitFlush(3));
                client.flushBatch();
                log.awaitCount(3, WAIT_MS, "write and flush");
                assertEquals(12288, log.result(2));
                assertEquals(0, log.result(3));
            }
            assertTrue(log.disconnected() != null, "close reports the disconnect");
        }
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "qemu-nbd stopped");
        assertFalse(Files.exists(socket.getParent()), "private directory removed");
        final String out = NbdTools.runOk(List.of("qemu-io", "-f", "raw", "-r",
            "-c", "read -P 0xab 5M 12k", "-c", "read -P 0 0 1M", image.toString()));
        assertTrue(out.contains("read 12288/12288 bytes") && !out.contains("verification failed"), out);
    }

    @Test
    void aRandomWorkloadIntoQcow2MatchesAModelAndChecksClean() throws Exception
    {
        requireQemu();
        final int size = 32 << 20;
        final Path image = dir.resolve("disk.qcow2");
        final Path modelFile = dir.resolve("model.raw");
        NbdTools.runOk(List.of("qemu-img", "create", "-f", "qcow2", image.toString(), Integer.toString(size)));
        final byte[] model = new byte[size];
        final Random random = new Random(0x5eed);
        final CompletionLog log = new CompletionLog();
        try (QemuNbdServer server = QemuNbdServer.start(image, new QemuNbdConfig()))
        {
            assertEquals("qcow2", server.format(), "probed format");
            try (NbdClient client = log.drive(NbdClient.connect(server.uri(), config().maxInFlight(64), log)))
            {
                final UnsafeBuffer buffers = offHeap(16 * REGION);
                long tag = 0;
                for (int batch = 0; batch < 40; batch++)
                {
                    // Requests in flight together touch distinct regions: NBD does not order overlapping ones.
                    final int[] regions = random.ints(0, size / REGION).distinct().limit(16).toArray();
                    final long first = tag;
                    for (int i = 0; i < regions.length; i++)
                    {
                        final long regionStart = (long)regions[i] * REGION;
                        final int op = random.nextInt(10);
                        final int length = 4096 * (1 + random.nextInt(REGION / 4096));
                        final long offset = regionStart + 4096L * random.nextInt((REGION - length) / 4096 + 1);
                        final int result;
                        if (op < 6)
                        {
                            final byte[] bytes = new byte[length];
                            random.nextBytes(bytes);
                            buffers.putBytes(i * REGION, bytes);
                            System.arraycopy(bytes, 0, model, (int)offset, length);
                            result = client.submitWrite(tag, offset, length, buffers, i * REGION,
                                random.nextInt(5) == 0);
                        }
                        else if (op < 8)
                        {
                            // Whole qcow2 clusters: a partial-cluster discard may leave the data in place.
                            java.util.Arrays.fill(model, (int)regionStart, (int)regionStart + REGION, (byte)0);
                            result = client.submitTrim(tag, regionStart, REGION);
                        }
                        else
                        {
                            java.util.Arrays.fill(model, (int)offset, (int)offset + length, (byte)0);
                            result = client.submitWriteZeroes(tag, offset, length, random.nextBoolean(), false);
                        }
                        assertEquals(0, result, "submit " + tag);
                        tag++;
                    }
                    if (random.nextInt(3) == 0)
                    {
                        assertEquals(0, client.submitFlush(tag++));
                    }
                    client.flushBatch();
                    log.awaitCount((int)tag, WAIT_MS, "batch " + batch);
                    for (long t = first; t < tag; t++)
                    {
                        assertTrue(log.result(t) >= 0, "tag " + t + ": " + NbdErrno.name(log.result(t)));
                    }
                }
                assertEquals(0, client.submitFlush(tag++));

                // Read the whole disk back through the client, 1 MiB requests in flight together.
                final UnsafeBuffer back = offHeap(size);
                final long firstRead = tag;
                for (int off = 0; off < size; off += 1 << 20)
                {
                    assertEquals(0, client.submitRead(tag++, off, 1 << 20, back, off));
                }
                client.flushBatch();
                log.awaitCount((int)tag, WAIT_MS, "read back");
                for (long t = firstRead; t < tag; t++)
                {
                    assertEquals(1 << 20, log.result(t), "read " + t);
                }
                for (int i = 0; i < size; i++)
                {
                    if (back.getByte(i) != model[i])
                    {
                        throw new AssertionError("byte " + i + " read " + back.getByte(i) + " model " + model[i]);
                    }
                }
            }
        }
        Files.write(modelFile, model);
        final ExternalTools.Result check = NbdTools.run(List.of("qemu-img", "check", "-f", "qcow2", image.toString()));
        assertEquals(0, check.exit(), check.output());
        assertTrue(check.output().contains("No errors were found"), check.output());
        final ExternalTools.Result compare = NbdTools.run(List.of("qemu-img", "compare", "-f", "qcow2", "-F", "raw",
            image.toString(), modelFile.toString()));
        assertEquals(0, compare.exit(), compare.output());
        assertTrue(compare.output().contains("Images are identical"), compare.output());
    }

    @Test
    void aMissingExportIsRefusedWithTheServersReason() throws Exception
    {
        requireQemu();
        final Path image = dir.resolve("disk.raw");
        NbdTools.runOk(List.of("qemu-img", "create", "-f", "raw", image.toString(), "1M"));
        try (QemuNbdServer server = QemuNbdServer.start(image, new QemuNbdConfig().format("raw")))
        {
            final NbdUri wrong = NbdUri.unix(server.uri().socketPath(), "nope");
            final NbdException refused = assertThrows(NbdException.class,
                () -> NbdClient.connect(wrong, config(), new CompletionLog()));
            final String message = refused.getMessage();
            assertTrue(message.contains("NBD_REP_ERR_UNKNOWN") && message.contains("'nope'") &&
                message.contains(server.uri().socketPath()), message);
        }
    }

    @Test
    void aBrokenImageFailsToStartWithQemusMessage() throws Exception
    {
        requireQemu();
        final Path image = dir.resolve("broken.qcow2");
        Files.write(image, new byte[]{'Q', 'F', 'I', (byte)0xfb, 0, 0, 0, 3});
        final java.io.IOException failed = assertThrows(java.io.IOException.class,
            () -> QemuNbdServer.start(image, new QemuNbdConfig().format("qcow2")));
        // qemu-nbd's own stderr ("Failed to blk_new_open ...: Unsupported cluster size") is in the message.
        assertTrue(failed.getMessage().contains("qemu-nbd") && failed.getMessage().contains(image.toString()) &&
            failed.getMessage().contains("blk_new_open"), failed.getMessage());
        try (var left = Files.list(Path.of(System.getProperty("java.io.tmpdir"))))
        {
            assertTrue(left.noneMatch(p -> Files.exists(p.resolve("qemu-nbd.log")) &&
                readQuietly(p.resolve("qemu-nbd.log")).contains(image.toString())),
                "the private directory of a failed start is removed");
        }
    }

    private static String readQuietly(final Path path)
    {
        try
        {
            return Files.readString(path);
        }
        catch (final java.io.IOException ex)
        {
            return "";
        }
    }

    @Test
    void qemuNbdKilledMidIoFailsWhatIsInFlightAndFlushedDataSurvives() throws Exception
    {
        requireQemu();
        final Path image = dir.resolve("disk.raw");
        NbdTools.runOk(List.of("qemu-img", "create", "-f", "raw", image.toString(), "128M"));
        final UnsafeBuffer flushed = offHeap(4 << 20);
        for (int i = 0; i < flushed.capacity(); i++)
        {
            flushed.putByte(i, (byte)(i * 7 + (i >> 12)));
        }
        final CompletionLog log = new CompletionLog();
        try (QemuNbdServer server = QemuNbdServer.start(image, new QemuNbdConfig().format("raw"));
            NbdClient client = log.drive(NbdClient.connect(server.uri(), config().maxInFlight(64), log)))
        {
            assertEquals(0, client.submitWrite(0, 0, flushed.capacity(), flushed, 0, false));
            assertEquals(0, client.submitFlush(1));
            client.flushBatch();
            log.awaitCount(2, WAIT_MS, "acknowledged write and flush");
            assertEquals(flushed.capacity(), log.result(0));
            assertEquals(0, log.result(1));

            // 64 MiB of writes in flight, then SIGKILL while the client is still sending them.
            final UnsafeBuffer flood = offHeap(1 << 20);
            for (int i = 0; i < 62; i++)
            {
                assertEquals(0, client.submitWrite(2 + i, (8L << 20) + (long)i * (1 << 20), 1 << 20, flood, 0,
                    false));
            }
            assertEquals(0, client.submitFlush(64));
            client.flushBatch();
            server.kill();
            log.awaitCount(65, WAIT_MS, "every request after SIGKILL");
            int failed = 0;
            for (int t = 2; t <= 64; t++)
            {
                final int result = log.result(t);
                assertTrue(result >= 0 || result == NbdErrno.ESHUTDOWN, "tag " + t + ": " + NbdErrno.name(result));
                failed += result < 0 ? 1 : 0;
            }
            assertTrue(failed > 0, "some requests were in flight when qemu-nbd died: " + log.describe());
            log.awaitDisconnected(WAIT_MS);
            assertTrue(log.disconnected().contains(server.uri().toString()), log.disconnected());
            assertEquals(NbdErrno.ESHUTDOWN, client.submitFlush(99));
        }

        // Reopened, the image holds everything acknowledged before the completed flush.
        final CompletionLog again = new CompletionLog();
        try (QemuNbdServer server = QemuNbdServer.start(image, new QemuNbdConfig().format("raw"));
            NbdClient client = again.drive(NbdClient.connect(server.uri(), config(), again)))
        {
            final UnsafeBuffer back = offHeap(flushed.capacity());
            assertEquals(0, client.submitRead(0, 0, back.capacity(), back, 0));
            client.flushBatch();
            again.awaitCount(1, WAIT_MS, "read after restart");
            for (int i = 0; i < back.capacity(); i++)
            {
                assertEquals(flushed.getByte(i), back.getByte(i), "flushed byte " + i);
            }
        }
    }
}
