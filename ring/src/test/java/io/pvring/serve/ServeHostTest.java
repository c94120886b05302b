package io.pvring.serve;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import io.pvring.event.remote.EvtchnMessage;
import io.pvring.event.remote.EvtchnTestClient;
import io.pvring.host.Domain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.pvring.event.remote.EvtchnMessageDescriptor.EINVAL;
import static io.pvring.event.remote.EvtchnMessageDescriptor.ESRCH;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_ALLOC_UNBOUND;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_DOMAIN_CREATE;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_DOMAIN_DESTROY;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_HELLO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The out-of-process attach point: files and sockets in one private directory, guests made over the socket. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServeHostTest
{
    @Test
    void servesSocketsAndFilesInAPrivateDirectory(@TempDir final Path tmp) throws Exception
    {
        final Path dir = tmp.resolve("srv");
        final Domain guest;
        try (ServeHost serve = ServeHost.start(dir))
        {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
            for (final Path socket : new Path[]{serve.xenStoreSocket(), serve.evtchnSocket()})
            {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            }
            assertTrue(Files.readString(serve.cHeader()).contains("struct pvring_evtchn_msg"));

            guest = serve.createGuest("g", 8L << 20);
            assertEquals(8L << 20, Files.size(dir.resolve("dom" + guest.domid() + ".mem")));
            assertTrue(Files.exists(dir.resolve("dom" + guest.domid() + ".gnttab")));
            assertTrue(Files.exists(serve.guestXenStoreSocket(guest.domid())));
            assertTrue(serve.attachHint().contains("XENSTORED_PATH=" + serve.xenStoreSocket()));
        }
        assertFalse(Files.exists(dir.resolve("dom" + guest.domid() + ".mem")), "files go with the host");
        assertFalse(Files.exists(dir.resolve("evtchn.sock")));
        assertFalse(Files.exists(dir.resolve("xenstored.sock")));
    }

    @Test
    void aClientCreatesAGuestUsesItAndDestroysIt(@TempDir final Path tmp)
    {
        final Path dir = tmp.resolve("srv");
        try (ServeHost serve = ServeHost.start(dir); EvtchnTestClient client = EvtchnTestClient.connect(
            dir.resolve(ServeHost.EVTCHN_SOCKET)))
        {
            assertEquals(-EINVAL, client.call(OP_DOMAIN_CREATE, 0, 0, 0, 4095).status());
            assertEquals(-EINVAL, client.call(OP_DOMAIN_CREATE, 0, 0, 0, -4096).status());
            final EvtchnMessage created = client.call(OP_DOMAIN_CREATE, 0, 0, 0, 4L << 20);
            assertEquals(0, created.status());
            final int domid = (int)created.domid();
            assertTrue(Files.exists(dir.resolve("dom" + domid + ".mem")));
            assertEquals("remote-1", serve.host().hypervisor().domain(domid).name());
            assertEquals("remote-1", serve.host().xenStore().connect(0).readOrNull("/local/domain/" + domid + "/name"));

            assertEquals(0, client.call(OP_HELLO, 0, domid, 0, 0).status());
            assertEquals(0, client.call(OP_ALLOC_UNBOUND, 0, 0, 0, 0).status());
            assertEquals(-ESRCH, client.call(OP_DOMAIN_DESTROY, 0, 0, 0, 0).status(), "dom0 is not the client's");

            assertEquals(0, client.call(OP_DOMAIN_DESTROY, 0, domid, 0, 0).status());
            assertFalse(Files.exists(dir.resolve("dom" + domid + ".mem")));
            assertEquals(null, serve.host().hypervisor().domain(domid));
            assertEquals(-ESRCH, client.call(OP_ALLOC_UNBOUND, 0, 0, 0, 0).status(), "its domain is gone");
            assertEquals(-ESRCH, client.call(OP_DOMAIN_DESTROY, 0, domid, 0, 0).status());
        }
    }
}
