package io.pvring.blkback.store;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.pvring.aio.CacheMode;
import io.pvring.uring.IoUringSupport;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link FileBlockStore} used without a ring ({@link BlockStore#submit} from any thread, as tools do): reads and
 * writes across several segments, flush, punch-hole discard where the engine has it, read-only images, resize.
 */
class FileBlockStoreDirectTest
{
    @TempDir
    Path dir;

    /** A two-segment io over pages of native memory, completed by the store. */
    private static final class Io implements BlockIo
    {
        final UnsafeBuffer pages = new UnsafeBuffer(ByteBuffer.allocateDirect(2 * 4096));
        final UnsafeBuffer page = new UnsafeBuffer(new byte[0]);
        int op;
        long offset;
        long length;
        int status = Integer.MIN_VALUE;

        Io set(final int op, final long offset, final long length)
        {
            this.op = op;
            this.offset = offset;
            this.length = length;
            status = Integer.MIN_VALUE;
            return this;
        }

        public int op()
        {
            return op;
        }

        public long offset()
        {
            return offset;
        }

        public long length()
        {
            return length;
        }

        public boolean secure()
        {
            return false;
        }

        public int segments()
        {
            return op == READ || op == WRITE ? 2 : 0;
        }

        /** Segment 0 is the last 1 KiB of page 0, segment 1 the first 3 KiB of page 1: 4 KiB on the disk. */
        public int segmentPageOffset(final int index)
        {
            return index == 0 ? 3072 : 0;
        }

        public int segmentLength(final int index)
        {
            return index == 0 ? 1024 : 3072;
        }

        public UnsafeBuffer page(final int index)
        {
            page.wrap(pages, index * 4096, 4096);
            return page;
        }

        public void complete(final int status)
        {
            assertEquals(Integer.MIN_VALUE, this.status, "completed once");
            this.status = status;
        }
    }

    private Path image() throws Exception
    {
        final Path image = dir.resolve("direct.img");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw"))
        {
            file.setLength(1 << 20);
        }
        return image;
    }

    private static void requireEngine(final String engine)
    {
        if ("io_uring".equals(engine))
        {
            final String reason = IoUringSupport.unavailableReason();
            if ("1".equals(System.getenv("PVRING_REQUIRE_TOOLS")))
            {
                assertTrue(reason == null, "io_uring must be available on this machine kind: " + reason);
            }
            assumeTrue(reason == null, "io_uring unavailable, skipping: " + reason);
        }
    }

    /**
     * A ring's queue starts a request at once or at the turn's end ({@code flush()}, which returns how many it
     * started): at once under {@code cache=none} unless {@code aio-max-batch} says otherwise, at the turn's end in
     * the page-cache modes unless it does; a batch larger than the queue can hold is the turn's.
     */
    @ParameterizedTest(name = "aio={0} cache={1} aio-max-batch={2}")
    @CsvSource({
        "threads, WRITEBACK, 0, 1", "io_uring, WRITEBACK, 0, 1", "threads, NONE, 0, 0", "io_uring, NONE, 0, 0",
        "io_uring, WRITEBACK, 1, 0", "io_uring, NONE, 8, 1", "threads, NONE, 2, 1" })
    void aQueueStartsEachRequestAtOnceOrAtTheTurnsEnd(
        final String engine, final CacheMode cache, final int aioMaxBatch, final int startedByTheTurn) throws Exception
    {
        requireEngine(engine);
        final Path image = image();
        final Io io = new Io();
        final Thread self = Thread.currentThread();
        try (FileBlockStore store = FileBlockStore.open(image, cache, engine, aioMaxBatch, 512, false, 5_000))
        {
            final BlockQueue queue = store.openQueue(4, 2, () -> LockSupport.unpark(self));
            queue.submit(io.set(BlockIo.READ, 8192, 4096));
            assertEquals(startedByTheTurn, queue.flush(), "requests the turn's end started");
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (io.status == Integer.MIN_VALUE)
            {
                if (queue.poll() == 0)
                {
                    assertTrue(System.nanoTime() < deadline, "no completion in 20 s on " + store.describe());
                    LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
                }
            }
            assertEquals(BlockStore.OK, io.status, "read");
            queue.close();
        }
    }

    @ParameterizedTest(name = "aio={0}")
    @ValueSource(strings = { "threads", "io_uring" })
    void segmentsRoundTripFlushDiscardAndResize(final String engine) throws Exception
    {
        requireEngine(engine);
        final Path image = image();
        final Io io = new Io();
        try (FileBlockStore store = FileBlockStore.open(image, CacheMode.WRITEBACK, engine, 512, false, 5_000))
        {
            for (int i = 0; i < 4096; i++)
            {
                io.pages.putByte(3072 + i, (byte)(i * 31 + 7));
            }
            store.submit(io.set(BlockIo.WRITE, 8192, 4096));
            assertEquals(BlockStore.OK, io.status, "write");
            final byte[] onDisk = Files.readAllBytes(image);
            for (int i = 0; i < 4096; i++)
            {
                assertEquals((byte)(i * 31 + 7), onDisk[8192 + i], "byte " + i + " of the two segments on disk");
            }
            io.pages.setMemory(0, 8192, (byte)0);
            store.submit(io.set(BlockIo.READ, 8192, 4096));
            assertEquals(BlockStore.OK, io.status, "read");
            assertEquals((byte)(4095 * 31 + 7), io.pages.getByte(3072 + 4095));
            assertEquals(0, io.pages.getByte(3071), "nothing read outside the segments");
            store.submit(io.set(BlockIo.FLUSH, 0, 0));
            assertEquals(BlockStore.OK, io.status, "flush");
            store.submit(io.set(BlockIo.DISCARD, 8192, 4096));
            assertEquals(store.canDiscard() ? BlockStore.OK : BlockStore.EOPNOTSUPP, io.status, "discard");
            if (store.canDiscard())
            {
                assertEquals(0, Files.readAllBytes(image)[8192 + 100], "a punched hole reads as zeros");
                assertEquals(1 << 20, Files.size(image), "the image keeps its size");
            }
            assertTrue(store.resize(2 << 20));
            assertEquals(2 << 20, store.sizeBytes());
            assertEquals(2 << 20, Files.size(image));
        }
    }

    @ParameterizedTest(name = "aio={0}")
    @ValueSource(strings = { "threads", "io_uring" })
    void readOnlyImageFailsWritesAndOffersNoDiscard(final String engine) throws Exception
    {
        requireEngine(engine);
        final Io io = new Io();
        try (FileBlockStore store = FileBlockStore.open(image(), CacheMode.WRITEBACK, engine, 512, true, 5_000))
        {
            assertTrue(store.isReadOnly());
            assertFalse(store.canDiscard());
            assertFalse(store.resize(2 << 20));
            store.submit(io.set(BlockIo.WRITE, 0, 4096));
            assertEquals(BlockStore.EIO, io.status, "a write reaching a read-only image fails, never throws");
            store.submit(io.set(BlockIo.READ, 0, 4096));
            assertEquals(BlockStore.OK, io.status);
        }
    }
}
