package io.pvring.xenbus;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A split device as the toolstack configures it: type, the two domains, the device id, and the type-specific
 * keys of each directory (backend: {@code mode}, {@code params}, {@code type} or {@code mac}, {@code handle},
 * {@code script}; frontend: {@code virtual-device}, {@code device-type}, {@code mac}, {@code mtu}...).
 */
public record XenbusDeviceSpec(
    String type,
    int backendDomid,
    int frontendDomid,
    String devid,
    Map<String, String> backendKeys,
    Map<String, String> frontendKeys)
{
    public XenbusDeviceSpec
    {
        if (null == type || type.isEmpty() || type.contains("/") || null == devid || devid.isEmpty() ||
            devid.contains("/"))
        {
            throw new IllegalArgumentException("type=" + type + " devid=" + devid);
        }
        backendKeys = Map.copyOf(new LinkedHashMap<>(backendKeys));
        frontendKeys = Map.copyOf(new LinkedHashMap<>(frontendKeys));
    }

    public XenbusDeviceSpec(final String type, final int backendDomid, final int frontendDomid, final String devid)
    {
        this(type, backendDomid, frontendDomid, devid, Map.of(), Map.of());
    }

    public String backendPath()
    {
        return XenbusPaths.backendPath(backendDomid, type, frontendDomid, devid);
    }

    public String frontendPath()
    {
        return XenbusPaths.frontendPath(frontendDomid, type, devid);
    }
}
