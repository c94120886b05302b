package io.pvring.stats;

/**
 * A device as xenstore names it: {@code backend/<kind>/<domid>/<devid>}.
 *
 * @param domid the guest (frontend) domain.
 * @param devid the device id (vbd: 202:(16*index) for xvdX, so xvda is 51712; vif: its handle).
 */
public record DeviceId(DeviceKind kind, int domid, int devid)
{
    public DeviceId
    {
        if (kind == null || kind == DeviceKind.DOMAIN || domid < 0 || devid < 0)
        {
            throw new IllegalArgumentException("kind=" + kind + " domid=" + domid + " devid=" + devid);
        }
    }

    /** {@code vbd-1-51712}: file names, trace arguments, labels. */
    @Override
    public String toString()
    {
        return kind.label() + "-" + domid + "-" + devid;
    }

    /** Parses {@link #toString()}'s form (also {@code vbd:1:51712} and {@code vbd/1/51712}). */
    public static DeviceId parse(final String text)
    {
        final String[] parts = text.split("[-:/]");
        if (parts.length != 3)
        {
            throw new IllegalArgumentException("a device is KIND-DOMID-DEVID (e.g. vbd-1-51712), got '" + text + "'");
        }
        DeviceKind kind = null;
        for (final DeviceKind k : DeviceKind.values())
        {
            if (k != DeviceKind.DOMAIN && k.label().equals(parts[0]))
            {
                kind = k;
            }
        }
        if (kind == null)
        {
            throw new IllegalArgumentException("device kind must be vbd or vif, got '" + parts[0] + "' in '" + text +
                "'");
        }
        try
        {
            return new DeviceId(kind, Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("domid and devid must be numbers, got '" + text + "'", ex);
        }
    }
}
