package io.pvring.bench.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import io.pvring.event.EventChannelTable;
import io.pvring.event.WaitMode;
import io.pvring.host.Domain;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.NetBackDriver;
import io.pvring.stats.CountersFile;
import io.pvring.netback.vswitch.Offload;
import io.pvring.netback.vswitch.SwitchPort;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.serve.CFrontendProcess;
import io.pvring.serve.ServeHost;
import io.pvring.testing.CValues;
import io.pvring.xenbus.XenbusDeviceSpec;
import io.pvring.xenbus.XenbusState;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * netback out of process, as {@code pvring serve} offers it: a C netfront ({@code serve_netfront.c}: Xen's public
 * headers and the shipped client, {@code pvring_client.h}) attaches through the guest's files and sockets, transmits a
 * broadcast frame that a port of pvring's switch receives, and receives the answer the test sends to its MAC.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServeNetInteropTest
{
    private static final String DEVID = "0";
    private static final String MAC = "00:16:3e:12:34:56";
    private static final int TX_PAYLOAD = 200;
    private static final int RX_PAYLOAD = 300;
    private static final int ETH_HLEN = 14;

    @Test
    void cNetfrontSendsAndReceivesThroughPvringsSwitch(@TempDir final Path tmp) throws Exception
    {
        final CFrontendProcess netfront =
            CFrontendProcess.compile(ServeNetInteropTest.class, "serve_netfront.c", tmp);
        final VirtualSwitch vswitch = new VirtualSwitch();
        final BlockingQueue<byte[]> seen = new ArrayBlockingQueue<>(16);
        final SwitchPort probe = vswitch.attach("probe", (frame, offset, length, flags, gsoType, gsoSize) ->
        {
            final byte[] copy = new byte[length];
            frame.getBytes(offset, copy);
            return seen.offer(copy);
        }, Offload.CAP_NONE);
        final CountersFile counters = CountersFile.create(tmp.resolve("net-counters.dat"), 64, 0);
        final CountersFile monitor = CountersFile.openReader(tmp.resolve("net-counters.dat"));
        final NetBackDriver netback = new NetBackDriver(NetBackConfig.builder().build(), vswitch,
            SystemNanoClock.INSTANCE, WaitMode.NOTIFY, counters.manager());
        try (counters; monitor; netback; ServeHost serve = ServeHost.start(tmp.resolve("srv"), netback))
        {
            final Domain guest = serve.createGuest("c-guest", 16L << 20);
            final XenbusDeviceSpec spec = new XenbusDeviceSpec(NetBackDriver.TYPE, 0, guest.domid(), DEVID,
                Map.of("mac", MAC, "handle", DEVID), Map.of("mac", MAC, "handle", DEVID));
            serve.addDevice(spec);
            try
            {
                netfront.start(serve.directory().toString(), Integer.toString(guest.domid()), DEVID,
                    Integer.toString(TX_PAYLOAD), Integer.toString(RX_PAYLOAD));

                final byte[] sent = seen.poll(60, TimeUnit.SECONDS);
                assertNotNull(sent, "no frame from the C netfront reached the switch");
                assertEquals(ETH_HLEN + TX_PAYLOAD, sent.length);
                for (int i = 0; i < 6; i++)
                {
                    assertEquals((byte)0xFF, sent[i], "broadcast");
                }
                assertEquals(MAC, mac(sent, 6));
                for (int i = 0; i < TX_PAYLOAD; i++)
                {
                    assertEquals((byte)(i * 3 + 5), sent[ETH_HLEN + i], "payload byte " + i);
                }

                // A monitor mapping the counters file sees the frame counted (published after the TX batch).
                final String txLabel = "vif" + guest.domid() + "." + DEVID + " q0 tx packets";
                final long countDeadline = System.nanoTime() + 30_000_000_000L;
                while (counterValue(monitor.reader(), txLabel) < 1 && System.nanoTime() < countDeadline)
                {
                    Thread.yield();
                }
                assertEquals(1, counterValue(monitor.reader(), txLabel));

                // The answer, to the MAC the switch just learned on the vif's port.
                final byte[] answer = new byte[ETH_HLEN + RX_PAYLOAD];
                System.arraycopy(sent, 6, answer, 0, 6);
                answer[6] = 0x02;
                answer[11] = (byte)0x99;
                answer[12] = (byte)0x88;
                answer[13] = (byte)0xB5;
                for (int i = 0; i < RX_PAYLOAD; i++)
                {
                    answer[ETH_HLEN + i] = (byte)(i * 5 + 1);
                }
                assertEquals(1, probe.transmit(new UnsafeBuffer(answer), 0, answer.length, 0, 0, 0),
                    "unicast to the vif");

                final CValues out = netfront.await(60);
                assertEquals(1, out.get("backend_initwait"));
                assertEquals(1, out.get("backend_connected"));
                assertEquals(256, out.get("tx_ring_entries"), "__CONST_RING_SIZE(netif_tx, 4096)");
                assertEquals(0, out.get("tx_status"), "NETIF_RSP_OKAY");
                assertEquals(ETH_HLEN + RX_PAYLOAD, out.get("rx_len"));
                assertEquals(1, out.get("rx_ok"));
                assertEquals(1, out.get("tx_ref_ended"));
                assertEquals(1, out.get("backend_closed"));
                assertEquals(1, out.get("rings_ended"), "netback unmapped both rings before going Closed");
                assertEquals(1, out.get("evtchn_closed"));
                assertTrue(out.get("events") >= 1);

                // Mappings released: rings_ended and tx_ref_ended above are the frontend's own proof.
                assertEquals(XenbusState.CLOSED, serve.host().toolstack().backendState(spec));
                final EventChannelTable table = serve.host().hypervisor().eventChannelTable();
                assertEquals(0, table.openPorts(0), "netback closed its end");
                assertEquals(0, table.openPorts(guest.domid()), "the C netfront closed its end");
                assertEquals(0, serve.host().hypervisor().openGrantMappers(), "netback closed its grant mapper");
            }
            finally
            {
                netfront.destroy();
            }
        }
    }

    private static long counterValue(final CountersReader reader, final String label)
    {
        final long[] value = {-1};
        reader.forEach((id, typeId, key, l) ->
        {
            if (label.equals(l))
            {
                value[0] = reader.getCounterValue(id);
            }
        });
        return value[0];
    }

    private static String mac(final byte[] frame, final int offset)
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 6; i++)
        {
            sb.append(i == 0 ? "" : ":").append(String.format("%02x", frame[offset + i] & 0xFF));
        }
        return sb.toString();
    }
}
