package io.pvring.blkback;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.pvring.aio.CacheMode;
import io.pvring.blkback.local.BlkLocalPair;
import io.pvring.blkback.store.FileBlockStore;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.event.WaitMode;
import io.pvring.host.Hypervisor;
import io.pvring.runner.RunnerPool;
import io.pvring.runner.RunnerPoolConfig;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A child JVM serves an image through blkback ({@link FileBlockStore}, real ring thread) to its blkfront, which
 * writes epochs of blocks, each followed by a flush, and reports every flush it saw acknowledged on stdout. The
 * test kills the child with SIGKILL in the middle of the workload, reopens the image, and checks that every block
 * of every epoch acknowledged before a completed flush holds exactly what was written.
 */
class CrashConsistencyTest
{
    private static final int BLOCK = 4096;
    private static final int BLOCKS_PER_EPOCH = 16;
    private static final int FLUSHES_BEFORE_KILL = 40;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "cache={0}")
    @ValueSource(strings = { "writeback", "none" })
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyWriteAcknowledgedBeforeACompletedFlushSurvivesSigkill(final String cache) throws Exception
    {
        final Path image = dir.resolve("crash.img");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw"))
        {
            file.setLength(64L << 20);
        }
        final Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
        final List<String> command = new ArrayList<>(List.of(java.toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED"));
        // Whatever else this JVM was given to reach JDK internals (io_uring's native access on newer JDKs).
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (arg.startsWith("--add-") && arg.contains("=") || arg.startsWith("--enable-native-access"))
            {
                command.add(arg);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName(),
            image.toString(), cache));
        final Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        final List<Integer> flushedEpochs = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(
            new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII)))
        {
            String line;
            while (flushedEpochs.size() < FLUSHES_BEFORE_KILL && (line = out.readLine()) != null)
            {
                if (line.startsWith("FLUSHED "))
                {
                    flushedEpochs.add(Integer.parseInt(line.substring(8)));
                }
            }
            assertEquals(FLUSHES_BEFORE_KILL, flushedEpochs.size(), "the child acknowledged flushes before it ended");
            child.destroyForcibly(); // SIGKILL, with the next epoch's writes in flight
        }
        finally
        {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the killed child exits");
        }
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "r"))
        {
            final byte[] block = new byte[BLOCK];
            for (final int epoch : flushedEpochs)
            {
                for (int i = 0; i < BLOCKS_PER_EPOCH; i++)
                {
                    file.seek(offset(epoch, i));
                    file.readFully(block);
                    final UnsafeBuffer expected = pattern(epoch, i);
                    for (int b = 0; b < BLOCK; b++)
                    {
                        if (block[b] != expected.getByte(b))
                        {
                            throw new AssertionError("epoch " + epoch + " block " + i + " (acknowledged before a " +
                                "completed flush) differs at byte " + b + " after SIGKILL");
                        }
                    }
                }
            }
        }
    }

    /** Every epoch writes its own blocks, so a later epoch cut short by the kill never overwrites a flushed one. */
    static long offset(final int epoch, final int block)
    {
        return ((long)epoch * BLOCKS_PER_EPOCH + block) * BLOCK;
    }

    static UnsafeBuffer pattern(final int epoch, final int block)
    {
        final UnsafeBuffer data = new UnsafeBuffer(new byte[BLOCK]);
        for (int b = 0; b < BLOCK; b += 4)
        {
            data.putInt(b, epoch * 1_000_003 + block * 7919 + b);
        }
        return data;
    }

    /** The serving process: writes epochs until killed, printing {@code FLUSHED epoch} per acknowledged flush. */
    public static final class Child
    {
        private Child()
        {
        }

        public static void main(final String[] args) throws Exception
        {
            final PrintStream out = System.out;
            final long epochs = (64L << 20) / ((long)BLOCKS_PER_EPOCH * BLOCK);
            try (RunnerPool pool = new RunnerPool(new RunnerPoolConfig().runners(1));
                Hypervisor hypervisor = new Hypervisor();
                FileBlockStore store = FileBlockStore.open(Path.of(args[0]), CacheMode.parse(args[1]), "auto", 512,
                    false, 5_000);
                BlkLocalPair pair = BlkLocalPair.create(hypervisor, "guest", store,
                    BlkBackConfig.builder().waitMode(WaitMode.NOTIFY).build(),
                    BlkFrontConfig.builder().poolPages(200).build()))
            {
                pair.back().start(pool);
                final BlkFrontQueue queue = pair.front().queue(0);
                final int[] answered = new int[1];
                for (int epoch = 0; epoch < epochs; epoch++)
                {
                    answered[0] = 0;
                    for (int i = 0; i < BLOCKS_PER_EPOCH; i++)
                    {
                        if (!queue.write(offset(epoch, i) >> 9, BLOCK >> 9, pattern(epoch, i), 0, i))
                        {
                            throw new IllegalStateException("ring full at epoch " + epoch);
                        }
                    }
                    await(queue, answered, BLOCKS_PER_EPOCH);
                    answered[0] = 0;
                    if (!queue.flush(-1))
                    {
                        throw new IllegalStateException("ring full at the flush of epoch " + epoch);
                    }
                    await(queue, answered, 1);
                    out.println("FLUSHED " + epoch);
                    out.flush();
                }
            }
        }

        private static void await(final BlkFrontQueue queue, final int[] answered, final int expected)
        {
            queue.push();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (answered[0] < expected)
            {
                if (System.nanoTime() - deadline > 0)
                {
                    throw new IllegalStateException(answered[0] + " of " + expected + " answered in 20 s");
                }
                queue.poll((cookie, op, status) ->
                {
                    if (status != BLKIF_RSP_OKAY)
                    {
                        throw new IllegalStateException("request " + cookie + " failed: " + status);
                    }
                    answered[0]++;
                });
            }
        }
    }
}
