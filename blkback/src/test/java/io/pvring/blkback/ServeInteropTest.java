package io.pvring.blkback;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.pvring.blkback.test.ExternalTools;
import io.pvring.blkif.BlkifDescriptor;
import io.pvring.event.EventChannelTable;
import io.pvring.event.remote.EvtchnMessage;
import io.pvring.event.remote.EvtchnMessageDescriptor;
import io.pvring.event.remote.EvtchnTestClient;
import io.pvring.host.Domain;
import io.pvring.event.WaitMode;
import io.pvring.serve.CFrontendProcess;
import io.pvring.serve.ServeHost;
import io.pvring.testing.CValues;
import io.pvring.xenbus.XenbusDeviceSpec;
import io.pvring.xenbus.XenbusState;
import io.pvring.xenstore.XenStoreServer;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The out-of-process attach, proved with a frontend nobody wrote in Java: a C blkfront ({@code serve_blkfront.c})
 * built only on Xen's public headers and the client serve ships ({@code pvring_client.h}) maps a guest's memory and
 * grant-table files from a {@link ServeHost}, connects to the guest's own xenstore and event sockets, runs the xenbus
 * handshake with pvring's blkback, writes, reads back, flushes and closes. The backend sleeps on its event channel
 * (no polling), so every request crossed the socket as a notification; afterwards the device is disconnected
 * (ring and grants unmapped, ports closed) and the bytes are in the disk image.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServeInteropTest
{
    private static final String DEVID = "51712";
    private static final long START_SECTOR = 2048;
    private static final int BYTES = 16 * 4096;

    @Test
    void cBlkfrontAttachesThroughFilesAndSockets(@TempDir final Path tmp) throws Exception
    {
        final Path image = tmp.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw"))
        {
            f.setLength(16L << 20);
        }
        final Path dir = tmp.resolve("srv");
        final BlkBackDriver driver = new BlkBackDriver(BlkBackConfig.builder().waitMode(WaitMode.NOTIFY).build(),
            BlkBackDriver.DEFAULT_OPENER, null);
        final CFrontendProcess blkfront = CFrontendProcess.compile(ServeInteropTest.class, "serve_blkfront.c", tmp);
        try (ServeHost serve = ServeHost.start(dir, driver))
        {
            final Domain guest = serve.createGuest("c-guest", 16L << 20);
            final XenbusDeviceSpec spec = new XenbusDeviceSpec("vbd", 0, guest.domid(), DEVID,
                Map.of("mode", "w", "params", image.toString(), "type", "file"),
                Map.of("virtual-device", DEVID, "device-type", "disk"));
            serve.addDevice(spec);

            final CValues out = blkfront.start(dir.toString(), Integer.toString(guest.domid()), DEVID,
                Long.toString(START_SECTOR)).await(90);
            assertFrontendDidIo(out);

            // The backend is torn down: Closed, no connection, no mappings, no ports on either side.
            assertEquals(XenbusState.CLOSED, serve.host().toolstack().backendState(spec));
            assertEquals(1, driver.devices().size());
            assertNull(driver.devices().get(0).back(), "disconnected");
            assertEquals(0, serve.host().hypervisor().openGrantMappers());
            final EventChannelTable table = serve.host().hypervisor().eventChannelTable();
            assertEquals(0, table.openPorts(0), "blkback closed its end");
            assertEquals(0, table.openPorts(guest.domid()), "the C frontend closed its end");
        }
        assertImageHoldsThePattern(image);
    }

    /**
     * Everything from outside: the guest is made by a {@code domain_create} on the event socket, its disk by
     * Xen's {@code xenstore-write} and {@code xenstore-chmod} writing both device directories with libxl's
     * permissions, and its frontend is the C program; {@code domain_destroy} removes the device and the files.
     */
    @Test
    void guestAndDiskMadeFromOutsideWithXenstoreTools(@TempDir final Path tmp) throws Exception
    {
        final String xenstoreWrite = tool("xenstore-write");
        final String xenstoreChmod = tool("xenstore-chmod");
        final Path image = tmp.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw"))
        {
            f.setLength(16L << 20);
        }
        final Path dir = tmp.resolve("srv");
        final BlkBackDriver driver = new BlkBackDriver(BlkBackConfig.builder().waitMode(WaitMode.NOTIFY).build(),
            BlkBackDriver.DEFAULT_OPENER, null);
        final CFrontendProcess blkfront = CFrontendProcess.compile(ServeInteropTest.class, "serve_blkfront.c", tmp);
        try (ServeHost serve = ServeHost.start(dir, driver);
            EvtchnTestClient control = EvtchnTestClient.connect(serve.evtchnSocket()))
        {
            final EvtchnMessage created = control.call(EvtchnMessageDescriptor.OP_DOMAIN_CREATE, 0, 0, 0, 16L << 20);
            assertEquals(0, created.status());
            final int domid = (int)created.domid();
            final String fe = "/local/domain/" + domid + "/device/vbd/" + DEVID;
            final String be = "/local/domain/0/backend/vbd/" + domid + "/" + DEVID;
            final Map<String, String> env =
                Map.of(XenStoreServer.XENSTORED_PATH_ENV, serve.xenStoreSocket().toString());
            // libxl__device_generic_add: both directories in one transaction, then libxl's permissions.
            runTool(env, List.of(xenstoreWrite,
                fe + "/backend", be, fe + "/backend-id", "0", fe + "/state", "1", fe + "/virtual-device", DEVID,
                fe + "/device-type", "disk",
                be + "/frontend", fe, be + "/frontend-id", Integer.toString(domid), be + "/online", "1",
                be + "/state", "1", be + "/params", image.toString(), be + "/type", "file", be + "/mode", "w"));
            runTool(env, List.of(xenstoreChmod, "-r", fe, "n" + domid, "r0"));
            runTool(env, List.of(xenstoreChmod, "-r", be, "n0", "r" + domid));

            final CValues out = blkfront.start(dir.toString(), Integer.toString(domid), DEVID,
                Long.toString(START_SECTOR)).await(90);
            assertFrontendDidIo(out);
            assertEquals(0, serve.host().hypervisor().openGrantMappers());

            assertEquals(0, control.call(EvtchnMessageDescriptor.OP_DOMAIN_DESTROY, 0, domid, 0, 0).status());
            assertEquals(List.of(), driver.devices(), "the vbd went with its domain");
            assertFalse(Files.exists(dir.resolve("dom" + domid + ".mem")));
            assertFalse(Files.exists(serve.guestXenStoreSocket(domid)));
        }
        assertImageHoldsThePattern(image);
    }

    private static void assertFrontendDidIo(final CValues out)
    {
        assertEquals(1, out.get("backend_initwait"));
        assertEquals(32, out.get("ring_entries"), "__CONST_RING_SIZE(blkif, 4096)");
        assertEquals((16L << 20) / 512, out.get("sectors"));
        assertEquals(512, out.get("sector_size"));
        assertEquals(1, out.get("feature_flush_cache"));
        assertEquals(0, out.get("write_failed"));
        assertEquals(0, out.get("read_failed"));
        assertEquals(BYTES, out.get("bytes"));
        assertEquals(1, out.get("read_back_ok"));
        assertEquals(BlkifDescriptor.BLKIF_RSP_OKAY, out.get("flush_status"));
        assertEquals(1, out.get("backend_closed"));
        assertEquals(1, out.get("ring_ref_ended"), "the backend unmapped the ring before going Closed");
        assertEquals(1, out.get("evtchn_closed"));
        // The first response push crosses SHARED_RING_INIT's rsp_event=1, so at least one event is sent whatever
        // the timing, and the CLOSE call reads queued events before its reply; later waits depend on who is faster.
        assertTrue(out.get("events") >= 1, "responses arrived as event-channel notifications");
    }

    private static String tool(final String name)
    {
        if (!ExternalTools.findOnPath(name))
        {
            CFrontendProcess.missing(name + " not found on PATH: install the Debian package xenstore-utils");
        }
        return name;
    }

    private static void runTool(final Map<String, String> env, final List<String> command) throws Exception
    {
        final ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        final Process p = pb.start();
        final String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS))
        {
            p.destroyForcibly();
            Assertions.fail(command + " did not finish in 30 s");
        }
        assertEquals(0, p.exitValue(), command + ": " + output);
    }

    /** The same bytes the C program wrote, computed here, are in the image at START_SECTOR. */
    private static void assertImageHoldsThePattern(final Path image) throws IOException
    {
        final byte[] data = new byte[BYTES];
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "r"))
        {
            f.seek(START_SECTOR * 512);
            f.readFully(data);
        }
        for (int i = 0; i < BYTES; i++)
        {
            final long sector = START_SECTOR + i / 512;
            final int expected = (int)((sector * 31 + (i % 512) * 7L + 1) & 0xFF);
            if ((data[i] & 0xFF) != expected)
            {
                Assertions.fail("image byte " + i + " is " + (data[i] & 0xFF) + ", the C frontend wrote " + expected);
            }
        }
    }

}
