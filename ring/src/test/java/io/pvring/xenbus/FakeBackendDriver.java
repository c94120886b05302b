package io.pvring.xenbus;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A backend driver that records its callbacks and fails the test (AssertionError escapes the bus) on a double
 * connect, a double disconnect, or any call after remove.
 */
final class FakeBackendDriver implements XenbusBackendDriver
{
    final String type;
    final Map<String, Dev> devices = new HashMap<>();
    final List<Dev> all = new ArrayList<>();
    boolean hotplugReady = true;
    /** Thrown by every connect when set (a driver bug). */
    RuntimeException connectFailure;
    int probes;

    FakeBackendDriver(final String type)
    {
        this.type = type;
    }

    static final class Dev implements XenbusBackendDevice
    {
        final FakeBackendDriver driver;
        final List<String> calls = new ArrayList<>();
        boolean connected;
        boolean removed;
        int connects;
        int disconnects;
        int removes;
        String ringRef;

        Dev(final FakeBackendDriver driver)
        {
            this.driver = driver;
        }

        @Override
        public boolean readyForInitWait(final XenbusDevice device)
        {
            assertFalse(removed);
            return driver.hotplugReady || "connected".equals(device.read("hotplug-status"));
        }

        @Override
        public boolean connect(final XenbusDevice device)
        {
            assertFalse(removed, "connect after remove");
            assertFalse(connected, "double connect");
            connects++;
            calls.add("connect");
            if (null != driver.connectFailure)
            {
                connected = true;
                throw driver.connectFailure;
            }
            final String ref = device.readOtherend("ring-ref");
            if (null == ref || !ref.chars().allMatch(Character::isDigit) || ref.isEmpty())
            {
                device.fatal("bad ring-ref " + ref);
                connected = true;
                return false;
            }
            ringRef = ref;
            connected = true;
            device.write("sectors", "2048");
            return true;
        }

        @Override
        public void disconnect(final XenbusDevice device)
        {
            assertFalse(removed, "disconnect after remove");
            assertTrue(connected, "disconnect without connect");
            connected = false;
            disconnects++;
            calls.add("disconnect");
        }

        @Override
        public XenbusState reconfigure(final XenbusDevice device, final XenbusState frontendState)
        {
            calls.add("reconfigure-" + frontendState);
            return XenbusBackendDevice.super.reconfigure(device, frontendState);
        }

        @Override
        public void remove(final XenbusDevice device)
        {
            assertFalse(removed, "double remove");
            assertFalse(connected, "remove while connected");
            removed = true;
            removes++;
            calls.add("remove");
        }
    }

    @Override
    public String deviceType()
    {
        return type;
    }

    @Override
    public XenbusBackendDevice probe(final XenbusDevice device)
    {
        probes++;
        device.write("feature-test", "1");
        device.write("max-ring-page-order", "4");
        final Dev d = new Dev(this);
        devices.put(device.frontendDomid() + "/" + device.devid(), d);
        all.add(d);
        return d;
    }
}
