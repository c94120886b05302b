package io.pvring.serve;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.pvring.event.remote.EvtchnMessage;
import io.pvring.event.remote.EvtchnTestClient;
import io.pvring.host.Domain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.pvring.event.remote.EvtchnMessageDescriptor.EPERM;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_ALLOC_UNBOUND;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_DOMAIN_CREATE;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_DOMAIN_DESTROY;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_HELLO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One guest's process can act for that guest only: its own event socket, its own files, owner-only or its uid. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GuestIsolationTest
{
    private static String mode(final Path p) throws Exception
    {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void aGuestsEventSocketRefusesAHelloForAnotherDomainAndClosesTheConnection(@TempDir final Path tmp)
    {
        try (ServeHost serve = ServeHost.start(tmp.resolve("srv")))
        {
            final Domain one = serve.createGuest("one", 4L << 20);
            final Domain two = serve.createGuest("two", 4L << 20);
            final Path socket = serve.guestEvtchnSocket(one.domid());
            try (EvtchnTestClient impostor = EvtchnTestClient.connect(socket))
            {
                final EvtchnMessage refused = impostor.call(OP_HELLO, 0, two.domid(), 0, 0);
                assertEquals(-EPERM, refused.status(), "hello as domid " + two.domid() + " on guest " +
                    one.domid() + "'s socket");
                assertNull(impostor.read(), "the connection is closed after the refusal");
            }
            try (EvtchnTestClient dom0 = EvtchnTestClient.connect(socket))
            {
                assertEquals(-EPERM, dom0.call(OP_HELLO, 0, 0, 0, 0).status(), "not even as dom0");
                assertNull(dom0.read());
            }
            try (EvtchnTestClient own = EvtchnTestClient.connect(socket))
            {
                assertEquals(0, own.call(OP_HELLO, 0, one.domid(), 0, 0).status());
                final EvtchnMessage alloc = own.call(OP_ALLOC_UNBOUND, 0, 0, 0, 0);
                assertEquals(0, alloc.status());
                assertEquals(one.domid(), serve.host().hypervisor().eventChannelTable()
                    .port(one.domid(), (int)alloc.port()).domid(), "the port belongs to the socket's guest");
                assertEquals(-EPERM, own.call(OP_DOMAIN_CREATE, 0, 0, 0, 4L << 20).status(), "no domain_create");
                assertEquals(-EPERM, own.call(OP_DOMAIN_DESTROY, 0, two.domid(), 0, 0).status(), "no destroy");
                assertEquals(-EPERM, own.call(OP_HELLO, 0, two.domid(), 0, 0).status());
            }
            assertTrue(Files.exists(serve.guestEvtchnSocket(two.domid())));
            serve.destroyGuest(two);
            assertFalse(Files.exists(serve.guestEvtchnSocket(two.domid())), "the socket goes with the guest");
        }
    }

    @Test
    void guestFilesAndSocketsAreOwnerOnly(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("srv");
        try (ServeHost serve = ServeHost.start(dir))
        {
            final Domain g = serve.createGuest("g", 4L << 20);
            for (final Path p : List.of(g.memoryFile(), g.sharedGrantTable().path(),
                serve.guestXenStoreSocket(g.domid()), serve.guestEvtchnSocket(g.domid()), serve.evtchnSocket(),
                serve.xenStoreSocket()))
            {
                assertEquals("rw-------", mode(p), p.toString());
            }
            assertEquals("rwx------", mode(dir));
        }
    }

    @Test
    void aGuestsFilesAndSocketsCanBeGivenToItsEmulatorsUid(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("srv");
        final int uid = 54_321;
        try (ServeHost serve = ServeHost.start(dir))
        {
            final int self = (Integer)Files.getAttribute(dir, "unix:uid");
            if (self != 0)
            {
                // Without the privilege to chown, the guest is not made half-given: a clear error, nothing left.
                final UncheckedIOException ex = assertThrows(UncheckedIOException.class,
                    () -> serve.createGuest("g", 4L << 20, uid));
                assertTrue(ex.getMessage().contains("uid=" + uid), ex.getMessage());
                assertEquals(0, serve.host().hypervisor().domains().size() - 1, "no guest left behind");
                return;
            }
            final Domain mine = serve.createGuest("mine", 4L << 20, uid);
            final Domain other = serve.createGuest("other", 4L << 20);
            for (final Path p : List.of(mine.memoryFile(), mine.sharedGrantTable().path(),
                serve.guestXenStoreSocket(mine.domid()), serve.guestEvtchnSocket(mine.domid())))
            {
                assertEquals(uid, Files.getAttribute(p, "unix:uid"), p.toString());
                assertEquals("rw-------", mode(p), p.toString());
            }
            for (final Path p : List.of(other.memoryFile(), serve.guestEvtchnSocket(other.domid()),
                serve.evtchnSocket(), serve.xenStoreSocket()))
            {
                assertEquals(self, Files.getAttribute(p, "unix:uid"), p.toString());
            }
            assertEquals("rwx--x--x", mode(dir), "others may enter the directory, not list it");
        }
    }
}
