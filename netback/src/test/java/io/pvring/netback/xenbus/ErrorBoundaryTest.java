package io.pvring.netback.xenbus;

import java.util.Map;

import io.pvring.event.WaitMode;
import io.pvring.host.Domain;
import io.pvring.host.Host;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.NetBackDriver;
import io.pvring.netback.packet.Ethernet;
import io.pvring.netback.test.TestFrames;
import io.pvring.netback.vswitch.PortSink;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.netfront.NetFront;
import io.pvring.netfront.NetFrontConfig;
import io.pvring.netfront.NetFrontDriver;
import io.pvring.runner.RunnerPoolConfig;
import io.pvring.xenbus.XenbusDeviceSpec;
import io.pvring.xenbus.XenbusPaths;
import io.pvring.xenbus.XenbusState;
import io.pvring.xenstore.XsConnection;
import io.pvring.testing.BoundedSpin;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The error boundary on a real runner thread: a bug reached through one vif's agent (here a switch port whose sink
 * throws on that vif's frames) closes that vif through xenbus with the reason in its error node, is counted by the
 * runner, and the other vifs on the same runner keep passing traffic.
 */
class ErrorBoundaryTest
{
    private static final long MAC_A = 0x00_16_3e_00_00_01L;
    private static final long MAC_B = 0x00_16_3e_00_00_02L;
    private static final long MAC_C = 0x00_16_3e_00_00_03L;

    /** A broken uplink: it throws on frames from {@link #MAC_A}, drops everything else. */
    private static final PortSink BROKEN_FOR_A = new PortSink()
    {
        @Override
        public boolean deliver(
            final DirectBuffer frame, final int offset, final int length, final int flags, final int gsoType,
            final int gsoSize)
        {
            if (Ethernet.source(frame, offset) == MAC_A)
            {
                throw new IllegalStateException("uplink bug");
            }
            return false;
        }
    };

    @ParameterizedTest
    @EnumSource(value = WaitMode.class, names = {"POLL", "NOTIFY", "ADAPTIVE"})
    @Timeout(120)
    void oneVifsAgentFailureClosesThatVifOnlyAndIsCounted(final WaitMode mode)
    {
        final VirtualSwitch vswitch = new VirtualSwitch();
        vswitch.attach("broken-uplink", BROKEN_FOR_A, 0);
        final NetBackDriver netback = new NetBackDriver(NetBackConfig.builder().build(), vswitch,
            SystemNanoClock.INSTANCE, mode);
        // one runner: the failing vif and the vifs that must keep passing frames share its thread
        try (Host host = Host.start(new RunnerPoolConfig().runners(1), netback))
        {
            final Guest a = guest(host, "a", MAC_A);
            final Guest b = guest(host, "b", MAC_B);
            final Guest c = guest(host, "c", MAC_C);
            final UnsafeBuffer frame = new UnsafeBuffer(new byte[128]);

            // c announces itself (the switch learns its port), then a's frame hits the broken uplink
            send(c.front, frame, Ethernet.BROADCAST, MAC_C);
            send(a.front, frame, Ethernet.BROADCAST, MAC_A);

            final XsConnection dom0 = host.xenStore().connect(0);
            final String errorNode = XenbusPaths.errorPath(0, a.spec.backendPath()) + "/error";
            BoundedSpin.until(() -> dom0.readOrNull(errorNode) != null, () -> "no error node at " + errorNode);
            assertEquals("5 vif" + a.domain.domid()
                + ".0-q0: internal error: java.lang.IllegalStateException: uplink bug",
                dom0.readOrNull(errorNode));
            // xenbus_dev_fatal writes the node, then switches to Closing (the frontend then closes it down)
            BoundedSpin.until(() -> host.toolstack().backendState(a.spec) == XenbusState.CLOSING
                || host.toolstack().backendState(a.spec) == XenbusState.CLOSED,
                () -> "a's backend went Closing: " + host.toolstack().backendState(a.spec));
            BoundedSpin.until(() -> !a.driver.isBackendConnected(), () -> "a's frontend saw its backend close");
            assertEquals(1, netback.errors().errors(), "the runner counted the failure once");
            assertEquals(1, host.runners().runner(0).errors(), "the runner took the failed queue off");

            // b and c are untouched: b's frames reach c through the same runner
            assertEquals(XenbusState.CONNECTED, host.toolstack().backendState(b.spec));
            assertEquals(XenbusState.CONNECTED, host.toolstack().backendState(c.spec));
            final int[] received = new int[1];
            for (int i = 0; i < 50; i++)
            {
                send(b.front, frame, MAC_C, MAC_B);
                BoundedSpin.until(() ->
                {
                    c.front.receive((buf, o, l, f, t, s) ->
                    {
                        if (Ethernet.source(buf, o) == MAC_B)
                        {
                            received[0]++;
                        }
                    }, 64);
                    b.front.reclaimTx();
                    return received[0] > 0;
                }, () -> "c received b's frame");
                received[0] = 0;
            }
            assertEquals(1, netback.errors().errors(), "nothing else failed");
            assertFalse(b.front.brokenReason() != null || c.front.brokenReason() != null);
        }
        finally
        {
            netback.close();
        }
    }

    private record Guest(Domain domain, XenbusDeviceSpec spec, NetFrontDriver driver, NetFront front)
    {
    }

    private static Guest guest(final Host host, final String name, final long mac)
    {
        final Domain domain = host.createDomain(name, 64L << 20);
        final String macText = Ethernet.format(mac);
        final XenbusDeviceSpec spec = new XenbusDeviceSpec("vif", 0, domain.domid(), "0", Map.of("mac", macText),
            Map.of("mac", macText));
        host.addDevice(spec);
        final NetFrontDriver driver = new NetFrontDriver(NetFrontConfig.builder().firstGfn(0x100).build());
        host.attachFrontend(domain, "vif", "0", driver);
        BoundedSpin.until(driver::isBackendConnected, () -> name + "'s vif connected");
        return new Guest(domain, spec, driver, driver.netFront());
    }

    private static void send(final NetFront front, final UnsafeBuffer frame, final long dst, final long src)
    {
        final int length = TestFrames.udp(frame, false, 32);
        TestFrames.ethernet(frame, dst, src, Ethernet.TYPE_IPV4);
        front.reclaimTx();
        assertTrue(front.send(frame, 0, length, 0, 0, 0), "TX ring has room");
        front.flush();
    }

}
