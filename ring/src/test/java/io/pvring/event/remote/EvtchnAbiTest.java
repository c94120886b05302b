package io.pvring.event.remote;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.pvring.memory.MemoryTable;
import io.pvring.testing.CProgram;
import io.pvring.testing.CValues;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The shipped C header {@code pvring_evtchn.h} and {@link EvtchnMessageDescriptor} agree, as gcc computes it. */
class EvtchnAbiTest
{
    private static final String SOURCE = String.join("\n",
        "#include <stddef.h>",
        "#include <stdio.h>",
        "#include <pvring_evtchn.h>",
        "#define OFF(f) printf(\"%s %zu\\n\", #f, offsetof(struct pvring_evtchn_msg, f))",
        "#define VAL(c) printf(\"%s %ld\\n\", #c, (long)(c))",
        "int main(void)",
        "{",
        "    OFF(size); OFF(op); OFF(id); OFF(port); OFF(domid); OFF(remote_port); OFF(status); OFF(value);",
        "    printf(\"sizeof %zu\\n\", sizeof(struct pvring_evtchn_msg));",
        "    VAL(PVRING_EVTCHN_MSG_SIZE);",
        "    VAL(PVRING_EVTCHN_OP_HELLO); VAL(PVRING_EVTCHN_OP_ALLOC_UNBOUND); VAL(PVRING_EVTCHN_OP_BIND_INTERDOMAIN);",
        "    VAL(PVRING_EVTCHN_OP_SEND); VAL(PVRING_EVTCHN_OP_MASK); VAL(PVRING_EVTCHN_OP_UNMASK);",
        "    VAL(PVRING_EVTCHN_OP_CLOSE); VAL(PVRING_EVTCHN_OP_DOMAIN_CREATE); VAL(PVRING_EVTCHN_OP_DOMAIN_DESTROY);",
        "    VAL(PVRING_EVTCHN_OP_EVENT); VAL(PVRING_EVTCHN_OP_REPLY);",
        "    VAL(PVRING_EVTCHN_OP_MEM_REGION); VAL(PVRING_EVTCHN_OP_SET_MEM_TABLE);",
        "    VAL(PVRING_EVTCHN_OP_SET_KICK); VAL(PVRING_EVTCHN_OP_SET_CALL); VAL(PVRING_EVTCHN_VERSION);",
        "    VAL(PVRING_EVTCHN_STATUS_SEND_FD); VAL(PVRING_EVTCHN_DOORBELL_REMOVE);",
        "    VAL(PVRING_EVTCHN_MAX_MEM_REGIONS);",
        "    printf(\"region_addr %zu\\n\", offsetof(struct pvring_evtchn_mem_region, guest_phys_addr));",
        "    printf(\"region_size %zu\\n\", offsetof(struct pvring_evtchn_mem_region, memory_size));",
        "    printf(\"region_offset %zu\\n\", offsetof(struct pvring_evtchn_mem_region, mmap_offset));",
        "    printf(\"region_sizeof %zu\\n\", sizeof(struct pvring_evtchn_mem_region));",
        "    return 0;",
        "}",
        "");

    @Test
    void headerMatchesTheDescriptor(@TempDir final Path dir) throws IOException
    {
        final Path include = Files.createDirectories(dir.resolve("include"));
        EvtchnServer.writeCHeader(include);
        final CValues c = CProgram.fromSource("evtchn_abi", SOURCE).withFlags("-I" + include).runOk().values();

        assertEquals(EvtchnMessageDescriptor.SIZE_OFFSET, c.get("size"));
        assertEquals(EvtchnMessageDescriptor.OP_OFFSET, c.get("op"));
        assertEquals(EvtchnMessageDescriptor.ID_OFFSET, c.get("id"));
        assertEquals(EvtchnMessageDescriptor.PORT_OFFSET, c.get("port"));
        assertEquals(EvtchnMessageDescriptor.DOMID_OFFSET, c.get("domid"));
        assertEquals(EvtchnMessageDescriptor.REMOTE_PORT_OFFSET, c.get("remote_port"));
        assertEquals(EvtchnMessageDescriptor.STATUS_OFFSET, c.get("status"));
        assertEquals(EvtchnMessageDescriptor.VALUE_OFFSET, c.get("value"));
        assertEquals(EvtchnMessageDescriptor.MESSAGE_LENGTH, c.get("sizeof"));
        assertEquals(EvtchnMessageDescriptor.MESSAGE_LENGTH, c.get("PVRING_EVTCHN_MSG_SIZE"));

        assertEquals(EvtchnMessageDescriptor.OP_HELLO, c.get("PVRING_EVTCHN_OP_HELLO"));
        assertEquals(EvtchnMessageDescriptor.OP_ALLOC_UNBOUND, c.get("PVRING_EVTCHN_OP_ALLOC_UNBOUND"));
        assertEquals(EvtchnMessageDescriptor.OP_BIND_INTERDOMAIN, c.get("PVRING_EVTCHN_OP_BIND_INTERDOMAIN"));
        assertEquals(EvtchnMessageDescriptor.OP_SEND, c.get("PVRING_EVTCHN_OP_SEND"));
        assertEquals(EvtchnMessageDescriptor.OP_MASK, c.get("PVRING_EVTCHN_OP_MASK"));
        assertEquals(EvtchnMessageDescriptor.OP_UNMASK, c.get("PVRING_EVTCHN_OP_UNMASK"));
        assertEquals(EvtchnMessageDescriptor.OP_CLOSE, c.get("PVRING_EVTCHN_OP_CLOSE"));
        assertEquals(EvtchnMessageDescriptor.OP_DOMAIN_CREATE, c.get("PVRING_EVTCHN_OP_DOMAIN_CREATE"));
        assertEquals(EvtchnMessageDescriptor.OP_DOMAIN_DESTROY, c.get("PVRING_EVTCHN_OP_DOMAIN_DESTROY"));
        assertEquals(EvtchnMessageDescriptor.OP_EVENT, c.get("PVRING_EVTCHN_OP_EVENT"));
        assertEquals(EvtchnMessageDescriptor.OP_REPLY, c.get("PVRING_EVTCHN_OP_REPLY"));
        assertEquals(EvtchnMessageDescriptor.OP_MEM_REGION, c.get("PVRING_EVTCHN_OP_MEM_REGION"));
        assertEquals(EvtchnMessageDescriptor.OP_SET_MEM_TABLE, c.get("PVRING_EVTCHN_OP_SET_MEM_TABLE"));
        assertEquals(EvtchnMessageDescriptor.OP_SET_KICK, c.get("PVRING_EVTCHN_OP_SET_KICK"));
        assertEquals(EvtchnMessageDescriptor.OP_SET_CALL, c.get("PVRING_EVTCHN_OP_SET_CALL"));
        assertEquals(EvtchnMessageDescriptor.VERSION, c.get("PVRING_EVTCHN_VERSION"));
        assertEquals(EvtchnMessageDescriptor.STATUS_SEND_FD, c.get("PVRING_EVTCHN_STATUS_SEND_FD"));
        assertEquals(EvtchnMessageDescriptor.DOORBELL_REMOVE, c.get("PVRING_EVTCHN_DOORBELL_REMOVE"));
        assertEquals(MemoryTable.MAX_REGIONS, c.get("PVRING_EVTCHN_MAX_MEM_REGIONS"));
        assertEquals(EvtchnMemRegionDescriptor.GUEST_PHYS_ADDR_OFFSET, c.get("region_addr"));
        assertEquals(EvtchnMemRegionDescriptor.MEMORY_SIZE_OFFSET, c.get("region_size"));
        assertEquals(EvtchnMemRegionDescriptor.MMAP_OFFSET_OFFSET, c.get("region_offset"));
        assertEquals(EvtchnMessageDescriptor.MESSAGE_LENGTH, c.get("region_sizeof"));
    }
}
