package io.pvring.xenbus;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A frontend driver that records its callbacks; blkfront-style (Initialised) or netfront-style (Connected). */
class FakeFrontendDriver implements XenbusFrontendDriver
{
    final XenbusState afterKeys;
    boolean transportUp;
    int setups;
    int keyWrites;
    int backendConnects;
    int disconnects;
    String sawMaxRingPageOrder;

    FakeFrontendDriver(final XenbusState afterKeys)
    {
        this.afterKeys = afterKeys;
    }

    @Override
    public void setupTransport(final XenbusDevice device)
    {
        assertFalse(transportUp, "double setup");
        transportUp = true;
        setups++;
        sawMaxRingPageOrder = device.readOtherend("max-ring-page-order");
    }

    @Override
    public XenbusState writeTransportKeys(final XenbusDevice device, final int tx)
    {
        keyWrites++;
        device.write(tx, "ring-ref", Integer.toString(8 + setups));
        device.write(tx, "event-channel", "5");
        device.write(tx, "protocol", "x86_64-abi");
        return afterKeys;
    }

    @Override
    public void backendConnected(final XenbusDevice device)
    {
        assertTrue(transportUp, "backend connected without transport");
        backendConnects++;
    }

    @Override
    public void disconnect(final XenbusDevice device)
    {
        assertTrue(transportUp, "disconnect without setup");
        transportUp = false;
        disconnects++;
    }
}
