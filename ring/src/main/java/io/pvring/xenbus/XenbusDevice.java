package io.pvring.xenbus;

import io.pvring.xenstore.XenStoreException;
import io.pvring.xenstore.XsConnection;

import static io.pvring.xenstore.XsSockMsgDescriptor.XBT_NULL;

/**
 * One end of a split device as a driver sees it (Linux {@code struct xenbus_device}): its own xenstore directory
 * ({@link #nodePath()}), the other end's ({@link #otherendPath()}), both states, the xenstore connection of the
 * domain the driver runs in, and the {@link HypervisorServices} for grants and event channels.
 *
 * <p>Everything except {@link #requestClose(int, String)} must be called on the xenbus thread that drives the device
 * (the thread running its {@link XenbusBackend} or {@link XenbusFrontend}); ring threads that detect a fatal
 * protocol error, and runners whose agent for the device failed ({@link io.pvring.agent.GuardedAgent}), call
 * {@link #requestClose(int, String)}, which hands the disconnect to the xenbus thread.
 *
 * <p><b>Closing a device with a reason</b>, for any driver, as Linux's {@code xenbus_dev_fatal}:
 * <ul>
 *   <li>on the xenbus thread (in probe, connect, reconfigure): {@link #fatal(int, String)} (or {@link #fatal(String)}
 *       for unusable peer input, {@link #EINVAL}), then return false from {@code connect};</li>
 *   <li>on any other thread: {@link #requestClose(int, String)}; the xenbus thread then calls the driver's
 *       {@code disconnect} and {@link #fatal(int, String)}.</li>
 * </ul>
 * The reason lands in {@code /local/domain/<own domid>/error/<device path below the domain>/error} as
 * {@code "<errno> <reason>"} (e.g. {@code /local/domain/0/error/backend/vif/1/0/error = "5 vif1.0: internal
 * error: ..."}), the device goes to Closing, and {@link #errorReason()} keeps the cause for the host.
 */
public final class XenbusDevice
{
    /** Linux errno for an I/O or internal failure: an agent's unexpected exception, a failing driver callback. */
    public static final int EIO = 5;
    /** Linux errno for unusable peer input (bad keys, a malicious ring): the default of {@link #fatal(String)}. */
    public static final int EINVAL = 22;

    /** Hands close requests and error reports to the xenbus thread (the device's bus's event pump). */
    interface CloseRequests
    {
        void requestClose(XenbusDevice device, int errno, String reason);

        /** {@link XenbusDevice#error(int, String)} on the xenbus thread. */
        void requestError(XenbusDevice device, int errno, String reason);
    }

    private final boolean backend;
    private final String type;
    private final String devid;
    private final int frontendDomid;
    private final int backendDomid;
    private final String nodePath;
    private final String otherendPath;
    private final XsConnection xs;
    private final HypervisorServices hypervisor;
    private final CloseRequests closeRequests;
    private XenbusState state;
    private XenbusState otherendState = XenbusState.UNKNOWN;
    private volatile String errorReason;

    XenbusDevice(
        final boolean backend,
        final String type,
        final String devid,
        final int frontendDomid,
        final int backendDomid,
        final String nodePath,
        final String otherendPath,
        final XsConnection xs,
        final HypervisorServices hypervisor,
        final CloseRequests closeRequests)
    {
        this.backend = backend;
        this.type = type;
        this.devid = devid;
        this.frontendDomid = frontendDomid;
        this.backendDomid = backendDomid;
        this.nodePath = nodePath;
        this.otherendPath = otherendPath;
        this.xs = xs;
        this.hypervisor = hypervisor;
        this.closeRequests = closeRequests;
        this.state = XenbusState.parse(xs.readOrNull(nodePath + "/" + XenbusPaths.STATE));
    }

    public boolean isBackend()
    {
        return backend;
    }

    /** Device type: {@code vbd}, {@code vif}, ... */
    public String type()
    {
        return type;
    }

    /** Device id below the type directory ({@code 51712} for xvda, {@code 0} for the first vif). */
    public String devid()
    {
        return devid;
    }

    public int frontendDomid()
    {
        return frontendDomid;
    }

    public int backendDomid()
    {
        return backendDomid;
    }

    /** This end's domain. */
    public int ownDomid()
    {
        return backend ? backendDomid : frontendDomid;
    }

    /** The other end's domain. */
    public int otherendDomid()
    {
        return backend ? frontendDomid : backendDomid;
    }

    /** This end's directory ({@code dev->nodename}). */
    public String nodePath()
    {
        return nodePath;
    }

    /** The other end's directory ({@code dev->otherend}). */
    public String otherendPath()
    {
        return otherendPath;
    }

    public XsConnection xenstore()
    {
        return xs;
    }

    public HypervisorServices hypervisor()
    {
        return hypervisor;
    }

    /** This end's state, as last written by this end. */
    public XenbusState state()
    {
        return state;
    }

    /** The other end's state, as last seen through its watch. */
    public XenbusState otherendState()
    {
        return otherendState;
    }

    /** A key of this end's directory; null when absent. */
    public String read(final String key)
    {
        return xs.readOrNull(XBT_NULL, nodePath + "/" + key);
    }

    public String read(final int tx, final String key)
    {
        return xs.readOrNull(tx, nodePath + "/" + key);
    }

    /** A key of the other end's directory (peer input: validate it); null when absent or not readable. */
    public String readOtherend(final String key)
    {
        return readOtherend(XBT_NULL, key);
    }

    public String readOtherend(final int tx, final String key)
    {
        try
        {
            return xs.readOrNull(tx, otherendPath + "/" + key);
        }
        catch (final XenStoreException ex)
        {
            return null;
        }
    }

    /** An unsigned decimal key of the other end; {@code defaultValue} when absent or malformed. */
    public long readOtherendLong(final String key, final long defaultValue)
    {
        try
        {
            return xs.readLong(XBT_NULL, otherendPath + "/" + key, defaultValue);
        }
        catch (final XenStoreException ex)
        {
            return defaultValue;
        }
    }

    public void write(final int tx, final String key, final String value)
    {
        xs.write(tx, nodePath + "/" + key, value);
    }

    public void write(final String key, final String value)
    {
        write(XBT_NULL, key, value);
    }

    /**
     * Linux {@code xenbus_switch_state}: writes {@code state} unless it is already the current one, in a
     * transaction that does not resurrect a directory the toolstack removed.
     */
    public void switchState(final XenbusState newState)
    {
        if (newState == state)
        {
            return;
        }
        state = newState;
        final String statePath = nodePath + "/" + XenbusPaths.STATE;
        try
        {
            xs.transact(tx ->
            {
                if (null != xs.readOrNull(tx, statePath))
                {
                    xs.write(tx, statePath, newState.toXenstore());
                }
                return null;
            });
        }
        catch (final XenStoreException ex)
        {
            // The directory is being torn down or no longer ours: the cached state still guides teardown.
        }
    }

    /** {@link #fatal(int, String)} with {@link #EINVAL}: the peer's keys or ring were unusable. */
    public void fatal(final String reason)
    {
        fatal(EINVAL, reason);
    }

    /**
     * Linux {@code xenbus_dev_fatal(dev, -errno, reason)}: writes {@code "<errno> <reason>"} to
     * {@code error/<nodename>/error} below this end's domain ({@link XenbusPaths#errorPath}), remembers the reason
     * ({@link #errorReason()}) and moves to Closing. Xenbus thread only; does not disconnect (the bus does that for
     * a failed connect or a {@link #requestClose(int, String)}).
     *
     * @param errno a positive Linux errno ({@link #EINVAL}, {@link #EIO}); Linux passes it negated and prints its
     *     negation, so the node starts with the positive number.
     */
    public void fatal(final int errno, final String reason)
    {
        errorReason = reason;
        try
        {
            xs.write(XenbusPaths.errorPath(ownDomid(), nodePath) + "/error", errorNode(errno, reason));
        }
        catch (final XenStoreException ex)
        {
            // No error node is possible (permissions, quota): the state change below still tells the peer.
        }
        switchState(XenbusState.CLOSING);
    }

    /**
     * Linux {@code xenbus_dev_error(dev, -errno, reason)}: writes {@code "<errno> <reason>"} to the same error node
     * as {@link #fatal(int, String)} but leaves the state alone: for a mistake the device survives (a toolstack key
     * with a bad value, refused while the old setting stays). Xenbus thread only.
     */
    public void error(final int errno, final String reason)
    {
        try
        {
            xs.write(XenbusPaths.errorPath(ownDomid(), nodePath) + "/error", errorNode(errno, reason));
        }
        catch (final XenStoreException ex)
        {
            // No error node is possible (permissions, quota): the log of the caller is all that is left.
        }
    }

    /** The value {@link #fatal(int, String)} writes to the error node: Linux's {@code "%i " + message}. */
    public static String errorNode(final int errno, final String reason)
    {
        return errno + " " + reason;
    }

    /** The reason of the last {@link #fatal}, or null; any thread. */
    public String errorReason()
    {
        return errorReason;
    }

    /** {@link #requestClose(int, String)} with {@link #EINVAL}: a ring thread found the peer misbehaving. */
    public void requestClose(final String reason)
    {
        requestClose(EINVAL, reason);
    }

    /**
     * Asks the xenbus thread to disconnect this device (the driver's {@code disconnect}) and then
     * {@link #fatal(int, String)} it: for ring threads that found the peer misbehaving (XSA-90: the disconnect runs
     * where blocking is allowed) and for runners whose agent for this device failed. Thread-safe, never blocks. A
     * device that is already Closed only disconnects; the reason is never dropped otherwise, even when the device is
     * already Closing.
     */
    public void requestClose(final int errno, final String reason)
    {
        closeRequests.requestClose(this, errno, reason);
    }

    /**
     * Asks the xenbus thread to record {@code "<errno> <reason>"} in the device's error node
     * ({@link #error(int, String)}) without closing it: for a failure found on another thread that the device
     * survives in some form (a remote disk whose server died: the device stays, every request is answered with an
     * error). Thread-safe, never blocks.
     */
    public void requestError(final int errno, final String reason)
    {
        closeRequests.requestError(this, errno, reason);
    }

    void otherendState(final XenbusState s)
    {
        otherendState = s;
    }

    void adoptState(final XenbusState s)
    {
        state = s;
    }

    @Override
    public String toString()
    {
        return (backend ? "backend " : "frontend ") + type + " fe=" + frontendDomid + " be=" + backendDomid +
            " devid=" + devid + " state=" + state + " otherend=" + otherendState;
    }
}
