package io.pvring.xenbus;

/**
 * A frontend driver (the Java blkfront, netfront) for one device, driven by a {@link XenbusFrontend} on its xenbus
 * thread. Order guaranteed by the bus: {@link #setupTransport} then {@link #writeTransportKeys} (repeated if the
 * transaction conflicts), then {@link #backendConnected} (again on online resize), and {@link #disconnect} exactly
 * once for every {@link #setupTransport}.
 */
public interface XenbusFrontendDriver
{
    /**
     * Allocate what the backend will map: ring pages (granted to the backend), event channels (unbound, for the
     * backend), queues. Read the backend's features first ({@code max-ring-page-order}, ...). Outside any
     * transaction, so it runs once per connection.
     */
    void setupTransport(XenbusDevice device);

    /**
     * Write the transport keys (ring-ref, event-channel, protocol, feature-* requests) inside {@code tx}. May run
     * more than once when the commit conflicts (EAGAIN), so it must only write.
     *
     * @return the state to move to after the commit: {@link XenbusState#INITIALISED} (blkfront) or
     *     {@link XenbusState#CONNECTED} (netfront, which does not wait for the backend).
     */
    XenbusState writeTransportKeys(XenbusDevice device, int tx);

    /** The backend is Connected: read its keys (sectors, features) and start I/O; again means online resize. */
    void backendConnected(XenbusDevice device);

    /** The backend closes or the device is unplugged: stop I/O, end grant access, close event channels. */
    void disconnect(XenbusDevice device);
}
