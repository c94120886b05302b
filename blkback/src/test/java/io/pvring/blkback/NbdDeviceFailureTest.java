package io.pvring.blkback;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.pvring.blkback.store.BlockStore;
import io.pvring.blkback.store.DiskSpec;
import io.pvring.blkback.store.DiskStores;
import io.pvring.blkback.test.ExternalTools;
import io.pvring.blkback.test.TestData;
import io.pvring.blkfront.BlkFrontConfig;
import io.pvring.blkfront.BlkFrontDriver;
import io.pvring.blkfront.BlkFrontQueue;
import io.pvring.event.WaitMode;
import io.pvring.host.Domain;
import io.pvring.host.Host;
import io.pvring.nbd.NbdkitServer;
import io.pvring.runner.RunnerPoolConfig;
import io.pvring.xenbus.XenbusDeviceSpec;
import io.pvring.xenbus.XenbusPaths;
import io.pvring.xenbus.XenbusState;
import io.pvring.testing.BoundedSpin;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_ERROR;
import static io.pvring.blkif.BlkifDescriptor.BLKIF_RSP_OKAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A vbd on a remote NBD disk whose server is killed with I/O in flight, through xenbus on the host's runners: the
 * requests in flight are answered {@code BLKIF_RSP_ERROR}, so are later ones, nothing hangs, the device's error
 * node names the server, and a device on the same runner keeps serving.
 */
class NbdDeviceFailureTest
{
    private static final String DEVID = "51712";

    @TempDir
    Path dir;

    private static BlockStore open(final String type, final String params, final boolean readOnly, final int sector)
    {
        return "nbd".equals(type) ?
            DiskStores.open(DiskSpec.parse("params", params, Set.of(), Set.of()), sector, readOnly) :
            BlkBackDriver.DEFAULT_OPENER.open(type, params, readOnly, sector);
    }

    private static XenbusDeviceSpec vbd(final Domain guest, final String type, final String params)
    {
        return new XenbusDeviceSpec("vbd", 0, guest.domid(), DEVID, Map.of("type", type, "params", params, "mode", "w"),
            Map.of("virtual-device", DEVID, "device-type", "disk"));
    }

    private static BlkFrontDriver attach(final Host host, final Domain guest)
    {
        final BlkFrontDriver blkfront = new BlkFrontDriver(BlkFrontConfig.defaults(), 4096);
        host.attachFrontend(guest, "vbd", DEVID, blkfront);
        BoundedSpin.until(blkfront::isConnected, () -> guest + "'s blkfront to connect");
        return blkfront;
    }

    /** Pushes what is queued and collects {@code expected} answers by cookie, bounded. */
    private static int[] answers(final BlkFrontQueue queue, final int expected, final String what)
    {
        final int[] status = new int[expected];
        final int[] count = new int[1];
        queue.push();
        BoundedSpin.until(() ->
        {
            queue.poll((cookie, op, result) ->
            {
                status[(int)cookie] = result;
                count[0]++;
            });
            return count[0] == expected;
        }, () -> count[0] + " of " + expected + " answers to " + what);
        return status;
    }

    @Test
    void aServerKilledWithIoInFlightGivesErrorsAndAnErrorNodeNamingIt() throws Exception
    {
        ExternalTools.require("nbdkit", "nbdkit");
        final BlkBackDriver driver = new BlkBackDriver(BlkBackConfig.builder().waitMode(WaitMode.NOTIFY).build(),
            NbdDeviceFailureTest::open, null);
        try (NbdkitServer server = NbdkitServer.unix(dir, List.of("delay"), List.of("memory", "size=16M",
            "delay-write=5"));
            Host host = Host.start(new RunnerPoolConfig().runners(1), driver))
        {
            final Domain remote = host.createDomain("remote", 64L << 20);
            final Domain local = host.createDomain("local", 64L << 20);
            final XenbusDeviceSpec remoteSpec = vbd(remote, "nbd", server.uri().toString());
            host.addDevice(remoteSpec);
            host.addDevice(vbd(local, "memory", Long.toString(4L << 20)));
            final BlkFrontQueue remoteQueue = attach(host, remote).front().queue(0);
            final BlkFrontQueue localQueue = attach(host, local).front().queue(0);
            final BlkBack remoteBack = driver.devices().stream()
                .filter(d -> d.xenbus().frontendDomid() == remote.domid()).findFirst().orElseThrow().back();

            final UnsafeBuffer data = TestData.pattern(4096, 5);
            for (int c = 0; c < 8; c++)
            {
                assertTrue(remoteQueue.write(c * 8L, 8, data, 0, c));
            }
            assertTrue(remoteQueue.flush(8));
            remoteQueue.push();
            BoundedSpin.until(() -> remoteBack.rings().get(0).counters().requests.get() == 9,
                () -> "blkback to take the 9 requests (writes delayed 5 s by the server)");
            server.process().kill();
            final int[] inFlight = answers(remoteQueue, 9, "the requests in flight when the server died");
            for (int c = 0; c < 9; c++)
            {
                assertEquals(BLKIF_RSP_ERROR, inFlight[c], "request " + c + " in flight");
            }
            final String errorPath = XenbusPaths.errorPath(0, remoteSpec.backendPath()) + "/error";
            BoundedSpin.until(() -> host.xenStore().connect(0).readOrNull(errorPath) != null, () -> "the error node");
            final String error = host.xenStore().connect(0).readOrNull(errorPath);
            assertTrue(error.startsWith("5 disk " + server.uri()) && error.contains(" failed: "), error);
            assertEquals(XenbusState.CONNECTED, host.toolstack().backendState(remoteSpec),
                "the device stays, answering errors");

            assertTrue(remoteQueue.read(0, 8, data, 0, 0));
            assertEquals(BLKIF_RSP_ERROR, answers(remoteQueue, 1, "a read after the server died")[0]);

            assertTrue(localQueue.write(0, 8, data, 0, 0));
            assertTrue(localQueue.read(0, 8, new UnsafeBuffer(new byte[4096]), 0, 1));
            final int[] served = answers(localQueue, 2, "the device sharing the runner");
            assertEquals(BLKIF_RSP_OKAY, served[0]);
            assertEquals(BLKIF_RSP_OKAY, served[1]);
        }
    }
}
