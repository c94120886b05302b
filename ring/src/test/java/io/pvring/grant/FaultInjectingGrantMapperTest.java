package io.pvring.grant;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.pvring.memory.GuestMemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FaultInjectingGrantMapperTest
{
    @Test
    void failsExactlyTheChosenOperationAndPassesTheRestThrough()
    {
        try (SharedGrantTable table = SharedGrantTable.anonymous(1);
            GuestMemory memory = GuestMemory.anonymous(1 << 20);
            BackendGrantMapper real = new BackendGrantMapper(0, 1, table, memory, 16, null))
        {
            final FrontendGrantTable frontend = new FrontendGrantTable(table);
            final int ref = frontend.grantAccess(0, 4, false);
            final FaultInjectingGrantMapper mapper = new FaultInjectingGrantMapper(real)
                .failMapAfter(2, GrantStatus.GNTST_NO_SPACE)
                .failCopyAfter(0, GrantStatus.GNTST_GENERAL_ERROR)
                .failNextMapRing(1);

            final int first = mapper.map(ref, true);
            final int second = mapper.map(ref, true);
            assertTrue(first >= 0 && second >= 0);
            assertEquals(GrantStatus.GNTST_NO_SPACE, mapper.map(ref, true));
            final int fourth = mapper.map(ref, true);
            assertTrue(fourth >= 0, "failure is injected once");
            assertEquals(3, mapper.liveMappings());
            assertEquals(3, mapper.unmapAll());

            final UnsafeBuffer data = new UnsafeBuffer(new byte[8]);
            assertEquals(GrantStatus.GNTST_GENERAL_ERROR, mapper.copyFromGuest(ref, 0, data, 0, 8));
            final int[] changed = new int[1];
            mapper.afterCopyFromGuest(() -> changed[0]++);
            assertEquals(GrantStatus.GNTST_OKAY, mapper.copyFromGuest(ref, 0, data, 0, 8));
            assertEquals(1, changed[0]);

            final RingMapping refused = mapper.mapRing(new int[]{ref}, 1);
            assertEquals(1, refused.status(), "XSA-316: a positive status");
            assertFalse(refused.isOk(), "a positive status is a failure too");
            assertEquals(0, refused.handles().length);
            final RingMapping mapped = mapper.mapRing(new int[]{ref}, 1);
            assertEquals(GrantStatus.GNTST_OKAY, mapped.status());
            assertEquals(GrantStatus.GNTST_OKAY, mapper.unmap(mapped.handles()[0]));
            assertEquals(4, mapper.maps());
            assertEquals(2, mapper.copies());
            assertEquals(0, table.totalPins());
        }
    }
}
