package io.pvring.xenbus;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;

import org.agrona.concurrent.Agent;

import io.pvring.xenstore.XenStoreException;
import io.pvring.xenstore.XsConnection;

import static io.pvring.xenbus.XenbusState.CLOSED;
import static io.pvring.xenbus.XenbusState.CLOSING;
import static io.pvring.xenbus.XenbusState.CONNECTED;
import static io.pvring.xenbus.XenbusState.INITIALISED;
import static io.pvring.xenbus.XenbusState.INITIALISING;
import static io.pvring.xenbus.XenbusState.INIT_WAIT;
import static io.pvring.xenbus.XenbusState.UNKNOWN;

/**
 * The guest side of xenbus for one frontend domain: runs the Java blkfront/netfront through the handshake as Linux
 * {@code blkback_changed}/{@code netback_changed} do. On backend InitWait (or at once, for a frontend that does
 * not wait) the driver sets up its transport and writes the keys in one transaction retried on EAGAIN, then the
 * device moves to what the driver says (Initialised for blkfront, Connected for netfront). Backend Connected
 * completes the connection; backend Closing/Closed closes the frontend. An Agrona {@link Agent} run on the
 * guest's xenbus thread; not thread-safe apart from {@link XenbusDevice#requestClose(int, String)}.
 */
public final class XenbusFrontend implements Agent, AutoCloseable
{
    private static final String OTHEREND_TOKEN = "otherend/";

    private final XsConnection xs;
    private final HypervisorServices hypervisor;
    private final int domid;
    private final Map<String, Entry> devices = new HashMap<>();
    private final XenbusEventPump pump;
    private boolean closed;

    private static final class Entry
    {
        final String key;
        final XenbusDevice device;
        final XenbusFrontendDriver driver;
        final OtherendState otherend;
        final boolean waitForBackend;
        boolean transportUp;

        Entry(final String key, final XenbusDevice device, final XenbusFrontendDriver driver, final String watch,
            final boolean waitForBackend)
        {
            this.key = key;
            this.device = device;
            this.driver = driver;
            this.otherend = new OtherendState(watch);
            this.waitForBackend = waitForBackend;
        }
    }

    public XenbusFrontend(final XsConnection xs, final HypervisorServices hypervisor)
    {
        this.xs = xs;
        this.hypervisor = hypervisor;
        this.domid = xs.domid();
        this.pump = new XenbusEventPump(xs, this::handleCloseRequest, this::dispatch);
    }

    public void wakeup(final Runnable wakeup)
    {
        pump.wakeup(wakeup);
    }

    /**
     * Attaches {@code driver} to the toolstack-created device {@code /local/domain/<own>/device/<type>/<devid>}.
     *
     * @param waitForBackend true to set up the transport on backend InitWait (the usual way); false to do it now,
     *                       the {@code blkif.h} shortcut where a frontend goes Initialised without waiting.
     * @throws XenStoreException when the device directory is missing or unreadable.
     */
    public XenbusDevice attach(final String type, final String devid, final XenbusFrontendDriver driver,
        final boolean waitForBackend)
    {
        final String key = type + "/" + devid;
        if (devices.containsKey(key))
        {
            throw new IllegalStateException("already attached: " + key);
        }
        final String path = XenbusPaths.frontendPath(domid, type, devid);
        final String backendPath = xs.readString(path + "/" + XenbusPaths.BACKEND);
        final int backendId = (int)xs.readLong(0, path + "/" + XenbusPaths.BACKEND_ID, -1);
        if (backendId < 0 || backendId > 0xFFFF)
        {
            throw new IllegalStateException("bad backend-id below " + path);
        }
        final XenbusDevice d = new XenbusDevice(
            false, type, devid, domid, backendId, path, backendPath, xs, hypervisor, pump);
        final Entry e = new Entry(key, d, driver, backendPath + "/" + XenbusPaths.STATE, waitForBackend);
        devices.put(key, e);
        if (!waitForBackend && d.state() == INITIALISING)
        {
            initialise(e);
        }
        xs.watch(e.otherend.path, OTHEREND_TOKEN + key);
        return d;
    }

    /** Frontend-initiated close (unplug, shutdown): Closing now, Closed once the backend follows. */
    public void close(final XenbusDevice d)
    {
        final Entry e = entry(d);
        if (null == e || d.state() == CLOSED)
        {
            return;
        }
        final XenbusState be = d.otherendState();
        if (be == CLOSING || be == CLOSED || be == UNKNOWN || be == INITIALISING)
        {
            // Nobody to wait for.
            disconnect(e);
            d.switchState(CLOSED);
            return;
        }
        d.switchState(CLOSING);
    }

    /** After Closed: back to Initialising so the backend returns to InitWait and the handshake runs again. */
    public void reconnect(final XenbusDevice d)
    {
        final Entry e = entry(d);
        if (null == e || d.state() != CLOSED)
        {
            return;
        }
        d.switchState(INITIALISING);
        if (!e.waitForBackend || d.otherendState() == INIT_WAIT)
        {
            initialise(e);
        }
    }

    /** Forgets the device: disconnects the driver if needed and stops watching the backend. Idempotent. */
    public void detach(final XenbusDevice d)
    {
        final Entry e = entry(d);
        if (null == e)
        {
            return;
        }
        devices.remove(e.key);
        disconnect(e);
        pump.unwatchQuietly(e.otherend.path, OTHEREND_TOKEN + e.key);
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
        return "xenbus-frontend-" + domid;
    }

    @Override
    public void onClose()
    {
        close();
    }

    /** Detaches every device. Idempotent. */
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
            detach(e.device);
        }
        pump.stopListening();
    }

    // ---------------------------------------------------------------------------------------------------------

    private Entry entry(final XenbusDevice d)
    {
        final Entry e = devices.get(d.type() + "/" + d.devid());
        return null != e && e.device == d ? e : null;
    }

    private void handleCloseRequest(final XenbusDevice d, final int errno, final String reason)
    {
        final Entry e = entry(d);
        if (null != e && d.state() != CLOSED)
        {
            disconnect(e);
            d.fatal(errno, reason);
        }
    }

    private void dispatch(final String path, final String token)
    {
        if (token.startsWith(OTHEREND_TOKEN))
        {
            final Entry e = devices.get(token.substring(OTHEREND_TOKEN.length()));
            if (null != e)
            {
                backendChanged(e, e.otherend.read(xs));
            }
        }
    }

    /** blkfront {@code blkback_changed} / netfront {@code netback_changed}. */
    private void backendChanged(final Entry e, final XenbusState beState)
    {
        if (null == beState || !devices.containsKey(e.key))
        {
            return;
        }
        final XenbusDevice d = e.device;
        d.otherendState(beState);
        switch (beState)
        {
            case INIT_WAIT:
                if (d.state() == INITIALISING)
                {
                    initialise(e);
                }
                break;

            case CONNECTED:
                if (d.state() == INITIALISING)
                {
                    // Backend skipped InitWait (or we missed it): talk to it now.
                    if (!initialise(e))
                    {
                        break;
                    }
                }
                if (d.state() != INITIALISED && d.state() != CONNECTED)
                {
                    break;
                }
                try
                {
                    e.driver.backendConnected(d);
                }
                catch (final RuntimeException ex)
                {
                    disconnect(e);
                    d.fatal(XenbusDevice.EIO, "connecting to backend failed: " + ex);
                    break;
                }
                d.switchState(CONNECTED);
                break;

            case CLOSED:
            case CLOSING:
            case UNKNOWN:
                // UNKNOWN here means the backend directory went away after we saw it: close as for Closed.
                if (d.state() == CLOSED)
                {
                    break;
                }
                disconnect(e);
                d.switchState(CLOSED);
                break;

            default:
                break;
        }
    }

    private boolean initialise(final Entry e)
    {
        final XenbusDevice d = e.device;
        disconnect(e);
        e.transportUp = true;
        final XenbusState next;
        try
        {
            e.driver.setupTransport(d);
            next = xs.transact(tx -> e.driver.writeTransportKeys(d, tx));
        }
        catch (final RuntimeException ex)
        {
            disconnect(e);
            d.fatal(XenbusDevice.EIO, "setting up transport failed: " + ex);
            return false;
        }
        if (next != INITIALISED && next != CONNECTED)
        {
            disconnect(e);
            d.fatal("driver asked for state " + next + " after writing its keys");
            return false;
        }
        d.switchState(next);
        return true;
    }

    private void disconnect(final Entry e)
    {
        if (e.transportUp)
        {
            e.transportUp = false;
            try
            {
                e.driver.disconnect(e.device);
            }
            catch (final RuntimeException ex)
            {
                // Contained: the bus and other devices go on.
            }
        }
    }
}
