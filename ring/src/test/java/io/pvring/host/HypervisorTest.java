package io.pvring.host;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.pvring.event.EventPort;
import io.pvring.grant.BackendGrantMapper;
import io.pvring.grant.GrantMapper;
import io.pvring.grant.GrantStatus;
import io.pvring.grant.GrantTableDescriptor;
import io.pvring.memory.GuestMemory;
import io.pvring.memory.MappedGuestMemory;
import io.pvring.xenbus.HypervisorServices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HypervisorTest
{
    private static final long MEMORY = 32L << 20;

    private final Hypervisor hypervisor = new Hypervisor();
    private final UnsafeBuffer page = new UnsafeBuffer(new byte[0]);

    @AfterEach
    void close()
    {
        hypervisor.close();
        hypervisor.close();
        assertEquals(0, hypervisor.openGrantMappers());
        assertTrue(hypervisor.domains().isEmpty());
    }

    @Test
    void dom0ExistsAndGuestsAreNumberedInOrder()
    {
        final Domain dom0 = hypervisor.dom0();
        assertEquals(Hypervisor.DOM0, dom0.domid());
        assertEquals("Domain-0", dom0.name());
        assertEquals(1, hypervisor.createDomain("guest1", MEMORY).domid());
        assertThrows(IllegalArgumentException.class, () -> hypervisor.createDomain("guest1", MEMORY));
        assertThrows(IllegalArgumentException.class, () -> hypervisor.createDomain("odd", MEMORY + 1));
        final Domain guest2 = hypervisor.createDomain("guest2", MEMORY);
        assertEquals(2, guest2.domid(), "failed creations use no domid");
        assertEquals(MEMORY / GuestMemory.PAGE_SIZE, guest2.memory().frames());
        assertEquals(32768, guest2.grantTable().capacity());
        assertEquals(3, hypervisor.domains().size());
        assertThrows(IllegalArgumentException.class, () -> hypervisor.destroyDomain(0));
        assertFalse(hypervisor.destroyDomain(99));
        assertThrows(IllegalArgumentException.class, () -> hypervisor.grantMapper(0, 99));
    }

    @Test
    void backendMapsGrantsAndTalksOverAnEventChannelUntilTheGuestIsDestroyed()
    {
        final Domain guest = hypervisor.createDomain("guest", MEMORY);
        final int ref = guest.grantTable().grantAccess(Hypervisor.DOM0, 77, false);
        assertTrue(guest.memory().wrap(page, 77, 1));
        page.putInt(0, 0xABCD);

        final GrantMapper mapper = hypervisor.grantMapper(Hypervisor.DOM0, guest.domid());
        final int handle = mapper.map(ref, false);
        assertTrue(handle >= 0, GrantStatus.describe(handle));
        final UnsafeBuffer mapped = new UnsafeBuffer(new byte[0]);
        assertTrue(mapper.wrap(handle, mapped));
        assertEquals(0xABCD, mapped.getInt(0));

        final EventPort front = hypervisor.eventChannels().allocUnbound(guest.domid(), Hypervisor.DOM0);
        final EventPort back = hypervisor.eventChannels().bindInterdomain(Hypervisor.DOM0, guest.domid(), front.port());
        assertNotNull(back);
        assertTrue(front.notifyRemote());
        assertTrue(back.consumePending());

        assertTrue(hypervisor.destroyDomain(guest.domid()));
        assertTrue(guest.isDestroyed());
        assertNull(hypervisor.domain(guest.domid()));
        assertEquals(0, mapper.liveMappings(), "destroy released the backend's mappings");
        assertEquals(GrantStatus.GNTST_BAD_DOMAIN, mapper.map(ref, false));
        assertEquals(0, hypervisor.openGrantMappers());
        assertFalse(back.notifyRemote(), "guest's port is gone");
        assertTrue(front.isClosed());
        assertTrue(((MappedGuestMemory)guest.memory()).isClosed());
        assertTrue(guest.sharedGrantTable().isClosed());
    }

    @Test
    void servesTheXenbusDriversByDomid()
    {
        final Domain guest = hypervisor.createDomain("guest", MEMORY);
        final HypervisorServices services = hypervisor;
        assertSame(guest.grantTable(), services.grantTable(guest.domid()));
        assertSame(guest.memory(), services.guestMemory(guest.domid()));
        assertSame(hypervisor.eventChannelTable(), services.eventChannels());
        assertThrows(IllegalArgumentException.class, () -> services.grantTable(42));
        assertThrows(IllegalArgumentException.class, () -> services.guestMemory(42));
    }

    @Test
    void closedMapperIsForgotten()
    {
        final Domain guest = hypervisor.createDomain("guest", MEMORY);
        final BackendGrantMapper mapper = hypervisor.grantMapper(Hypervisor.DOM0, guest.domid(), 16);
        assertEquals(1, hypervisor.openGrantMappers());
        mapper.close();
        mapper.close();
        assertEquals(0, hypervisor.openGrantMappers());
    }

    @Test
    void fileBackedDomainIsVisibleToAnotherMapperAndRemovedOnDestroy(@TempDir final Path dir) throws Exception
    {
        final Domain guest = hypervisor.createDomain("shared", MEMORY, dir);
        final Path memoryFile = dir.resolve("dom1.mem");
        final Path grantFile = dir.resolve("dom1.gnttab");
        assertEquals(memoryFile, guest.memoryFile());
        assertEquals(grantFile, guest.sharedGrantTable().path());

        final int ref = guest.grantTable().grantAccess(Hypervisor.DOM0, 0x1234, true);
        try (GuestMemory peer = GuestMemory.file(memoryFile, MEMORY))
        {
            assertTrue(guest.memory().wrap(page, 5, 1));
            page.putLong(64, 0x0DDC0FFEEL);
            assertTrue(peer.wrap(page, 5, 1));
            assertEquals(0x0DDC0FFEEL, page.getLong(64));
        }
        try (FileChannel channel = FileChannel.open(grantFile, StandardOpenOption.READ))
        {
            final ByteBuffer entry =
                ByteBuffer.allocate(GrantTableDescriptor.ENTRY_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(entry, GrantTableDescriptor.entryOffset(ref));
            assertEquals(GrantTableDescriptor.GTF_PERMIT_ACCESS | GrantTableDescriptor.GTF_READONLY,
                entry.getShort(GrantTableDescriptor.FLAGS_OFFSET));
            assertEquals(Hypervisor.DOM0, entry.getShort(GrantTableDescriptor.DOMID_OFFSET));
            assertEquals(0x1234, entry.getInt(GrantTableDescriptor.FRAME_OFFSET));
        }
        assertTrue(hypervisor.destroyDomain(guest.domid()));
        assertFalse(Files.exists(memoryFile));
        assertFalse(Files.exists(grantFile));
    }

    @Test
    void closedHypervisorRefusesNewDomains()
    {
        hypervisor.createDomain("guest", MEMORY);
        hypervisor.close();
        assertThrows(IllegalStateException.class, () -> hypervisor.createDomain("late", MEMORY));
    }
}
