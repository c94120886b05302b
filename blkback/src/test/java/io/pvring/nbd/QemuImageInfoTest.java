package io.pvring.nbd;

import java.io.IOException;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class QemuImageInfoTest
{
    @Test
    void readsTheTopLevelFormatNotANestedOne() throws IOException
    {
        // The shape of qemu-img 7.2's output for a vmdk: extents are image infos with their own "format".
        final String json = "{\n  \"children\": [{\"name\": \"file\", \"info\": {\"format\": \"file\"}}],\n" +
            "  \"virtual-size\": 67108864,\n  \"filename\": \"a \\\"quoted\\\" name.vmdk\",\n" +
            "  \"format-specific\": {\"type\": \"vmdk\", \"data\": {\"extents\": [{\"format\": \"FLAT\"," +
            " \"virtual-size\": 1}]}},\n  \"format\": \"vmdk\"\n}";
        final QemuImageInfo info = QemuImageInfo.parse(json, "test");
        assertEquals("vmdk", info.format());
        assertEquals(64L << 20, info.virtualSize());
    }

    @Test
    void missingMembersAreAnError()
    {
        final IOException ex = assertThrows(IOException.class,
            () -> QemuImageInfo.parse("{\"data\": {\"format\": \"raw\", \"virtual-size\": 1}}", "img"));
        assertEquals(true, ex.getMessage().contains("no format or virtual-size"), ex.getMessage());
    }
}
