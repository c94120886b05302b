package io.pvring.blkback;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.pvring.blkif.BlkifAbi;
import io.pvring.event.EventPort;
import io.pvring.event.WaitMode;
import io.pvring.host.Domain;
import io.pvring.host.Hypervisor;
import io.pvring.ring.FrontRing;
import io.pvring.ring.RingGeometry;
import io.pvring.runner.RunnerPool;
import io.pvring.runner.RunnerPoolConfig;
import io.pvring.testing.BackendKeysChecks;
import io.pvring.xenbus.XenbusBackend;
import io.pvring.xenbus.XenbusDeviceSpec;
import io.pvring.xenbus.XenbusPaths;
import io.pvring.xenbus.XenbusState;
import io.pvring.xenbus.XenbusToolstack;
import io.pvring.xenstore.XenStore;
import io.pvring.xenstore.XenStoreException;
import io.pvring.xenstore.XsConnection;
import org.agrona.concurrent.UnsafeBuffer;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coverage-guided fuzzing of the xenbus keys blkback reads from a frontend at connect: a hostile guest writes any
 * value to {@code protocol}, {@code ring-page-order}, {@code ring-ref}/{@code ring-refN}, {@code event-channel},
 * {@code multi-queue-num-queues} and the per-queue keys, {@code feature-persistent} and its {@code state}, through its
 * own (unprivileged) xenstore connection, while dom0's xenbus and the real {@link BlkBackDriver} are stepped by hand
 * (a connected device's ring threads run on their own).
 *
 * <p>Invariants: nothing throws out of the bus or the driver; the backend's state is always a xenbus state; a
 * refused connection names its reason (never the bus's catch-all for an exception inside the driver); after the
 * toolstack removes the device, every grant mapping and dom0 event channel the backend made is released. Regression
 * inputs live in {@code BlkFrontendKeysFuzzTestInputs/}.
 */
class BlkFrontendKeysFuzzTest
{
    private static final int MAX_STEPS = 48;
    private static final String[] KEYS =
    {
        "protocol", "ring-page-order", "ring-ref", "ring-ref0", "ring-ref1", "event-channel", "multi-queue-num-queues",
        "queue-0/ring-ref", "queue-0/event-channel", "queue-1/ring-ref", "queue-1/event-channel", "queue-1/ring-ref0",
        "queue-1/ring-ref1", "feature-persistent", "device-type", "virtual-device",
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
                "+1", " 1", "1 ", "x86_32-abi", "x86_64-abi", "arm-abi", "cdrom", "disk"});
            default -> data.consumeAsciiString(24);
        };
    }

    private static final class Rig implements AutoCloseable
    {
        final Hypervisor hypervisor = new Hypervisor();
        final XenStore store = new XenStore();
        final XsConnection dom0 = store.connect(0);
        final XenbusToolstack toolstack = new XenbusToolstack(dom0);
        final RunnerPool runners = new RunnerPool(new RunnerPoolConfig().runners(1));
        final BlkBackDriver blkback = new BlkBackDriver(
            BlkBackConfig.builder().maxQueues(2).maxRingPageOrder(1).waitMode(WaitMode.NOTIFY).build(),
            BlkBackDriver.DEFAULT_OPENER, null);
        final XenbusBackend backendBus = new XenbusBackend(store.connect(0), hypervisor);
        final Domain guest = hypervisor.createDomain("guest", 16L << 20);
        final XsConnection guestXs;
        final XenbusDeviceSpec spec;
        final String fe;
        /** Grant refs of ring pages the guest prepared (two queues of two pages), plus junk refs. */
        final int[] refs = new int[7];
        /** Unbound ports the guest allocated for dom0, plus junk ports. */
        final int[] ports = new int[5];
        final int portsBefore;

        Rig()
        {
            toolstack.createDomain(0, "Domain-0");
            blkback.runOn(runners);
            backendBus.register(blkback);
            toolstack.createDomain(guest.domid(), "guest");
            spec = new XenbusDeviceSpec("vbd", 0, guest.domid(), "51712",
                Map.of("mode", "w", "params", Long.toString(1L << 20), "type", "memory"),
                Map.of("virtual-device", "51712", "device-type", "disk"));
            fe = spec.frontendPath();
            toolstack.addDevice(spec);
            guestXs = store.connect(guest.domid());
            final BlkifAbi abi = BlkifAbi.forProtocol(null);
            for (int i = 0; i < 4; i++)
            {
                final long gfn = 0x80 + i;
                final UnsafeBuffer page = new UnsafeBuffer(0, 0);
                assertTrue(guest.memory().wrap(page, gfn, 1));
                new FrontRing(page, RingGeometry.of(abi.slotBytes(), 0)).init();
                refs[i] = guest.grantTable().grantAccess(Hypervisor.DOM0, gfn, false);
            }
            refs[4] = 0;
            refs[5] = guest.grantTable().grantAccess(Hypervisor.DOM0, 0x90, true); // read-only: no ring
            refs[6] = 0x7FFF_FFFF;
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

        /** The keys a Linux blkfront writes, then Initialised: fuzzed values around it start from a valid set. */
        void connectLikeLinux()
        {
            writeKey("ring-ref", Integer.toString(refs[0]));
            writeKey("event-channel", Integer.toString(ports[0]));
            writeKey("protocol", "x86_64-abi");
            writeKey("feature-persistent", "1");
            writeKey(XenbusPaths.STATE, XenbusState.INITIALISED.toXenstore());
        }

        void pump()
        {
            for (int i = 0; i < 1000; i++)
            {
                if (backendBus.doWork() == 0)
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
            runners.close();
            hypervisor.close();
        }
    }
}
