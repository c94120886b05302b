package io.pvring.blkif;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.pvring.blkback.test.ExternalTools;
import io.pvring.ring.RingGeometry;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_INDIRECT;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_OP_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * Every offset, size and constant of both blkif ABIs against what gcc lays out from /usr/include/xen/io/blkif.h,
 * for {@code -m64} and {@code -m32} (compiled to assembly only, so no 32-bit libc is needed).
 */
class BlkifAbiTest
{
    private static final Pattern DEF = Pattern.compile("->(\\S+) \\$?(-?\\d+)");

    @TempDir
    Path dir;

    @Test
    void x8664MatchesGcc() throws Exception
    {
        assertLayout("-m64", X8664BlkifAbi.INSTANCE, expected64());
    }

    @Test
    void x8632MatchesGcc() throws Exception
    {
        assertLayout("-m32", X8632BlkifAbi.INSTANCE, expected32());
    }

    @Test
    void writersPutFieldsWhereGccSaysTheyAre() throws Exception
    {
        for (final BlkifAbi abi : List.of(X8664BlkifAbi.INSTANCE, X8632BlkifAbi.INSTANCE))
        {
            final Map<String, Long> c = compile(abi == X8664BlkifAbi.INSTANCE ? "-m64" : "-m32");
            final UnsafeBuffer b = new UnsafeBuffer(new byte[abi.slotBytes()]);
            abi.putRequest(b, 0, BLKIF_OP_WRITE, 3, 0xBEEF, 0x1122334455667788L, 0x0102030405060708L);
            abi.putSegment(b, 0, 2, 0xCAFEBABE, 1, 6);
            assertEquals(0x1122334455667788L, b.getLong(c.get("blkif_request.id").intValue()));
            assertEquals(0x0102030405060708L, b.getLong(c.get("blkif_request.sector_number").intValue()));
            assertEquals((short)0xBEEF, b.getShort(c.get("blkif_request.handle").intValue()));
            final int seg2 = c.get("blkif_request.seg").intValue()
                + 2 * c.get("blkif_request_segment.sizeof").intValue();
            assertEquals(0xCAFEBABE, b.getInt(seg2));
            assertEquals(6, b.getByte(seg2 + c.get("blkif_request_segment.last_sect").intValue()));

            b.setMemory(0, b.capacity(), (byte)0);
            abi.putIndirect(b, 0, BLKIF_OP_WRITE, 300, 7, 99L, 1234L);
            abi.putIndirectGref(b, 0, 1, 77);
            assertEquals(BLKIF_OP_INDIRECT, b.getByte(0));
            assertEquals(300, b.getShort(c.get("blkif_request_indirect.nr_segments").intValue()));
            assertEquals(7, b.getShort(c.get("blkif_request_indirect.handle").intValue()));
            assertEquals(1234L, b.getLong(c.get("blkif_request_indirect.sector_number").intValue()));
            assertEquals(77, b.getInt(c.get("blkif_request_indirect.indirect_grefs").intValue() + 4));

            b.setMemory(0, b.capacity(), (byte)0x5A);
            abi.putResponse(b, 0, 42L, BLKIF_OP_WRITE, -1);
            assertEquals(42L, b.getLong(c.get("blkif_response.id").intValue()));
            assertEquals(-1, b.getShort(c.get("blkif_response.status").intValue()));
            // The pad byte between operation and status is left as the guest had it.
            assertEquals(0x5A, b.getByte(c.get("blkif_response.operation").intValue() + 1));
        }
    }

    @Test
    void protocolNamesSelectTheAbi()
    {
        assertSame(X8664BlkifAbi.INSTANCE, BlkifAbi.forProtocol(null));
        assertSame(X8664BlkifAbi.INSTANCE, BlkifAbi.forProtocol("x86_64-abi"));
        assertSame(X8632BlkifAbi.INSTANCE, BlkifAbi.forProtocol("x86_32-abi"));
        assertEquals(null, BlkifAbi.forProtocol("arm-abi"));
    }

    private void assertLayout(final String arch, final BlkifAbi abi, final Map<String, Long> expected)
        throws Exception
    {
        final Map<String, Long> actual = compile(arch);
        for (final Map.Entry<String, Long> e : expected.entrySet())
        {
            assertNotNull(actual.get(e.getKey()), e.getKey() + " not printed by blkif_abi.c");
            assertEquals(actual.get(e.getKey()), e.getValue(), arch + " " + e.getKey());
        }
        assertEquals(actual.keySet(), expected.keySet(), "every value gcc printed is checked");
        assertEquals(actual.get("blkif_sring_entry.sizeof").intValue(), abi.slotBytes());
        assertEquals(actual.get("ring_size.order0").intValue(), RingGeometry.of(abi.slotBytes(), 0).entries());
        assertEquals(actual.get("ring_size.order4").intValue(), RingGeometry.of(abi.slotBytes(), 4).entries());
    }

    private Map<String, Long> compile(final String arch) throws Exception
    {
        ExternalTools.require("gcc", "gcc libxen-dev");
        final Path source = dir.resolve("blkif_abi.c");
        if (!Files.exists(source))
        {
            try (InputStream in = BlkifAbiTest.class.getResourceAsStream("blkif_abi.c"))
            {
                Files.copy(in, source);
            }
        }
        final String asm = ExternalTools.run(List.of(
            "gcc", arch, "-ffreestanding", "-S", "-o", "-", source.toString()));
        final Map<String, Long> values = new TreeMap<>();
        final Matcher m = DEF.matcher(asm);
        while (m.find())
        {
            values.put(m.group(1), Long.parseLong(m.group(2)));
        }
        return values;
    }

    private static Map<String, Long> common()
    {
        final Map<String, Long> m = new TreeMap<>();
        m.put("blkif_request_segment.sizeof", (long)BlkifDescriptor.SEGMENT_LENGTH);
        m.put("blkif_request_segment.gref", (long)BlkifDescriptor.SEGMENT_GREF_OFFSET);
        m.put("blkif_request_segment.first_sect", (long)BlkifDescriptor.SEGMENT_FIRST_SECT_OFFSET);
        m.put("blkif_request_segment.last_sect", (long)BlkifDescriptor.SEGMENT_LAST_SECT_OFFSET);
        m.put("blkif_request.operation", (long)BlkifLayout.OPERATION_OFFSET);
        m.put("blkif_request.nr_segments", (long)BlkifLayout.NR_SEGMENTS_OFFSET);
        m.put("blkif_request.handle", (long)BlkifLayout.HANDLE_OFFSET);
        m.put("blkif_request_discard.operation", (long)BlkifLayout.OPERATION_OFFSET);
        m.put("blkif_request_discard.flag", (long)BlkifLayout.DISCARD_FLAG_OFFSET);
        m.put("blkif_request_discard.handle", (long)BlkifLayout.HANDLE_OFFSET);
        m.put("blkif_request_indirect.operation", (long)BlkifLayout.OPERATION_OFFSET);
        m.put("blkif_request_indirect.indirect_op", (long)BlkifLayout.INDIRECT_OP_OFFSET);
        m.put("blkif_request_indirect.nr_segments", (long)BlkifLayout.INDIRECT_NR_SEGMENTS_OFFSET);
        m.put("blkif_response.id", (long)BlkifLayout.RESPONSE_ID_OFFSET);
        m.put("blkif_response.operation", (long)BlkifLayout.RESPONSE_OPERATION_OFFSET);
        m.put("blkif_response.status", (long)BlkifLayout.RESPONSE_STATUS_OFFSET);
        m.put("blkif_sring.ring", 64L);
        m.put("BLKIF_OP_READ", (long)BlkifDescriptor.BLKIF_OP_READ);
        m.put("BLKIF_OP_WRITE", (long)BlkifDescriptor.BLKIF_OP_WRITE);
        m.put("BLKIF_OP_WRITE_BARRIER", (long)BlkifDescriptor.BLKIF_OP_WRITE_BARRIER);
        m.put("BLKIF_OP_FLUSH_DISKCACHE", (long)BlkifDescriptor.BLKIF_OP_FLUSH_DISKCACHE);
        m.put("BLKIF_OP_RESERVED_1", (long)BlkifDescriptor.BLKIF_OP_RESERVED_1);
        m.put("BLKIF_OP_DISCARD", (long)BlkifDescriptor.BLKIF_OP_DISCARD);
        m.put("BLKIF_OP_INDIRECT", (long)BlkifDescriptor.BLKIF_OP_INDIRECT);
        m.put("BLKIF_RSP_OKAY", (long)BlkifDescriptor.BLKIF_RSP_OKAY);
        m.put("BLKIF_RSP_ERROR", (long)BlkifDescriptor.BLKIF_RSP_ERROR);
        m.put("BLKIF_RSP_EOPNOTSUPP", (long)BlkifDescriptor.BLKIF_RSP_EOPNOTSUPP);
        m.put("BLKIF_DISCARD_SECURE", (long)BlkifDescriptor.BLKIF_DISCARD_SECURE);
        m.put("BLKIF_MAX_SEGMENTS_PER_REQUEST", (long)BlkifDescriptor.BLKIF_MAX_SEGMENTS_PER_REQUEST);
        m.put("BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST", (long)BlkifDescriptor.BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST);
        m.put("VDISK_CDROM", (long)BlkifDescriptor.VDISK_CDROM);
        m.put("VDISK_REMOVABLE", (long)BlkifDescriptor.VDISK_REMOVABLE);
        m.put("VDISK_READONLY", (long)BlkifDescriptor.VDISK_READONLY);
        return m;
    }

    private static Map<String, Long> expected64()
    {
        final Map<String, Long> m = common();
        m.put("blkif_request.sizeof", (long)X8664BlkifAbi.REQUEST_LENGTH);
        m.put("blkif_request.id", (long)X8664BlkifAbi.ID_OFFSET);
        m.put("blkif_request.sector_number", (long)X8664BlkifAbi.SECTOR_NUMBER_OFFSET);
        m.put("blkif_request.seg", (long)X8664BlkifAbi.SEG_OFFSET);
        m.put("blkif_request_discard.sizeof", (long)X8664BlkifAbi.DISCARD_LENGTH);
        m.put("blkif_request_discard.id", (long)X8664BlkifAbi.ID_OFFSET);
        m.put("blkif_request_discard.sector_number", (long)X8664BlkifAbi.SECTOR_NUMBER_OFFSET);
        m.put("blkif_request_discard.nr_sectors", (long)X8664BlkifAbi.DISCARD_NR_SECTORS_OFFSET);
        m.put("blkif_request_indirect.sizeof", (long)X8664BlkifAbi.INDIRECT_LENGTH);
        m.put("blkif_request_indirect.id", (long)X8664BlkifAbi.ID_OFFSET);
        m.put("blkif_request_indirect.sector_number", (long)X8664BlkifAbi.SECTOR_NUMBER_OFFSET);
        m.put("blkif_request_indirect.handle", (long)X8664BlkifAbi.INDIRECT_HANDLE_OFFSET);
        m.put("blkif_request_indirect.indirect_grefs", (long)X8664BlkifAbi.INDIRECT_GREFS_OFFSET);
        m.put("blkif_response.sizeof", (long)X8664BlkifAbi.RESPONSE_LENGTH);
        m.put("blkif_sring_entry.sizeof", (long)X8664BlkifAbi.INSTANCE.slotBytes());
        m.put("ring_size.order0", (long)RingGeometry.of(X8664BlkifAbi.INSTANCE.slotBytes(), 0).entries());
        m.put("ring_size.order4", (long)RingGeometry.of(X8664BlkifAbi.INSTANCE.slotBytes(), 4).entries());
        return m;
    }

    private static Map<String, Long> expected32()
    {
        final Map<String, Long> m = common();
        m.put("blkif_request.sizeof", (long)X8632BlkifAbi.REQUEST_LENGTH);
        m.put("blkif_request.id", (long)X8632BlkifAbi.ID_OFFSET);
        m.put("blkif_request.sector_number", (long)X8632BlkifAbi.SECTOR_NUMBER_OFFSET);
        m.put("blkif_request.seg", (long)X8632BlkifAbi.SEG_OFFSET);
        m.put("blkif_request_discard.sizeof", (long)X8632BlkifAbi.DISCARD_LENGTH);
        m.put("blkif_request_discard.id", (long)X8632BlkifAbi.ID_OFFSET);
        m.put("blkif_request_discard.sector_number", (long)X8632BlkifAbi.SECTOR_NUMBER_OFFSET);
        m.put("blkif_request_discard.nr_sectors", (long)X8632BlkifAbi.DISCARD_NR_SECTORS_OFFSET);
        m.put("blkif_request_indirect.sizeof", (long)X8632BlkifAbi.INDIRECT_LENGTH);
        m.put("blkif_request_indirect.id", (long)X8632BlkifAbi.ID_OFFSET);
        m.put("blkif_request_indirect.sector_number", (long)X8632BlkifAbi.SECTOR_NUMBER_OFFSET);
        m.put("blkif_request_indirect.handle", (long)X8632BlkifAbi.INDIRECT_HANDLE_OFFSET);
        m.put("blkif_request_indirect.indirect_grefs", (long)X8632BlkifAbi.INDIRECT_GREFS_OFFSET);
        m.put("blkif_response.sizeof", (long)X8632BlkifAbi.RESPONSE_LENGTH);
        m.put("blkif_sring_entry.sizeof", (long)X8632BlkifAbi.INSTANCE.slotBytes());
        m.put("ring_size.order0", (long)RingGeometry.of(X8632BlkifAbi.INSTANCE.slotBytes(), 0).entries());
        m.put("ring_size.order4", (long)RingGeometry.of(X8632BlkifAbi.INSTANCE.slotBytes(), 4).entries());
        return m;
    }
}
