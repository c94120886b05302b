package io.pvring.xenbus;

/**
 * One probed backend device: the callbacks through which the bus drives it through the handshake, always on the
 * xenbus thread, never on a ring thread. The bus guarantees the order: {@link #connect} and {@link #disconnect}
 * alternate (never two connects or two disconnects in a row; a failed connect is still followed by disconnect),
 * and {@link #remove} comes exactly once, last, after the final disconnect.
 */
public interface XenbusBackendDevice
{
    /**
     * Whether the device may move to InitWait: false while waiting for hotplug (blkback's {@code physical-device},
     * netback's {@code hotplug-status}). Asked after probe and again whenever the backend directory changes.
     */
    default boolean readyForInitWait(final XenbusDevice device)
    {
        return true;
    }

    /**
     * The backend directory changed: the toolstack wrote or removed a key (or the bus or driver wrote one). Called
     * after probe on every change, connected or not, for settings that may change while the device runs (blkback's
     * {@code qos-*} limits). Re-read what matters and ignore the rest; a bad value is the toolstack's mistake:
     * record it with {@link XenbusDevice#error(int, String)} and keep the device as it is. By default nothing.
     */
    default void backendChanged(final XenbusDevice device)
    {
    }

    /**
     * The frontend is Initialised or Connected (either: watch events coalesce). Read its transport keys
     * (ring-ref, event-channel, protocol, queues), map the rings, bind the event channels, start the ring agents,
     * write what the frontend needs (sectors, info...). Frontend keys are hostile input.
     *
     * @return true when connected (the bus moves to Connected); false when the frontend's keys are unusable (the
     *     bus calls {@link #disconnect} and moves to Closing; call {@link XenbusDevice#fatal} first to record why).
     */
    boolean connect(XenbusDevice device);

    /**
     * Stop the ring agents (joining them), unmap grants, close event channels. Must tolerate a connect that
     * failed half way.
     */
    void disconnect(XenbusDevice device);

    /**
     * The frontend is Reconfiguring or Reconfigured (netfront's XDP headroom). Re-read what it changed.
     *
     * @return the state to move to, or null to stay; by default Reconfiguring is acknowledged with Reconfigured.
     */
    default XenbusState reconfigure(final XenbusDevice device, final XenbusState frontendState)
    {
        return frontendState == XenbusState.RECONFIGURING ? XenbusState.RECONFIGURED : null;
    }

    /** The device is gone (unplugged, or its frontend vanished): release everything else. */
    void remove(XenbusDevice device);
}
