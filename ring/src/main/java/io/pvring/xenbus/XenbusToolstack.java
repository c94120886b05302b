package io.pvring.xenbus;

import java.util.Map;
import java.util.TreeMap;

import io.pvring.xenstore.XenStore;
import io.pvring.xenstore.XenStoreException;
import io.pvring.xenstore.XsConnection;
import io.pvring.xenstore.XsPermissions;

import static io.pvring.xenstore.XsPermissions.PERM_NONE;
import static io.pvring.xenstore.XsPermissions.PERM_READ;

/**
 * What the toolstack (libxl) does in xenstore for domains and split devices, through a privileged connection:
 * the domain directory, then both device directories in one transaction with libxl's permissions (frontend
 * directory owned by the frontend and readable by the backend, backend directory owned by the backend and
 * readable by the frontend), and the unplug sequence ({@code online}=0, backend Closing, then removal).
 */
public final class XenbusToolstack
{
    private final XsConnection xs;

    /** @param xs a privileged connection (dom0's). */
    public XenbusToolstack(final XsConnection xs)
    {
        if (!xs.privileged())
        {
            throw new IllegalArgumentException("the toolstack needs a privileged connection: " + xs);
        }
        this.xs = xs;
    }

    /**
     * {@code libxl__domain_make}: {@code /local/domain/<domid>} owned by dom0 and readable by the domain, with
     * {@code name}, {@code domid}, {@code device} and {@code control} (read-only for the domain) and {@code data}
     * (the domain's own); then {@code XS_INTRODUCE}.
     */
    public void createDomain(final int domid, final String name)
    {
        final String dom = XenStore.domainPath(domid);
        final XsPermissions roPerm = XsPermissions.of(XenStore.DOM0, PERM_NONE).with(domid, PERM_READ);
        final XsPermissions rwPerm = XsPermissions.of(domid, PERM_NONE);
        xs.transact(tx ->
        {
            rmIfPresent(tx, dom);
            xs.mkdir(tx, dom);
            xs.setPerms(tx, dom, roPerm);
            xs.write(tx, dom + "/name", name);
            xs.write(tx, dom + "/domid", Integer.toString(domid));
            for (final String ro : new String[]{"device", "control"})
            {
                xs.mkdir(tx, dom + "/" + ro);
                xs.setPerms(tx, dom + "/" + ro, roPerm);
            }
            xs.mkdir(tx, dom + "/data");
            xs.setPerms(tx, dom + "/data", rwPerm);
            return null;
        });
        if (domid != XenStore.DOM0)
        {
            xs.store().introduceDomain(domid);
        }
    }

    /** Removes the domain's directory and releases it ({@code @releaseDomain}). */
    public void destroyDomain(final int domid)
    {
        rmIfPresent(0, XenStore.domainPath(domid));
        if (domid != XenStore.DOM0)
        {
            try
            {
                xs.store().releaseDomain(domid);
            }
            catch (final XenStoreException ex)
            {
                // Never introduced: nothing to release.
            }
        }
    }

    /** {@code libxl__device_generic_add}: both directories, state Initialising, in one transaction. */
    public void addDevice(final XenbusDeviceSpec spec)
    {
        final String fe = spec.frontendPath();
        final String be = spec.backendPath();
        final XsPermissions fePerms =
            XsPermissions.of(spec.frontendDomid(), PERM_NONE).with(spec.backendDomid(), PERM_READ);
        final XsPermissions bePerms =
            XsPermissions.of(spec.backendDomid(), PERM_NONE).with(spec.frontendDomid(), PERM_READ);
        xs.transact(tx ->
        {
            rmIfPresent(tx, fe);
            rmIfPresent(tx, be);

            xs.mkdir(tx, fe);
            xs.setPerms(tx, fe, fePerms);
            final Map<String, String> feKeys = new TreeMap<>(spec.frontendKeys());
            feKeys.put(XenbusPaths.BACKEND, be);
            feKeys.put(XenbusPaths.BACKEND_ID, Integer.toString(spec.backendDomid()));
            feKeys.put(XenbusPaths.STATE, XenbusState.INITIALISING.toXenstore());
            for (final Map.Entry<String, String> k : feKeys.entrySet())
            {
                xs.write(tx, fe + "/" + k.getKey(), k.getValue());
            }

            xs.mkdir(tx, be);
            xs.setPerms(tx, be, bePerms);
            final Map<String, String> beKeys = new TreeMap<>(spec.backendKeys());
            beKeys.put(XenbusPaths.FRONTEND, fe);
            beKeys.put(XenbusPaths.FRONTEND_ID, Integer.toString(spec.frontendDomid()));
            beKeys.put(XenbusPaths.ONLINE, "1");
            beKeys.put(XenbusPaths.STATE, XenbusState.INITIALISING.toXenstore());
            for (final Map.Entry<String, String> k : beKeys.entrySet())
            {
                xs.write(tx, be + "/" + k.getKey(), k.getValue());
            }
            return null;
        });
    }

    /**
     * The graceful unplug request ({@code libxl__initiate_device_generic_remove}): {@code online} = 0 and the
     * backend to Closing. The frontend closes, then the backend disconnects, goes Closed and unregisters.
     */
    public void requestRemove(final XenbusDeviceSpec spec)
    {
        final String be = spec.backendPath();
        xs.transact(tx ->
        {
            if (null != xs.readOrNull(tx, be + "/" + XenbusPaths.STATE))
            {
                xs.write(tx, be + "/" + XenbusPaths.ONLINE, "0");
                xs.write(tx, be + "/" + XenbusPaths.STATE, XenbusState.CLOSING.toXenstore());
            }
            return null;
        });
    }

    /** Removes both directories (after the unplug completed, or forcibly in any state). */
    public void destroyDevice(final XenbusDeviceSpec spec)
    {
        xs.transact(tx ->
        {
            rmIfPresent(tx, spec.frontendPath());
            rmIfPresent(tx, spec.backendPath());
            return null;
        });
    }

    /** libxl ignores a missing node (or a missing parent) when clearing a path. */
    private void rmIfPresent(final int tx, final String path)
    {
        if (null != xs.readOrNull(tx, path))
        {
            xs.rm(tx, path);
        }
    }

    /** The backend's state as written in xenstore (UNKNOWN when absent). */
    public XenbusState backendState(final XenbusDeviceSpec spec)
    {
        return XenbusState.parse(xs.readOrNull(spec.backendPath() + "/" + XenbusPaths.STATE));
    }

    public XenbusState frontendState(final XenbusDeviceSpec spec)
    {
        return XenbusState.parse(xs.readOrNull(spec.frontendPath() + "/" + XenbusPaths.STATE));
    }
}
