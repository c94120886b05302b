package io.pvring.event;

import java.util.Locale;

/**
 * How a ring agent waits when it has nothing to do: the per-device choice a host configures (a CLI flag, a xenstore
 * key). {@link #parse(String)} reads the names users type; {@link #configName()} is the name written back.
 */
public enum WaitMode
{
    /** Busy poll: the lowest latency, and a spinning core for as long as the runner hosts the agent. */
    POLL("poll"),
    /**
     * Spin, yield, then park briefly (1 us growing to 1 ms); the ring's event index is never armed, so latency after
     * a quiet spell is up to the longest park. Kept for hosts that used it; {@link #ADAPTIVE} supersedes it.
     */
    BACKOFF("backoff"),
    /** Arm the event index as soon as the ring runs dry and sleep until an event channel or a completion wakes it. */
    NOTIFY("notify", "block"),
    /**
     * Poll for a window that adapts to the measured time the agent then had to wait (QEMU's {@code poll-max-ns}),
     * then arm the event index and sleep as {@link #NOTIFY} does.
     */
    ADAPTIVE("adaptive");

    private static final WaitMode[] VALUES = values();

    private final String configName;
    private final String[] aliases;

    WaitMode(final String configName, final String... aliases)
    {
        this.configName = configName;
        this.aliases = aliases;
    }

    /** The name a user configures ({@code poll}, {@code backoff}, {@code notify}, {@code adaptive}). */
    public String configName()
    {
        return configName;
    }

    /** True when the agent sleeps on its event channels (and so must arm its event index before it does). */
    public boolean sleeps()
    {
        return this == NOTIFY || this == ADAPTIVE;
    }

    /**
     * The mode named {@code name}, case-insensitive; {@code block} is the old name of {@code notify}.
     *
     * @throws IllegalArgumentException naming every accepted name.
     */
    public static WaitMode parse(final String name)
    {
        if (null != name)
        {
            final String key = name.trim().toLowerCase(Locale.ROOT);
            for (final WaitMode mode : VALUES)
            {
                if (mode.configName.equals(key))
                {
                    return mode;
                }
                for (final String alias : mode.aliases)
                {
                    if (alias.equals(key))
                    {
                        return mode;
                    }
                }
            }
        }
        throw new IllegalArgumentException("wait mode=" + name + " is not one of " + names());
    }

    /** Every accepted name, for error messages and help texts: {@code poll, backoff, notify (block), adaptive}. */
    public static String names()
    {
        final StringBuilder names = new StringBuilder();
        for (final WaitMode mode : VALUES)
        {
            if (names.length() > 0)
            {
                names.append(", ");
            }
            names.append(mode.configName);
            for (final String alias : mode.aliases)
            {
                names.append(" (").append(alias).append(')');
            }
        }
        return names.toString();
    }

    @Override
    public String toString()
    {
        return configName;
    }
}
