package io.pvring.host;

import java.nio.file.Path;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.pvring.grant.BackendGrantMapper;
import io.pvring.grant.GrantStatus;
import io.pvring.grant.GrantTableDescriptor;
import io.pvring.serve.CClientSources;
import io.pvring.testing.CProgram;
import io.pvring.testing.CValues;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A frontend in another process (C, Xen's public headers only, Linux's gnttab v1 algorithm) grants a page through
 * a file-backed domain's shared files, and the Java backend maps it; the C side's end-of-access fails while the page
 * is mapped and succeeds after the unmap, so the busy bits work across processes.
 */
class OutOfProcessFrontendTest
{
    private static final int REF = 20;
    private static final int GFN = 300;

    private final Hypervisor hypervisor = new Hypervisor();

    @AfterEach
    void close()
    {
        hypervisor.close();
    }

    @Test
    void cFrontendGrantsAndRevokesThroughTheSharedFiles(@TempDir final Path dir)
    {
        final CProgram frontend = CProgram.fromResource(OutOfProcessFrontendTest.class, "c_frontend.c")
            .withFlags(CClientSources.gccFlags().toArray(String[]::new));
        final Domain guest = hypervisor.createDomain("c-guest", 16L << 20, dir);
        final String mem = guest.memoryFile().toString();
        final String gnt = guest.sharedGrantTable().path().toString();

        assertEquals(1, frontend.runOk(mem, gnt, "grant", "" + REF, "0", "" + GFN, "0x5a").values().get("granted"));

        final BackendGrantMapper mapper = hypervisor.grantMapper(Hypervisor.DOM0, guest.domid(), 16);
        final int handle = mapper.map(REF, false);
        assertTrue(handle >= 0, GrantStatus.describe(handle));
        final UnsafeBuffer page = new UnsafeBuffer(new byte[0]);
        assertTrue(mapper.wrap(handle, page));
        assertEquals(0x5A5A_5A5A_5A5A_5A5AL, page.getLong(4088));

        assertEquals(0, frontend.runOk(mem, gnt, "end", "" + REF).values().get("ended"), "revoked while mapped");
        final CValues busy = frontend.runOk(mem, gnt, "read", "" + REF).values();
        assertEquals(GrantTableDescriptor.GTF_PERMIT_ACCESS | GrantTableDescriptor.GTF_READING |
            GrantTableDescriptor.GTF_WRITING, busy.get("flags"));

        assertEquals(GrantStatus.GNTST_OKAY, mapper.unmap(handle));
        assertEquals(1, frontend.runOk(mem, gnt, "end", "" + REF).values().get("ended"));
        final CValues ended = frontend.runOk(mem, gnt, "read", "" + REF).values();
        assertEquals(0, ended.get("flags"));
        assertEquals(GFN, ended.get("frame"));
        assertEquals(GrantStatus.GNTST_GENERAL_ERROR, mapper.map(REF, true), "access ended by the C frontend");
        mapper.close();
    }
}
