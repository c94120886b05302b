package io.pvring.testing;

import java.util.List;

import io.pvring.host.Hypervisor;
import io.pvring.xenbus.XenbusBackend;
import io.pvring.xenbus.XenbusDeviceSpec;
import io.pvring.xenbus.XenbusPaths;
import io.pvring.xenbus.XenbusState;
import io.pvring.xenstore.XsConnection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The invariants every backend keeps whatever keys a hostile frontend writes (the xenbus-keys fuzz targets of
 * blkback and netback): a valid backend state, a refusal that names its reason, and nothing left after removal.
 */
public final class BackendKeysChecks
{
    /** What the bus writes when a driver threw instead of answering: never what a guest's keys may cause. */
    private static final List<String> CATCH_ALL =
        List.of("connecting to frontend failed", "reconfiguration failed", "probe failed");

    private BackendKeysChecks()
    {
    }

    /** The backend's state is a xenbus state, and an error node, if any, names a specific reason. */
    public static void assertSane(final XsConnection dom0, final XenbusDeviceSpec spec)
    {
        final String state = dom0.readOrNull(spec.backendPath() + "/" + XenbusPaths.STATE);
        if (null != state)
        {
            assertTrue(XenbusState.parse(state) != XenbusState.UNKNOWN || "0".equals(state),
                "backend state " + state);
        }
        final String error = dom0.readOrNull(XenbusPaths.errorPath(Hypervisor.DOM0, spec.backendPath()) + "/error");
        if (null != error)
        {
            // The node is "<errno> <reason>", as xenbus_dev_fatal writes it.
            final String reason = error.replaceFirst("^[0-9]+ ", "");
            for (final String catchAll : CATCH_ALL)
            {
                assertFalse(reason.startsWith(catchAll), "the driver threw on guest keys: " + error);
            }
        }
    }

    /** After the toolstack removed the guest's device, the backend holds no device, mapping or dom0 port of it. */
    public static void assertReleased(
        final XenbusBackend backendBus, final Hypervisor hypervisor, final int guestDomid, final int dom0PortsBefore)
    {
        assertEquals(0, backendBus.deviceCount(guestDomid), "device left registered after its removal");
        assertEquals(0, hypervisor.openGrantMappers(), "grant mappings left by the backend");
        assertEquals(dom0PortsBefore, hypervisor.eventChannelTable().openPorts(Hypervisor.DOM0),
            "dom0 event channels left bound by the backend");
    }
}
