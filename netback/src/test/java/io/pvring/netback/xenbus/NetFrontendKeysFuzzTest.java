package io.pvring.netback.xenbus;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.pvring.event.EventPort;
import io.pvring.host.Domain;
import io.pvring.host.Hypervisor;
import io.pvring.netback.NetBackConfig;
import io.pvring.netback.NetBackDriver;
import io.pvring.netback.vswitch.VirtualSwitch;
import io.pvring.netif.NetifRings;
import io.pvring.ring.FrontRing;
import io.pvring.testing.BackendKeysChecks;
import io.pvring.xenbus.XenbusBackend;
import io.pvring.xenbus.XenbusDeviceSpec;
import io.pvring.xenbus.XenbusPaths;
import io.pvring.xenbus.XenbusState;
import io.pvring.xenbus.XenbusToolstack;
import io.pvring.xenstore.XenStore;
import io.pvring.xenstore.XenStoreException;
import io.pvring.xenstore.XsConnection;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of the xenbus keys netback reads from a frontend at connect: a hostile guest writes any
 * value to {@code tx-ring-ref}, {@code rx-ring-ref}, the event-channel keys, {@code multi-queue-num-queues} and the
 * per-queue keys, the feature flags, the control-ring keys and its {@code state}, through its own (unprivileged)
 * xenstore connection, while dom0's xenbus and the real {@link NetBackDriver} are stepped by hand.
 *
 * <p>Invariants: nothing throws out of the bus or the driver; the backend's state is always a xenbus state; a
 * refused connection names its reason (never the bus's catch-all for an exception inside the driver); after the
 * toolstack removes the device, every grant mapping and dom0 event channel the backend made is released. Regression
 * inputs live in {@code NetFrontendKeysFuzzTestInputs/}.
 */
class NetFrontendKeysFuzzTest
{
    private static final int MAX_STEPS = 48;
    private static final String[] KEYS =
    {
        "tx-ring-ref", "rx-ring-ref", "event-channel", "event-channel-tx", "event-channel-rx", "request-rx-copy",
        "multi-queue-num-queues", "queue-0/tx-ring-ref", "queue-0/rx-ring-ref", "queue-0/event-channel",
        "queue-1/tx-ring-ref", "queue-1/rx-ring-ref", "queue-1/event-channel", "queue-1/event-channel-tx",
        "queue-1/event-channel-rx", "feature-sg", "feature-gso-tcpv4", "feature-gso-tcpv6", "feature-no-csum-offload",
        "feature-ipv6-csum-offload", "feature-rx-notify", "request-multicast-control", "ctrl-ring-ref",
        "event-channel-ctrl", "feature-split-event-channels",
    };
    @FuzzTest
    void keys(final FuzzedDataProvider data)
    {
        try (Rig rig = new Rig())
        {
            for (int step = 0; step < MAX_STEPS && data.remainingBytes() > 0; step++)
            {
                switch (data.consumeInt(0, 4))
                {
                    case 0, 1 -> rig.writeKey(data.pickValue(KEYS), value(data, rig));
                    case 2 -> rig.writeKey(XenbusPaths.STATE, data.consumeBoolean() ?
                        Integer.toString(data.consumeInt(0, 8)) : data.consumeAsciiString(4));
                    case 3 -> rig.removeKey(data.pickValue(KEYS));
                    default -> rig.connectLikeLinux();
                }
                rig.pump();
                rig.check();
            }
            rig.removeDevice();
        }
    }

    private static String value(final FuzzedDataProvider data, final Rig rig)
    {
        return switch (data.consumeInt(0, 4))
        {
            case 0 -> Integer.toString(data.pickValue(rig.refs));
            case 1 -> Integer.toString(data.pickValue(rig.ports));
            case 2 -> Long.toString(data.consumeLong(-2, 1L << 33));
            case 3 -> data.pickValue(new String[]{"", "0", "1", "2", "3", "4294967296", "99999999999999999999",
                "+1", " 1", "1 ", "0x10", "-0"});
            default -> data.consumeAsciiString(24);
        };
    }

    private static final class Rig implements AutoCloseable
    {
        final Hypervisor hypervisor = new Hypervisor();
        final XenStore store = new XenStore();
        final XsConnection dom0 = store.connect(0);
        final XenbusToolstack toolstack = new XenbusToolstack(dom0);
        final NetBackDriver netback = new NetBackDriver(NetBackConfig.builder().maxQueues(2).build(),
            new VirtualSwitch(), SystemNanoClock.INSTANCE, null, new CountersManager(
                new UnsafeBuffer(ByteBuffer.allocateDirect(64 * CountersReader.METADATA_LENGTH)),
                new UnsafeBuffer(ByteBuffer.allocateDirect(64 * CountersReader.COUNTER_LENGTH))));
        final XenbusBackend backendBus = new XenbusBackend(store.connect(0), hypervisor);
        final Domain guest = hypervisor.createDomain("guest", 16L << 20);
        final XsConnection guestXs;
        final XenbusDeviceSpec spec;
        final String fe;
        /** Grant refs of ring pages the guest prepared (2 queues and a control ring), plus junk refs. */
        final int[] refs = new int[7];
        /** Unbound ports the guest allocated for dom0, plus junk ports. */
        final int[] ports = new int[5];
        final int portsBefore;

        Rig()
        {
            toolstack.createDomain(0, "Domain-0");
            backendBus.register(netback);
            toolstack.createDomain(guest.domid(), "guest");
            spec = new XenbusDeviceSpec("vif", 0, guest.domid(), "0", Map.of("mac", "00:16:3e:00:00:01",
                "handle", "0"), Map.of("mac", "00:16:3e:00:00:01", "mtu", "1500"));
            fe = spec.frontendPath();
            toolstack.addDevice(spec);
            guestXs = store.connect(guest.domid());
            for (int i = 0; i < 5; i++)
            {
                final long gfn = 0x80 + i;
                final UnsafeBuffer page = new UnsafeBuffer(0, 0);
                assertTrue(guest.memory().wrap(page, gfn, 1));
                new FrontRing(page, i == 4 ? NetifRings.CTRL : i % 2 == 0 ? NetifRings.TX : NetifRings.RX).init();
                refs[i] = guest.grantTable().grantAccess(Hypervisor.DOM0, gfn, false);
            }
            refs[5] = 0;
            refs[6] = guest.grantTable().grantAccess(Hypervisor.DOM0, 0x90, true); // read-only: no ring
            for (int i = 0; i < 3; i++)
            {
                final EventPort p = hypervisor.eventChannels().allocUnbound(guest.domid(), Hypervisor.DOM0);
                ports[i] = p.port();
            }
            ports[3] = 0;
            ports[4] = hypervisor.eventChannelTable().maxPorts();
            portsBefore = hypervisor.eventChannelTable().openPorts(Hypervisor.DOM0);
            pump();
        }

        void writeKey(final String key, final String value)
        {
            try
            {
                guestXs.write(0, fe + "/" + key, value.getBytes(StandardCharsets.ISO_8859_1));
            }
            catch (final XenStoreException ex)
            {
                // Quota or permission: the guest's problem, not the backend's.
            }
        }

        void removeKey(final String key)
        {
            try
            {
                guestXs.rm(fe + "/" + key);
            }
            catch (final XenStoreException ex)
            {
                // As above.
            }
        }

        /** The keys a Linux netfront writes, then Connected: fuzzed values around it start from a valid set. */
        void connectLikeLinux()
        {
            writeKey("tx-ring-ref", Integer.toString(refs[0]));
            writeKey("rx-ring-ref", Integer.toString(refs[1]));
            writeKey("event-channel", Integer.toString(ports[0]));
            writeKey("request-rx-copy", "1");
            writeKey(XenbusPaths.STATE, XenbusState.CONNECTED.toXenstore());
        }

        void pump()
        {
            for (int i = 0; i < 1000; i++)
            {
                if (backendBus.doWork() + netback.doWork() == 0)
                {
                    return;
                }
            }
            throw new AssertionError("xenbus did not settle");
        }

        void check()
        {
            BackendKeysChecks.assertSane(dom0, spec);
        }

        /** The toolstack unplugs the device, cooperative frontend or not: the backend must release everything. */
        void removeDevice()
        {
            toolstack.requestRemove(spec);
            pump();
            toolstack.destroyDevice(spec);
            pump();
            check();
            BackendKeysChecks.assertReleased(backendBus, hypervisor, guest.domid(), portsBefore);
        }

        @Override
        public void close()
        {
            backendBus.close();
            netback.close();
            hypervisor.close();
        }
    }
}
