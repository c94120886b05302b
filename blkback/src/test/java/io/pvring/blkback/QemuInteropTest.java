package io.pvring.blkback;

import java.nio.file.Path;
import java.util.List;

import io.pvring.blkback.store.BlockStore;
import io.pvring.blkback.store.RawFileBlockStore;
import io.pvring.blkback.test.ExternalTools;
import io.pvring.blkback.test.TestData;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkif.BlkifDescriptor;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Raw images round-trip with qemu-img and qemu-io, tools nobody here wrote. */
class QemuInteropTest
{
    @TempDir
    Path dir;

    @Test
    void imagesCreatedByQemuImgRoundTripThroughQemuIo() throws Exception
    {
        ExternalTools.require("qemu-img", "qemu-utils");
        ExternalTools.require("qemu-io", "qemu-utils");
        final Path image = dir.resolve("qemu.img");
        ExternalTools.run(List.of("qemu-img", "create", "-f", "raw", image.toString(), "16M"));

        // qemu-io writes a pattern; the store reads it back.
        ExternalTools.run(List.of("qemu-io", "-f", "raw", "-c", "write -P 0xcd 1M 64k", image.toString()));
        try (RawFileBlockStore store = RawFileBlockStore.open(image, 512, false, true))
        {
            assertEquals(16L << 20, store.sizeBytes());
            final UnsafeBuffer back = new UnsafeBuffer(new byte[65536 + 1024]);
            store.read((1L << 20) - 512, back, 0, back.capacity());
            assertEquals(0, back.getByte(0));
            assertEquals((byte)0xCD, back.getByte(512));
            assertEquals((byte)0xCD, back.getByte(512 + 65535));
            assertEquals(0, back.getByte(512 + 65536));

            // The store writes a pattern; qemu-io verifies it (read -P fails on any mismatch).
            final UnsafeBuffer ab = new UnsafeBuffer(new byte[12288]);
            ab.setMemory(0, ab.capacity(), (byte)0xAB);
            assertEquals(BlockStore.OK, store.write(5L << 20, ab, 0, ab.capacity()));
            assertEquals(BlockStore.OK, store.flush());
        }
        final String out = ExternalTools.run(List.of(
            "qemu-io", "-f", "raw", "-r", "-c", "read -P 0xab 5M 12k", "-c", "read -P 0 0 1M", image.toString()));
        assertTrue(out.contains("read 12288/12288 bytes"), out);
        final String info = ExternalTools.run(List.of("qemu-img", "info", "-f", "raw", image.toString()));
        assertTrue(info.contains("virtual size: 16 MiB (16777216 bytes)"), info);
        assertTrue(TestData.allocatedBytes(image) < (4L << 20), "image stayed sparse");
    }

    @Test
    void theWholeDevicePathRoundTripsWithQemuIo() throws Exception
    {
        ExternalTools.require("qemu-img", "qemu-utils");
        ExternalTools.require("qemu-io", "qemu-utils");
        final Path image = dir.resolve("device.img");
        ExternalTools.run(List.of("qemu-img", "create", "-f", "raw", image.toString(), "8M"));
        ExternalTools.run(List.of("qemu-io", "-f", "raw", "-c", "write -P 0x3e 2M 300k", image.toString()));
        final BlkFrontConfig fc = new BlkFrontConfig().maxIndirectSegments(256).poolPages(300);
        try (RawFileBlockStore store = RawFileBlockStore.open(image, 512, false, true);
            Rig rig = new Rig(store, new BlkBackConfig(), fc))
        {
            final UnsafeBuffer back = new UnsafeBuffer(new byte[300 * 1024]);
            assertEquals(BlkifDescriptor.BLKIF_RSP_OKAY, rig.read(2 * 2048, back), "blkfront reads qemu's data");
            for (int i = 0; i < back.capacity(); i++)
            {
                assertEquals((byte)0x3e, back.getByte(i), "byte " + i);
            }
            final UnsafeBuffer data = new UnsafeBuffer(new byte[1 << 20]);
            data.setMemory(0, data.capacity(), (byte)0xd7);
            assertEquals(BlkifDescriptor.BLKIF_RSP_OKAY, rig.write(5 * 2048, data));
            assertTrue(rig.q(0).flush(9));
            assertEquals(BlkifDescriptor.BLKIF_RSP_OKAY, rig.runOne());
        }
        final String out = ExternalTools.run(List.of("qemu-io", "-f", "raw", "-r",
            "-c", "read -P 0xd7 5M 1M", "-c", "read -P 0x3e 2M 300k", "-c", "read -P 0 4M 1M", image.toString()));
        assertTrue(out.contains("read 1048576/1048576 bytes at offset 5242880"), out);
        assertTrue(!out.contains("Pattern verification failed"), out);
    }
}
