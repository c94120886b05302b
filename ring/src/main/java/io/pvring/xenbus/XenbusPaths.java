package io.pvring.xenbus;

import io.pvring.xenstore.XenStore;

/**
 * Where split devices live in xenstore, as the toolstack (libxl) lays them out:
 * backend {@code /local/domain/<be>/backend/<type>/<fe-domid>/<devid>} and
 * frontend {@code /local/domain/<fe>/device/<type>/<devid>}.
 */
public final class XenbusPaths
{
    public static final String STATE = "state";
    public static final String ONLINE = "online";
    public static final String FRONTEND = "frontend";
    public static final String FRONTEND_ID = "frontend-id";
    public static final String BACKEND = "backend";
    public static final String BACKEND_ID = "backend-id";

    private XenbusPaths()
    {
    }

    /** {@code /local/domain/<be>/backend/<type>}: what a backend bus watches for new devices. */
    public static String backendTypePath(final int backendDomid, final String type)
    {
        return XenStore.domainPath(backendDomid) + "/backend/" + type;
    }

    public static String backendPath(final int backendDomid, final String type, final int frontendDomid,
        final String devid)
    {
        return backendTypePath(backendDomid, type) + "/" + frontendDomid + "/" + devid;
    }

    public static String frontendPath(final int frontendDomid, final String type, final String devid)
    {
        return XenStore.domainPath(frontendDomid) + "/device/" + type + "/" + devid;
    }

    /** Linux {@code xenbus_dev_error}'s node: {@code /local/domain/<own>/error/<device path below the domain>}. */
    public static String errorPath(final int ownDomid, final String devicePath)
    {
        final String domain = XenStore.domainPath(ownDomid);
        final String below = devicePath.startsWith(domain + "/") ? devicePath.substring(domain.length() + 1) :
            devicePath.substring(1);
        return domain + "/error/" + below;
    }
}
