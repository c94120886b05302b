package io.pvring.blkback;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.pvring.event.EventChannelTable;
import io.pvring.event.remote.EvtchnMessage;
import io.pvring.event.remote.EvtchnMessageDescriptor;
import io.pvring.event.remote.EvtchnTestClient;
import io.pvring.host.Domain;
import io.pvring.serve.ServeHost;
import io.pvring.testing.CProgram;
import io.pvring.testing.CValues;
import io.pvring.xenbus.XenbusDeviceSpec;
import io.pvring.xenbus.XenbusState;
import io.pvring.xenstore.XenStoreServer;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The out-of-process attach, proved with a frontend nobody wrote in Java: a C blkfront ({@code serve_blkfront.c})
 * built only on Xen's public headers, libxenstore and {@code pvring_evtchn.h} maps a guest's memory and grant-table
 * files from a {@link ServeHost}, connects to the guest's xenstore socket and the event socket, runs the xenbus
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
    private static final Path XENSTORE_H = Path.of("/usr/include/xenstore.h");

    @Test
    void cBlkfrontAttachesThroughFilesAndSockets(@TempDir final Path tmp) throws Exception
    {
        CProgram.assumeToolsPresent();
        if (!Files.isReadable(XENSTORE_H))
        {
            missing(XENSTORE_H + " not found: install the Debian package libxen-dev (libxenstore)");
        }
        final Path image = tmp.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw"))
        {
            f.setLength(16L << 20);
        }
        final Path dir = tmp.resolve("srv");
        final BlkBackDriver driver = new BlkBackDriver(new BlkBackConfig().polling(false),
            BlkBackDriver.DEFAULT_OPENER, "notify", 1, null);
        final Path binary = compile(tmp);
        try (ServeHost serve = ServeHost.start(dir, driver))
        {
            final Domain guest = serve.createGuest("c-guest", 16L << 20);
            final XenbusDeviceSpec spec = new XenbusDeviceSpec("vbd", 0, guest.domid(), DEVID,
                Map.of("mode", "w", "params", image.toString(), "type", "file"),
                Map.of("virtual-device", DEVID, "device-type", "disk"));
            serve.addDevice(spec);

            final CValues out = run(binary, serve.guestXenStoreSocket(guest.domid()), serve.evtchnSocket().toString(),
                guest.memory().path().toString(), guest.sharedGrantTable().path().toString(),
                Integer.toString(guest.domid()), DEVID, Long.toString(START_SECTOR));
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
        CProgram.assumeToolsPresent();
        if (!Files.isReadable(XENSTORE_H))
        {
            missing(XENSTORE_H + " not found: install the Debian package libxen-dev (libxenstore)");
        }
        final String xenstoreWrite = tool("xenstore-write");
        final String xenstoreChmod = tool("xenstore-chmod");
        final Path image = tmp.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw"))
        {
            f.setLength(16L << 20);
        }
        final Path dir = tmp.resolve("srv");
        final BlkBackDriver driver = new BlkBackDriver(new BlkBackConfig().polling(false),
            BlkBackDriver.DEFAULT_OPENER, "notify", 1, null);
        final Path binary = compile(tmp);
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

            final CValues out = run(binary, serve.guestXenStoreSocket(domid), serve.evtchnSocket().toString(),
                dir.resolve("dom" + domid + ".mem").toString(), dir.resolve("dom" + domid + ".gnttab").toString(),
                Integer.toString(domid), DEVID, Long.toString(START_SECTOR));
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
        assertTrue(out.get("events") >= 3, "responses arrived as event-channel notifications");
    }

    private static String tool(final String name)
    {
        if (!ExternalTools.findOnPath(name))
        {
            missing(name + " not found on PATH: install the Debian package xenstore-utils");
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

    private static Path compile(final Path tmp) throws Exception
    {
        final Path include = Files.createDirectories(tmp.resolve("include"));
        Files.writeString(include.resolve(io.pvring.event.remote.EvtchnServer.C_HEADER),
            io.pvring.event.remote.EvtchnServer.cHeader(), StandardCharsets.US_ASCII);
        final Path source = tmp.resolve("serve_blkfront.c");
        try (InputStream in = ServeInteropTest.class.getResourceAsStream("serve_blkfront.c"))
        {
            Files.copy(in, source);
        }
        final Path binary = tmp.resolve("serve_blkfront");
        final Path log = tmp.resolve("gcc.log");
        final List<String> command = List.of("gcc", "-std=gnu11", "-O2", "-Wall", "-Werror", "-I/usr/include",
            "-I" + include, "-o", binary.toString(), source.toString(), "-lxenstore");
        final Process gcc = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!gcc.waitFor(120, TimeUnit.SECONDS))
        {
            gcc.destroyForcibly();
            Assertions.fail("gcc timed out");
        }
        final String output = Files.readString(log);
        if (0 != gcc.exitValue())
        {
            if (output.contains("cannot find -lxenstore"))
            {
                missing("libxenstore not found: install the Debian package libxen-dev\n" + output);
            }
            Assertions.fail("gcc failed: " + String.join(" ", command) + "\n" + output);
        }
        return binary;
    }

    private static CValues run(final Path binary, final Path xenStoreSocket, final String... args) throws Exception
    {
        final Path out = binary.resolveSibling("out.txt");
        final Path err = binary.resolveSibling("err.txt");
        final List<String> command = new java.util.ArrayList<>();
        command.add(binary.toString());
        command.addAll(List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put(XenStoreServer.XENSTORED_PATH_ENV, xenStoreSocket.toString());
        final Process process = pb.start();
        if (!process.waitFor(90, TimeUnit.SECONDS))
        {
            process.destroyForcibly().waitFor();
            Assertions.fail("serve_blkfront did not finish in 90 s; stdout:\n" + Files.readString(out) +
                "\nstderr:\n" + Files.readString(err));
        }
        final String stdout = Files.readString(out);
        assertEquals(0, process.exitValue(), "serve_blkfront failed; stdout:\n" + stdout + "\nstderr:\n" +
            Files.readString(err));
        return CValues.parse(stdout);
    }

    private static void missing(final String message)
    {
        if (CProgram.toolsRequired())
        {
            Assertions.fail(message + " (required because " + CProgram.REQUIRE_TOOLS_ENV + "=1)");
        }
        Assumptions.abort(message + " (test skipped; set " + CProgram.REQUIRE_TOOLS_ENV + "=1 to make this a failure)");
    }
}
