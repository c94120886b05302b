package io.pvring.xenbus;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.agrona.concurrent.Agent;

import io.pvring.xenstore.XenStoreException;
import io.pvring.xenstore.XsConnection;

import static io.pvring.xenbus.XenbusState.CLOSED;
import static io.pvring.xenbus.XenbusState.CLOSING;
import static io.pvring.xenbus.XenbusState.CONNECTED;
import static io.pvring.xenbus.XenbusState.INITIALISING;
import static io.pvring.xenbus.XenbusState.INIT_WAIT;
import static io.pvring.xenbus.XenbusState.RECONFIGURED;
import static io.pvring.xenbus.XenbusState.RECONFIGURING;
import static io.pvring.xenbus.XenbusState.UNKNOWN;

/**
 * The xenbus backend bus of one domain: watches {@code /local/domain/<be>/backend/<type>} for devices the
 * toolstack creates, probes the registered {@link XenbusBackendDriver}, and runs each device through the handshake
 * exactly as Linux blkback/netback's {@code frontend_changed} do:
 * <ul>
 *   <li>probe, features published, then InitWait (when the driver is ready);</li>
 *   <li>frontend Initialised <em>or</em> Connected connects (watches coalesce, so Initialised may never be seen),
 *       after an idempotent disconnect; a failed connect disconnects and goes to Closing;</li>
 *   <li>frontend Closing: backend Closing; frontend Closed: disconnect, Closed, and unregister if
 *       {@code online} is 0; frontend Unknown (or gone): unregister;</li>
 *   <li>frontend Initialising while the backend is Closed: back to InitWait (reconnect);</li>
 *   <li>Reconfiguring/Reconfigured go to the driver;</li>
 *   <li>the toolstack removing the backend directory, or writing Closing to it, tears the device down in any
 *       state.</li>
 * </ul>
 * An Agrona {@link Agent}: {@link #doWork()} drains watch events on the calling thread (the xenbus thread), never
 * on a ring thread. Not thread-safe apart from {@link XenbusDevice#requestClose(int, String)}.
 *
 * <p>A driver callback that throws is a bug contained here: the exception is logged once with the device's path,
 * and for probe, connect and reconfigure the device is closed with an error node naming the exception.
 */
public final class XenbusBackend implements Agent, AutoCloseable
{
    private static final String BUS_TOKEN = "backend/";
    private static final String OTHEREND_TOKEN = "otherend/";
    private static final System.Logger LOG = System.getLogger(XenbusBackend.class.getName());

    private final XsConnection xs;
    private final HypervisorServices hypervisor;
    private final int backendDomid;
    private final Map<String, XenbusBackendDriver> drivers = new LinkedHashMap<>();
    private final Map<String, Entry> devices = new HashMap<>();
    private final XenbusEventPump pump;
    private boolean closed;

    private static final class Entry
    {
        final String key;
        final XenbusDevice device;
        final XenbusBackendDevice handler;
        final OtherendState otherend;
        boolean connected;

        Entry(final String key, final XenbusDevice device, final XenbusBackendDevice handler, final String watch)
        {
            this.key = key;
            this.device = device;
            this.handler = handler;
            this.otherend = new OtherendState(watch);
        }
    }

    /**
     * @param xs         the backend domain's xenstore connection (it receives the bus's watch events).
     * @param hypervisor handed to drivers through each {@link XenbusDevice}.
     */
    public XenbusBackend(final XsConnection xs, final HypervisorServices hypervisor)
    {
        this.xs = xs;
        this.hypervisor = hypervisor;
        this.backendDomid = xs.domid();
        this.pump = new XenbusEventPump(xs, this::handleCloseRequest, this::dispatch);
    }

    /** Serves {@code driver.deviceType()} devices: watches the type directory (existing devices are probed). */
    public void register(final XenbusBackendDriver driver)
    {
        final String type = driver.deviceType();
        if (drivers.containsKey(type))
        {
            throw new IllegalStateException("driver already registered: type=" + type);
        }
        drivers.put(type, driver);
        xs.watch(XenbusPaths.backendTypePath(backendDomid, type), BUS_TOKEN + type);
    }

    /** Wakes whoever runs {@link #doWork()} (set by {@link XenbusThread}). */
    public void wakeup(final Runnable wakeup)
    {
        pump.wakeup(wakeup);
    }

    @Override
    public int doWork()
    {
        if (closed)
        {
            return 0;
        }
        return pump.drain();
    }

    @Override
    public String roleName()
    {
        return "xenbus-backend-" + backendDomid;
    }

    @Override
    public void onClose()
    {
        close();
    }

    /** The probed device, or null. */
    public XenbusDevice device(final String type, final int frontendDomid, final String devid)
    {
        final Entry e = devices.get(key(type, Integer.toString(frontendDomid), devid));
        return null == e ? null : e.device;
    }

    public int deviceCount()
    {
        return devices.size();
    }

    /** Devices served for one frontend domain (zero once the toolstack removed them all). */
    public int deviceCount(final int frontendDomid)
    {
        int count = 0;
        for (final Entry e : devices.values())
        {
            if (e.device.frontendDomid() == frontendDomid)
            {
                count++;
            }
        }
        return count;
    }

    /** Disconnects and removes every device, drops the bus's watches. Idempotent. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (final Entry e : new ArrayList<>(devices.values()))
        {
            unregister(e, false);
        }
        pump.stopListening();
        for (final String type : drivers.keySet())
        {
            pump.unwatchQuietly(XenbusPaths.backendTypePath(backendDomid, type), BUS_TOKEN + type);
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private static String key(final String type, final String fe, final String devid)
    {
        return type + "/" + fe + "/" + devid;
    }

    private void dispatch(final String path, final String token)
    {
        if (token.startsWith(OTHEREND_TOKEN))
        {
            final Entry e = devices.get(token.substring(OTHEREND_TOKEN.length()));
            if (null != e)
            {
                frontendChanged(e, e.otherend.read(xs));
            }
        }
        else if (token.startsWith(BUS_TOKEN))
        {
            final String type = token.substring(BUS_TOKEN.length());
            final String base = XenbusPaths.backendTypePath(backendDomid, type);
            if (!drivers.containsKey(type) || !path.startsWith(base))
            {
                return;
            }
            final String rel = path.substring(base.length());
            final String[] parts = rel.isEmpty() ? new String[0] : rel.substring(1).split("/", 3);
            if (parts.length < 2)
            {
                rescan(type, parts.length == 1 ? parts[0] : null);
            }
            else
            {
                checkDevice(type, parts[0], parts[1]);
            }
        }
    }

    /** After a coalesced (collapsed) event: compare the directory with what is probed. */
    private void rescan(final String type, final String onlyFrontend)
    {
        final String base = XenbusPaths.backendTypePath(backendDomid, type);
        final List<String[]> seen = new ArrayList<>();
        try
        {
            final List<String> fes = null == onlyFrontend ? xs.directory(base) : List.of(onlyFrontend);
            for (final String fe : fes)
            {
                final List<String> ids = directoryOrEmpty(base + "/" + fe);
                for (final String devid : ids)
                {
                    seen.add(new String[]{fe, devid});
                }
            }
        }
        catch (final XenStoreException ex)
        {
            // The type directory itself is gone: every device of the type is checked (and removed) below.
        }
        for (final String[] s : seen)
        {
            checkDevice(type, s[0], s[1]);
        }
        for (final Entry e : new ArrayList<>(devices.values()))
        {
            final XenbusDevice d = e.device;
            if (d.type().equals(type) &&
                (null == onlyFrontend || onlyFrontend.equals(Integer.toString(d.frontendDomid()))))
            {
                checkDevice(type, Integer.toString(d.frontendDomid()), d.devid());
            }
        }
    }

    private List<String> directoryOrEmpty(final String path)
    {
        try
        {
            return xs.directory(path);
        }
        catch (final XenStoreException ex)
        {
            return List.of();
        }
    }

    private void checkDevice(final String type, final String fe, final String devid)
    {
        final String key = key(type, fe, devid);
        final Entry e = devices.get(key);
        final String path = XenbusPaths.backendTypePath(backendDomid, type) + "/" + fe + "/" + devid;
        final boolean present;
        final String frontendId;
        final String frontendPath;
        try
        {
            present = xs.exists(0, path);
            frontendId = xs.readOrNull(path + "/" + XenbusPaths.FRONTEND_ID);
            frontendPath = xs.readOrNull(path + "/" + XenbusPaths.FRONTEND);
        }
        catch (final XenStoreException ex)
        {
            return;
        }
        if (!present)
        {
            if (null != e)
            {
                unregister(e, false);
            }
            return;
        }
        if (null != e)
        {
            backendChanged(e);
            return;
        }
        if (null == frontendId || null == frontendPath || !frontendId.equals(fe) || !isDomid(fe))
        {
            // Not (yet) a complete device directory: the toolstack writes it in one transaction.
            return;
        }
        if (XenbusState.parse(readQuietly(path + "/" + XenbusPaths.STATE)) != INITIALISING)
        {
            // xenbus_probe_node: "Device is not new, so ignore it" (going away after switching to Closed).
            return;
        }
        probe(type, Integer.parseInt(fe), devid, path, frontendPath);
    }

    private void probe(final String type, final int fe, final String devid, final String path, final String fePath)
    {
        final String key = key(type, Integer.toString(fe), devid);
        final XenbusDevice d = new XenbusDevice(
            true, type, devid, fe, backendDomid, path, fePath, xs, hypervisor, pump);
        XenbusBackendDevice handler = null;
        try
        {
            handler = drivers.get(type).probe(d);
        }
        catch (final RuntimeException ex)
        {
            logDriverFailure(d, "probe", ex);
            d.fatal(XenbusDevice.EIO, "probe failed: " + ex);
        }
        final Entry e = new Entry(key, d, handler, fePath + "/" + XenbusPaths.STATE);
        devices.put(key, e);
        if (null == handler)
        {
            return;
        }
        maybeInitWait(e);
        try
        {
            // Fires once at once: the frontend's current state is handled like any change (shortcuts included).
            xs.watch(e.otherend.path, OTHEREND_TOKEN + key);
        }
        catch (final XenStoreException ex)
        {
            d.fatal("watching frontend state " + e.otherend.path + ": " + ex.error());
        }
    }

    private boolean maybeInitWait(final Entry e)
    {
        final XenbusState s = e.device.state();
        if ((s == INITIALISING || s == UNKNOWN) && readyForInitWait(e))
        {
            e.device.switchState(INIT_WAIT);
            return true;
        }
        return false;
    }

    private boolean readyForInitWait(final Entry e)
    {
        try
        {
            return e.handler.readyForInitWait(e.device);
        }
        catch (final RuntimeException ex)
        {
            return false;
        }
    }

    private void backendChanged(final Entry e)
    {
        if (null == e.handler)
        {
            return;
        }
        final XenbusDevice d = e.device;
        try
        {
            e.handler.backendChanged(d);
        }
        catch (final RuntimeException ex)
        {
            logDriverFailure(d, "backendChanged", ex);
            d.error(XenbusDevice.EIO, "backend key change failed: " + ex);
        }
        if (maybeInitWait(e))
        {
            frontendChanged(e, e.otherend.read(xs));
            return;
        }
        // The toolstack unplugs by writing online=0 and state=Closing to the backend (libxl device remove).
        final XenbusState written = XenbusState.parse(d.read(XenbusPaths.STATE));
        if (written == CLOSING && d.state() != CLOSING && d.state() != CLOSED)
        {
            d.adoptState(CLOSING);
            final XenbusState fe = e.otherend.read(xs);
            if (fe == CLOSED || fe == UNKNOWN)
            {
                frontendChanged(e, CLOSED);
            }
        }
    }

    /** blkback/netback {@code frontend_changed}; null = the frontend has not written a state yet. */
    private void frontendChanged(final Entry e, final XenbusState feState)
    {
        if (null == feState || null == e.handler || !devices.containsKey(e.key))
        {
            return;
        }
        final XenbusDevice d = e.device;
        d.otherendState(feState);
        switch (feState)
        {
            case INITIALISING:
                if (d.state() == CLOSED)
                {
                    // Reconnect after the frontend closed (kexec, resume).
                    d.switchState(INIT_WAIT);
                }
                break;

            case INITIALISED:
            case CONNECTED:
                connectIfNeeded(e, feState);
                break;

            case CLOSING:
                d.switchState(CLOSING);
                break;

            case CLOSED:
                disconnect(e);
                d.switchState(CLOSED);
                if (!online(d))
                {
                    unregister(e, true);
                }
                break;

            case UNKNOWN:
                unregister(e, true);
                break;

            case RECONFIGURING:
            case RECONFIGURED:
                if (d.state() == CONNECTED || d.state() == RECONFIGURING || d.state() == RECONFIGURED)
                {
                    final XenbusState next = reconfigure(e, feState);
                    if (null != next)
                    {
                        d.switchState(next);
                    }
                }
                break;

            case INIT_WAIT:
            default:
                disconnect(e);
                d.fatal("saw state " + feState.value() + " at frontend");
                break;
        }
    }

    private void connectIfNeeded(final Entry e, final XenbusState feState)
    {
        final XenbusDevice d = e.device;
        switch (d.state())
        {
            case CONNECTED:
                return;
            case RECONFIGURING:
            case RECONFIGURED:
                // Back from reconfiguration: the rings stayed connected.
                if (feState == CONNECTED)
                {
                    d.switchState(CONNECTED);
                }
                return;
            case CLOSING:
                // Closing waits for the frontend to close; a stale Connected must not revive the device.
                return;
            case INITIALISING:
            case UNKNOWN:
                // Hotplug not ready yet: connect once InitWait is reached.
                return;
            default:
                break;
        }
        // "Enforce precondition before potential leak point": disconnect is idempotent.
        disconnect(e);
        e.connected = true;
        boolean ok;
        RuntimeException failure = null;
        try
        {
            ok = e.handler.connect(d);
        }
        catch (final RuntimeException ex)
        {
            logDriverFailure(d, "connect", ex);
            failure = ex;
            ok = false;
        }
        if (ok)
        {
            d.switchState(CONNECTED);
        }
        else
        {
            disconnect(e);
            if (null != failure)
            {
                d.fatal(XenbusDevice.EIO, "connecting to frontend failed: " + failure);
            }
            else if (d.state() != CLOSING)
            {
                d.fatal("connecting to frontend failed");
            }
        }
    }

    private XenbusState reconfigure(final Entry e, final XenbusState feState)
    {
        try
        {
            return e.handler.reconfigure(e.device, feState);
        }
        catch (final RuntimeException ex)
        {
            logDriverFailure(e.device, "reconfigure", ex);
            disconnect(e);
            e.device.fatal(XenbusDevice.EIO, "reconfiguration failed: " + ex);
            return null;
        }
    }

    private void disconnect(final Entry e)
    {
        if (e.connected)
        {
            e.connected = false;
            try
            {
                e.handler.disconnect(e.device);
            }
            catch (final RuntimeException ex)
            {
                // A failing driver teardown must not stop the bus or the other devices.
                logDriverFailure(e.device, "disconnect", ex);
            }
        }
    }

    private void handleCloseRequest(final XenbusDevice d, final int errno, final String reason)
    {
        final Entry e = devices.get(key(d.type(), Integer.toString(d.frontendDomid()), d.devid()));
        if (null == e || e.device != d || null == e.handler)
        {
            return;
        }
        disconnect(e);
        if (d.state() != CLOSED)
        {
            // Even when already Closing (the frontend asked first), the cause is recorded: it is the news.
            d.fatal(errno, reason);
        }
    }

    private static void logDriverFailure(final XenbusDevice d, final String callback, final RuntimeException ex)
    {
        LOG.log(System.Logger.Level.ERROR, d.nodePath() + ": driver " + callback + " failed", ex);
    }

    private String readQuietly(final String path)
    {
        try
        {
            return xs.readOrNull(path);
        }
        catch (final XenStoreException ex)
        {
            return null;
        }
    }

    private static boolean isDomid(final String s)
    {
        if (s.isEmpty() || s.length() > 5)
        {
            return false;
        }
        for (int i = 0; i < s.length(); i++)
        {
            if (s.charAt(i) < '0' || s.charAt(i) > '9')
            {
                return false;
            }
        }
        return Integer.parseInt(s) <= 0xFFFF;
    }

    private static boolean online(final XenbusDevice d)
    {
        try
        {
            return "1".equals(d.read(XenbusPaths.ONLINE));
        }
        catch (final XenStoreException ex)
        {
            return false;
        }
    }

    /** Linux {@code device_unregister}: disconnect, remove, Closed (if the directory is still there). */
    private void unregister(final Entry e, final boolean writeClosed)
    {
        if (devices.remove(e.key) != e)
        {
            return;
        }
        if (null != e.handler)
        {
            disconnect(e);
            try
            {
                e.handler.remove(e.device);
            }
            catch (final RuntimeException ex)
            {
                // As for disconnect: contained.
                logDriverFailure(e.device, "remove", ex);
            }
            pump.unwatchQuietly(e.otherend.path, OTHEREND_TOKEN + e.key);
        }
        if (writeClosed)
        {
            e.device.switchState(CLOSED);
        }
        else
        {
            e.device.adoptState(CLOSED);
        }
    }
}
