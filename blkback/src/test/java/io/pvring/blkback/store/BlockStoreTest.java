package io.pvring.blkback.store;

import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import io.pvring.blkback.test.FaultyFileChannel;
import io.pvring.blkback.test.TestData;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockStoreTest
{
    @TempDir
    Path dir;

    @Test
    void memoryStoreIsSparseAndReadsZerosWhereUnwritten()
    {
        try (MemoryBlockStore store = new MemoryBlockStore(1L << 40, 512))
        {
            assertEquals(0, store.residentChunks());
            final UnsafeBuffer data = TestData.pattern(3 * 4096, 7);
            final long offset = (5L << 30) + MemoryBlockStore.CHUNK_SIZE - 4096; // crosses a chunk boundary
            assertEquals(BlockStore.OK, store.write(offset, data, 0, data.capacity()));
            assertEquals(2, store.residentChunks());

            final UnsafeBuffer back = new UnsafeBuffer(new byte[data.capacity() + 1024]);
            back.setMemory(0, back.capacity(), (byte)0x77);
            store.read(offset - 512, back, 0, back.capacity());
            for (int i = 0; i < 512; i++)
            {
                assertEquals(0, back.getByte(i));
            }
            for (int i = 0; i < data.capacity(); i++)
            {
                assertEquals(data.getByte(i), back.getByte(512 + i), "byte " + i);
            }
        }
    }

    @Test
    void memoryDiscardReleasesWholeChunksAndZerosPartialOnes()
    {
        try (MemoryBlockStore store = new MemoryBlockStore(4L * MemoryBlockStore.CHUNK_SIZE, 512))
        {
            final UnsafeBuffer data = TestData.pattern(4 * MemoryBlockStore.CHUNK_SIZE, 1);
            store.write(0, data, 0, data.capacity());
            assertEquals(4, store.residentChunks());
            store.discard(512, 2L * MemoryBlockStore.CHUNK_SIZE, true);
            assertEquals(3, store.residentChunks());
            final UnsafeBuffer back = new UnsafeBuffer(new byte[data.capacity()]);
            store.read(0, back, 0, back.capacity());
            for (int i = 0; i < back.capacity(); i++)
            {
                final boolean discarded = i >= 512 && i < 512 + 2 * MemoryBlockStore.CHUNK_SIZE;
                assertEquals(discarded ? 0 : data.getByte(i), back.getByte(i), "byte " + i);
            }
        }
    }

    @Test
    void resizeKeepsDataBelowAndZerosAGrownTail() throws Exception
    {
        try (MemoryBlockStore store = new MemoryBlockStore(1 << 20, 512, false, 4 << 20))
        {
            store.write((1 << 20) - 4096, TestData.pattern(4096, 5), 0, 4096);
            assertTrue(store.resize(512 << 10));
            assertTrue(store.resize(2 << 20));
            final UnsafeBuffer back = new UnsafeBuffer(new byte[4096]);
            store.read((1 << 20) - 4096, back, 0, 4096);
            assertEquals(new UnsafeBuffer(new byte[4096]), back, "the cut tail was dropped");
            assertFalse(store.resize(8 << 20));
            assertEquals(2 << 20, store.sizeBytes());
        }
        final Path image = dir.resolve("grow.img");
        Files.write(image, new byte[4096]);
        try (RawFileBlockStore store = RawFileBlockStore.open(image, 512, false, true))
        {
            assertTrue(store.resize(1L << 30));
            assertEquals(1L << 30, Files.size(image));
            assertTrue(TestData.allocatedBytes(image) < (1L << 20), "grown sparsely");
        }
    }

    @Test
    void rejectsBadGeometry()
    {
        assertThrows(IllegalArgumentException.class, () -> new MemoryBlockStore(1000, 512));
        assertThrows(IllegalArgumentException.class, () -> new NullBlockStore(4096, 1000));
    }

    @Test
    void rawFileRoundTripsAndStaysSparse() throws Exception
    {
        final Path image = dir.resolve("disk.img");
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw"))
        {
            file.setLength(64L << 20);
        }
        try (RawFileBlockStore store = RawFileBlockStore.open(image, 512, false, true))
        {
            assertEquals(64L << 20, store.sizeBytes());
            assertTrue(store.canFlush());
            final UnsafeBuffer data = TestData.pattern(200 * 1024, 3);
            assertEquals(BlockStore.OK, store.write(10L << 20, data, 0, data.capacity()));
            assertEquals(BlockStore.OK, store.flush());
            final UnsafeBuffer back = new UnsafeBuffer(new byte[data.capacity()]);
            assertEquals(BlockStore.OK, store.read(10L << 20, back, 0, back.capacity()));
            assertEquals(data, back);
        }
        final long allocated = TestData.allocatedBytes(image);
        assertTrue(allocated < (1L << 20), "sparse image allocated " + allocated + " bytes");
    }

    @Test
    void rawFileMovesDataStraightBetweenTheFileAndNativeMemory() throws Exception
    {
        assertTrue(AddressView.AVAILABLE, "the zero-copy path works on this JVM");
        final Path image = dir.resolve("direct.img");
        Files.write(image, new byte[1 << 20]);
        try (RawFileBlockStore store = RawFileBlockStore.open(image, 512, false, true))
        {
            final UnsafeBuffer page = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(3 * 4096));
            page.putBytes(0, TestData.pattern(3 * 4096, 6), 0, 3 * 4096);
            assertEquals(BlockStore.OK, store.write(8192, page, 1024, 2048));
            page.setMemory(0, page.capacity(), (byte)0x13);
            assertEquals(BlockStore.OK, store.read(8192 - 512, page, 4096, 3072));
            assertEquals(0x13, page.getByte(4095), "nothing before the range is touched");
            assertEquals(0, page.getByte(4096));
            for (int i = 0; i < 2048; i++)
            {
                assertEquals(
                    TestData.pattern(3 * 4096, 6).getByte(1024 + i), page.getByte(4096 + 512 + i), "byte " + i);
            }
            assertEquals(0x13, page.getByte(4096 + 3072), "nothing after the range is touched");
            assertEquals(BlockStore.OK, store.read((1 << 20) - 512, page, 0, 512), "the last sector");
        }
        final byte[] file = Files.readAllBytes(image);
        assertEquals(TestData.pattern(3 * 4096, 6).getByte(1024), file[8192]);
        assertEquals(0, file[8192 + 2048]);
    }

    @Test
    void rawImageOffersNoDiscardAndNeverZeroFills() throws Exception
    {
        final Path image = dir.resolve("nodiscard.img");
        final byte[] content = new byte[64 * 1024];
        TestData.pattern(content.length, 9).getBytes(0, content);
        Files.write(image, content);
        try (RawFileBlockStore store = RawFileBlockStore.open(image, 512, false, true))
        {
            assertFalse(store.canDiscard(), "FileChannel cannot punch holes");
            assertFalse(store.canSecureDiscard());
            assertEquals(BlockStore.EOPNOTSUPP, store.discard(0, 32 * 1024, false));
            assertEquals(BlockStore.EOPNOTSUPP, store.discard(0, 32 * 1024, true));
        }
        assertTrue(java.util.Arrays.equals(content, Files.readAllBytes(image)), "no byte was zeroed");
    }

    @Test
    void readOnlyImageRefusesWritesAndFlush() throws Exception
    {
        final Path image = dir.resolve("ro.img");
        Files.write(image, new byte[8192]);
        try (RawFileBlockStore store = RawFileBlockStore.open(image, 512, true, true))
        {
            assertTrue(store.isReadOnly());
            assertFalse(store.canFlush());
            assertEquals(BlockStore.EIO, store.write(0, TestData.pattern(512, 1), 0, 512));
            assertEquals(BlockStore.EOPNOTSUPP, store.flush());
        }
        assertEquals(0, Files.readAllBytes(image)[0]);
    }

    @Test
    void synchronousImageDoesNotOfferFlush() throws Exception
    {
        final Path image = dir.resolve("sync.img");
        Files.write(image, new byte[8192]);
        try (RawFileBlockStore store = RawFileBlockStore.open(image, 512, false, false))
        {
            assertFalse(store.canFlush());
            assertEquals(BlockStore.OK, store.write(512, TestData.pattern(512, 9), 0, 512));
        }
        assertEquals(TestData.pattern(512, 9).getByte(0), Files.readAllBytes(image)[512]);
    }

    @Test
    void flushFailureIsSticky() throws Exception
    {
        final Path image = dir.resolve("faulty.img");
        Files.write(image, new byte[65536]);
        final FaultyFileChannel channel = new FaultyFileChannel(
            FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE));
        try (RawFileBlockStore store = new RawFileBlockStore(channel, "faulty", 65536, 512, false, true))
        {
            assertEquals(BlockStore.OK, store.flush());
            channel.failForce = true;
            assertEquals(BlockStore.EIO, store.flush());
            channel.failForce = false;
            final int forcesBefore = channel.forces;
            assertEquals(BlockStore.EIO, store.flush(), "a later flush must not report success for lost data");
            assertEquals(forcesBefore, channel.forces);
            assertTrue(store.hasFlushFailed());
        }
        try (RawFileBlockStore reopened = RawFileBlockStore.open(image, 512, false, true))
        {
            assertEquals(BlockStore.OK, reopened.flush());
        }
    }
}
