package io.pvring.blkback;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.pvring.blkback.store.NbdBlockStore;
import io.pvring.blkback.test.ExternalTools;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.nbd.NbdClientConfig;
import io.pvring.nbd.QemuNbdConfig;
import io.pvring.nbd.QemuNbdServer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Crash consistency through an image format: blkback serves a qcow2 image through qemu-nbd (writeback cache), the
 * frontend writes epochs of blocks each followed by a flush, and qemu-nbd is killed with SIGKILL while an epoch's
 * writes are in flight. {@code qemu-img check} then finds no corruption (leaked clusters are allowed: a kill may
 * leave them), and every block of every epoch acknowledged before a completed flush reads back as written.
 */
class NbdCrashConsistencyTest
{
    private static final int BLOCK = CrashConsistencyTest.pattern(0, 0).capacity();
    private static final int BLOCKS_PER_EPOCH = 16;
    private static final int FLUSHES_BEFORE_KILL = 24;
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(30);
    /** {@code qemu-img check}: 0 clean, 3 leaked clusters only (no corruption). */
    private static final int CHECK_LEAKS_ONLY = 3;

        /** The NBD client's data path under test; the event-loop path runs the same tests in a subclass. */
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

    /** Steps the ring and the frontend until {@code expected} answers came, bounded; returns the OK ones. */
    private static int await(final CoreRig rig, final BlkFrontQueue queue, final int expected, final String what)
    {
        final int[] answers = new int[2];
        queue.push();
        final long deadline = System.nanoTime() + WAIT_NS;
        while (answers[0] < expected)
        {
            rig.back.rings().get(0).doWork();
            queue.poll((cookie, op, status) ->
            {
                answers[0]++;
                answers[1] += status == BLKIF_RSP_OKAY ? 1 : 0;
            });
            if (System.nanoTime() - deadline > 0)
            {
                fail(what + ": " + answers[0] + " of " + expected + " answers within 30 s");
            }
            Thread.yield();
        }
        return answers[1];
    }

    private static void queueEpoch(final BlkFrontQueue queue, final int epoch)
    {
        for (int i = 0; i < BLOCKS_PER_EPOCH; i++)
        {
            assertTrue(queue.write(CrashConsistencyTest.offset(epoch, i) >> 9, BLOCK >> 9,
                CrashConsistencyTest.pattern(epoch, i), 0, i), "write queued");
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyWriteAcknowledgedBeforeACompletedFlushSurvivesQemuNbdKilled() throws Exception
    {
        ExternalTools.require("qemu-img", "qemu-utils");
        ExternalTools.require("qemu-nbd", "qemu-utils");
        final Path image = dir.resolve("crash.qcow2");
        ExternalTools.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", image.toString(), "64M"));
        final List<Integer> flushed = new ArrayList<>();
        try (QemuNbdServer server = QemuNbdServer.start(image,
            new QemuNbdConfig().format("qcow2").cache("writeback").runtimeDirectory(dir)))
        {
            try (NbdBlockStore store = NbdBlockStore.open(server.uri(), config(), null, 512, false,
                false, 256);
                CoreRig rig = new CoreRig(store, BlkBackConfig.defaults(), BlkFrontConfig.builder().poolPages(200)
                    .build()))
            {
                final BlkFrontQueue queue = rig.front.queue(0);
                for (int epoch = 0; epoch < FLUSHES_BEFORE_KILL; epoch++)
                {
                    queueEpoch(queue, epoch);
                    assertEquals(BLOCKS_PER_EPOCH, await(rig, queue, BLOCKS_PER_EPOCH, "epoch " + epoch));
                    assertTrue(queue.flush(BLOCKS_PER_EPOCH), "flush queued");
                    assertEquals(1, await(rig, queue, 1, "the flush of epoch " + epoch));
                    flushed.add(epoch);
                }
                queueEpoch(queue, FLUSHES_BEFORE_KILL);
                queue.push();
                rig.back.rings().get(0).doWork();
                assertTrue(rig.back.rings().get(0).inFlight() > 0, "the next epoch's writes are in flight");
                server.kill(); // SIGKILL: qemu-nbd flushes nothing more
                await(rig, queue, BLOCKS_PER_EPOCH, "the writes in flight when qemu-nbd died");
                rig.back.disconnect();
            }
        }
        final ExternalTools.Result check = ExternalTools.runForResult(List.of("qemu-img", "check", "-f", "qcow2",
            image.toString()));
        assertTrue(check.exit() == 0 || check.exit() == CHECK_LEAKS_ONLY, "qemu-img check after SIGKILL, exit " +
            check.exit() + ":\n" + check.output());
        final Path raw = dir.resolve("crash.raw");
        ExternalTools.run(List.of("qemu-img", "convert", "-f", "qcow2", "-O", "raw", image.toString(),
            raw.toString()));
        try (RandomAccessFile file = new RandomAccessFile(raw.toFile(), "r"))
        {
            final byte[] block = new byte[BLOCK];
            for (final int epoch : flushed)
            {
                for (int i = 0; i < BLOCKS_PER_EPOCH; i++)
                {
                    file.seek(CrashConsistencyTest.offset(epoch, i));
                    file.readFully(block);
                    final UnsafeBuffer expected = CrashConsistencyTest.pattern(epoch, i);
                    for (int b = 0; b < BLOCK; b++)
                    {
                        if (block[b] != expected.getByte(b))
                        {
                            fail("epoch " + epoch + " block " + i + " (acknowledged before a completed flush) " +
                                "differs at byte " + b + " after qemu-nbd was killed");
                        }
                    }
                }
            }
        }
    }
}
