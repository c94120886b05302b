package io.pvring.blkback;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.pvring.blkback.store.BlockStore;
import io.pvring.blkback.store.DiskSpec;
import io.pvring.blkback.store.DiskStores;
import io.pvring.blkback.store.NbdBlockStore;
import io.pvring.blkback.test.ExternalTools;
import io.pvring.blkfront.BlkCompletionHandler;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.nbd.NbdClientConfig;
import io.pvring.nbd.NbdkitServer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_ERROR;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link NbdBlockStore} end to end, blkfront to blkback to a real NBD server (qemu-nbd serving qcow2, nbdkit's
 * memory plugin with its error and delay filters), the ring stepped on the test thread, which drives the client on
 * its io_uring (the event-loop path, where completions arrive on the client's loop, in a subclass).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class NbdStoreTest
{
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(30);
    private static final int SECTOR = 512;

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

    /** Records blkfront completions by cookie, and their order. */
    private static final class Answers implements BlkCompletionHandler
    {
        final int[] status = new int[4096];
        final int[] order = new int[4096];
        int count;

        Answers()
        {
            Arrays.fill(status, Integer.MIN_VALUE);
        }

        public void onCompletion(final long cookie, final int operation, final int result)
        {
            status[(int)cookie] = result;
            order[(int)cookie] = count++;
        }
    }

    /** Steps the ring and the frontend until {@code expected} answers came, bounded. */
    private static void await(final CoreRig rig, final BlkFrontQueue queue, final Answers answers,
        final int expected, final BlockStore store, final String what)
    {
        final BlkRing ring = rig.back.rings().get(0);
        final long deadline = System.nanoTime() + WAIT_NS;
        while (answers.count < expected)
        {
            ring.doWork();
            queue.poll(answers);
            if (System.nanoTime() - deadline > 0)
            {
                fail(what + ": " + answers.count + " of " + expected + " answers within 30 s from " + store);
            }
            Thread.yield();
        }
    }

    private static BlkFrontConfig front()
    {
        return BlkFrontConfig.builder().maxIndirectSegments(32).poolPages(600).build();
    }

    private NbdkitServer nbdkit(final List<String> filters, final String... args) throws Exception
    {
        ExternalTools.require("nbdkit", "nbdkit");
        final List<String> plugin = new java.util.ArrayList<>(List.of("memory", "size=16M"));
        plugin.addAll(List.of(args));
        return NbdkitServer.unix(dir, filters, plugin);
    }

    private NbdBlockStore open(final NbdkitServer server, final boolean fuaWrites) throws Exception
    {
        final NbdBlockStore store = NbdBlockStore.open(server.uri(), config().maxInFlight(64), null, SECTOR, false,
            fuaWrites, 256);
        assertEquals(dataPath() == NbdClientConfig.DataPath.RING, store.onRing(), "data path of " + store);
        return store;
    }

    @Test
    void randomWriteFlushDiscardWorkloadIntoQcow2IsCleanAndEqualsTheModel() throws Exception
    {
        ExternalTools.require("qemu-img", "qemu-utils");
        ExternalTools.require("qemu-nbd", "qemu-utils");
        final int size = 16 << 20;
        final int slot = 128 * 1024; // writes and discards of one round never share a slot
        final Path image = dir.resolve("disk.qcow2");
        ExternalTools.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", image.toString(), Integer.toString(size)));
        final byte[] model = new byte[size];
        final Random random = new Random(9);
        final BlockStore store = DiskStores.open(DiskSpec.parse("--disk", "qcow2:" + image, Set.of(), Set.of()),
            SECTOR, false);
        try (CoreRig rig = new CoreRig(store, BlkBackConfig.defaults(), front()))
        {
            assertEquals(size, store.sizeBytes());
            assertTrue(store.canFlush() && store.canDiscard(), store.describe());
            final BlkFrontQueue queue = rig.front.queue(0);
            final UnsafeBuffer data = new UnsafeBuffer(new byte[64 * SECTOR]);
            for (int round = 0; round < 40; round++)
            {
                final Answers answers = new Answers();
                final int[] slots = random.ints(0, size / slot).distinct().limit(7).toArray();
                int cookie = 0;
                for (int i = 0; i < 6; i++)
                {
                    final int sectors = 1 + random.nextInt(64);
                    final long sector = (long)slots[i] * slot / SECTOR + random.nextInt(slot / SECTOR - sectors);
                    final byte[] bytes = new byte[sectors * SECTOR];
                    random.nextBytes(bytes);
                    data.putBytes(0, bytes);
                    assertTrue(queue.write(sector, sectors, data, 0, cookie++), "write queued");
                    System.arraycopy(bytes, 0, model, (int)(sector * SECTOR), bytes.length);
                }
                if (round % 3 == 0)
                {
                    // Whole qcow2 clusters (64 KiB) of a slot no write of this round touches: they read back zeros.
                    final long start = (long)slots[6] * slot + (random.nextBoolean() ? 0 : 65536);
                    assertTrue(queue.discard(start / SECTOR, 65536 / SECTOR, false, cookie++), "discard queued");
                    Arrays.fill(model, (int)start, (int)start + 65536, (byte)0);
                }
                assertTrue(queue.flush(cookie++), "flush queued");
                queue.push();
                await(rig, queue, answers, cookie, store, "round " + round);
                for (int c = 0; c < cookie; c++)
                {
                    assertEquals(BLKIF_RSP_OKAY, answers.status[c], "round " + round + " request " + c);
                }
            }
            final UnsafeBuffer back = new UnsafeBuffer(new byte[128 * SECTOR]);
            for (long offset = 0; offset < size; offset += back.capacity())
            {
                final Answers answers = new Answers();
                assertTrue(queue.read(offset / SECTOR, 128, back, 0, 0), "read queued");
                queue.push();
                await(rig, queue, answers, 1, store, "read at " + offset);
                assertEquals(BLKIF_RSP_OKAY, answers.status[0], "read at " + offset);
                for (int i = 0; i < back.capacity(); i++)
                {
                    if (back.getByte(i) != model[(int)offset + i])
                    {
                        fail("byte " + (offset + i) + " read " + back.getByte(i) + ", model " + model[(int)offset + i]);
                    }
                }
            }
            rig.back.disconnect();
        }
        finally
        {
            store.close();
        }
        ExternalTools.run(List.of("qemu-img", "check", "-q", "-f", "qcow2", image.toString()));
        final Path raw = dir.resolve("model.raw");
        Files.write(raw, model);
        ExternalTools.run(List.of("qemu-img", "compare", "-q", "-f", "qcow2", "-F", "raw", image.toString(),
            raw.toString()));
    }

    @Test
    void injectedErrorsAreAnsweredWithErrorWhileTheDeviceKeepsServing() throws Exception
    {
        final Path trigger = dir.resolve("fail-now");
        try (NbdkitServer server = nbdkit(List.of("error"), "error=EIO", "error-rate=100%",
            "error-file=" + trigger);
            NbdBlockStore store = open(server, false);
            CoreRig rig = new CoreRig(store, BlkBackConfig.defaults(), front()))
        {
            final BlkFrontQueue queue = rig.front.queue(0);
            final UnsafeBuffer data = new UnsafeBuffer(new byte[8 * SECTOR]);
            data.setMemory(0, data.capacity(), (byte)0x5A);
            Answers answers = new Answers();
            queue.write(64, 8, data, 0, 0);
            queue.push();
            await(rig, queue, answers, 1, store, "write before the errors");
            assertEquals(BLKIF_RSP_OKAY, answers.status[0]);

            Files.createFile(trigger);
            answers = new Answers();
            queue.write(128, 8, data, 0, 0);
            queue.read(64, 8, new UnsafeBuffer(new byte[8 * SECTOR]), 0, 1);
            queue.discard(256, 8, false, 2);
            queue.push();
            await(rig, queue, answers, 3, store, "requests the server fails");
            for (int c = 0; c < 3; c++)
            {
                assertEquals(BLKIF_RSP_ERROR, answers.status[c], "request " + c + " while the server injects EIO");
            }

            Files.delete(trigger);
            answers = new Answers();
            final UnsafeBuffer back = new UnsafeBuffer(new byte[8 * SECTOR]);
            queue.read(64, 8, back, 0, 0);
            queue.push();
            await(rig, queue, answers, 1, store, "read after the errors");
            assertEquals(BLKIF_RSP_OKAY, answers.status[0], "the device still serves");
            for (int i = 0; i < back.capacity(); i++)
            {
                assertEquals((byte)0x5A, back.getByte(i), "byte " + i + " of the first write");
            }
            assertEquals(null, store.failure(), "the connection survived");
        }
    }

    @Test
    void slowWritesCompleteOutOfOrderAndAFlushIsAnsweredOnlyAfterThem() throws Exception
    {
        try (NbdkitServer server = nbdkit(List.of("delay"), "delay-write=2");
            NbdBlockStore store = open(server, false);
            CoreRig rig = new CoreRig(store, BlkBackConfig.defaults(), front()))
        {
            final BlkFrontQueue queue = rig.front.queue(0);
            final UnsafeBuffer one = new UnsafeBuffer(new byte[8 * SECTOR]);
            final UnsafeBuffer two = new UnsafeBuffer(new byte[8 * SECTOR]);
            one.setMemory(0, one.capacity(), (byte)1);
            two.setMemory(0, two.capacity(), (byte)2);
            final Answers answers = new Answers();
            queue.write(0, 8, one, 0, 0);
            queue.write(8, 8, two, 0, 1);
            queue.flush(2);
            final UnsafeBuffer back = new UnsafeBuffer(new byte[8 * SECTOR]);
            back.setMemory(0, back.capacity(), (byte)7);
            queue.read(1024, 8, back, 0, 3);
            queue.push();
            await(rig, queue, answers, 4, store, "writes, flush and read");
            for (int c = 0; c < 4; c++)
            {
                assertEquals(BLKIF_RSP_OKAY, answers.status[c], "request " + c);
            }
            assertEquals(0, answers.order[3], "the read, sent last, is answered first while the writes wait 2 s");
            assertTrue(answers.order[2] > answers.order[0] && answers.order[2] > answers.order[1],
                "the flush is answered after both writes: " + Arrays.toString(Arrays.copyOf(answers.order, 4)));
            for (int i = 0; i < back.capacity(); i++)
            {
                assertEquals(0, back.getByte(i), "byte " + i + " of the unwritten range");
            }
            final Answers check = new Answers();
            final UnsafeBuffer both = new UnsafeBuffer(new byte[16 * SECTOR]);
            queue.read(0, 16, both, 0, 0);
            queue.push();
            await(rig, queue, check, 1, store, "read back");
            assertEquals(1, both.getByte(0));
            assertEquals(2, both.getByte(16 * SECTOR - 1));
        }
    }

    @Test
    void aServerKilledMidIoFailsItsRequestsAndAnotherDeviceKeepsServing() throws Exception
    {
        try (NbdkitServer dying = nbdkit(List.of("delay"), "delay-write=5");
            NbdkitServer healthy = nbdkit(List.of());
            NbdBlockStore lost = open(dying, false);
            NbdBlockStore kept = open(healthy, false);
            CoreRig rigLost = new CoreRig(lost, BlkBackConfig.defaults(), front());
            CoreRig rigKept = new CoreRig(kept, BlkBackConfig.defaults(), front()))
        {
            final BlkFrontQueue queue = rigLost.front.queue(0);
            final UnsafeBuffer data = new UnsafeBuffer(new byte[8 * SECTOR]);
            final Answers answers = new Answers();
            for (int c = 0; c < 8; c++)
            {
                queue.write(c * 8L, 8, data, 0, c);
            }
            queue.flush(8);
            queue.push();
            final BlkRing ring = rigLost.back.rings().get(0);
            ring.doWork();
            assertEquals(9, ring.inFlight(), "the writes and the flush are in flight");
            dying.process().kill();
            await(rigLost, queue, answers, 9, lost, "requests in flight when the server died");
            for (int c = 0; c < 9; c++)
            {
                assertEquals(BLKIF_RSP_ERROR, answers.status[c], "request " + c);
            }
            assertNotNull(lost.failure(), "the store says why");
            assertTrue(lost.failure().contains(dying.uri().socketPath()), "names the server: " + lost.failure());

            final Answers later = new Answers();
            queue.read(0, 8, data, 0, 0);
            queue.push();
            await(rigLost, queue, later, 1, lost, "a request after the server died");
            assertEquals(BLKIF_RSP_ERROR, later.status[0]);
            assertFalse(rigLost.pair.front().queue(0).isBroken(), "the ring itself is intact");

            final BlkFrontQueue other = rigKept.front.queue(0);
            final Answers served = new Answers();
            other.write(0, 8, data, 0, 0);
            other.flush(1);
            other.read(0, 8, data, 0, 2);
            other.push();
            await(rigKept, other, served, 3, kept, "the other device");
            for (int c = 0; c < 3; c++)
            {
                assertEquals(BLKIF_RSP_OKAY, served.status[c], "other device request " + c);
            }
        }
    }

    @Test
    void writethroughWithoutServerFuaWritesThenFlushes() throws Exception
    {
        final Path log = dir.resolve("requests.log");
        try (NbdkitServer server = nbdkit(List.of("log", "fua"), "logfile=" + log);
            NbdBlockStore store = open(server, true);
            CoreRig rig = new CoreRig(store, BlkBackConfig.defaults(), front()))
        {
            assertFalse(store.export().canFua(), "the fua filter hides FUA");
            final BlkFrontQueue queue = rig.front.queue(0);
            final Answers answers = new Answers();
            queue.write(0, 8, new UnsafeBuffer(new byte[8 * SECTOR]), 0, 0);
            queue.push();
            await(rig, queue, answers, 1, store, "writethrough write");
            assertEquals(BLKIF_RSP_OKAY, answers.status[0]);
        }
        final String text = Files.readString(log);
        final int write = text.indexOf(" Write ");
        assertTrue(write >= 0, "the write reached the server: " + text);
        assertTrue(text.indexOf(" Flush ", write) > write, "a flush followed the write before it completed: " + text);
    }
    @Test
    void iosWaitForFreeClientSlotsAndAllComplete() throws Exception
    {
        // One NBD request at a time for 32 multi-segment ios: all but the first wait parked for a completion.
        try (NbdkitServer server = nbdkit(List.of());
            NbdBlockStore store = NbdBlockStore.open(server.uri(), config().maxInFlight(1), null, SECTOR,
                false, false, 64);
            CoreRig rig = new CoreRig(store, BlkBackConfig.defaults(), front()))
        {
            final BlkFrontQueue queue = rig.front.queue(0);
            final UnsafeBuffer data = new UnsafeBuffer(new byte[32 * 64 * SECTOR]);
            for (int i = 0; i < data.capacity(); i++)
            {
                data.putByte(i, (byte)(i * 7 + (i >> 9)));
            }
            final Answers writes = new Answers();
            for (int c = 0; c < 32; c++)
            {
                assertTrue(queue.write(c * 64L, 64, data, c * 64 * SECTOR, c), "write " + c + " queued");
            }
            queue.push();
            await(rig, queue, writes, 32, store, "32 writes through one client slot");
            final UnsafeBuffer back = new UnsafeBuffer(new byte[data.capacity()]);
            final Answers reads = new Answers();
            for (int c = 0; c < 32; c++)
            {
                assertTrue(queue.read(c * 64L, 64, back, c * 64 * SECTOR, c), "read " + c + " queued");
            }
            queue.push();
            await(rig, queue, reads, 32, store, "32 reads through one client slot");
            for (int c = 0; c < 32; c++)
            {
                assertEquals(BLKIF_RSP_OKAY, writes.status[c], "write " + c);
                assertEquals(BLKIF_RSP_OKAY, reads.status[c], "read " + c);
            }
            for (int i = 0; i < data.capacity(); i++)
            {
                if (data.getByte(i) != back.getByte(i))
                {
                    fail("byte " + i + " read back " + back.getByte(i) + ", written " + data.getByte(i));
                }
            }
        }
    }
}
