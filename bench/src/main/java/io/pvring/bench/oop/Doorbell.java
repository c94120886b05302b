package io.pvring.bench.oop;

import java.util.Locale;
import java.util.Map;

import io.pvring.serve.CClient;

/**
 * How the out-of-process frontends notify and wait: through eventfd kick and call doorbells (the client's default
 * since 1.2) or through messages on the event socket ({@code PVRING_SOCKET_DOORBELLS=1} in the frontend's
 * environment, the client's switch for programs that do not pass {@code PVRING_OPEN_SOCKET_DOORBELLS}).
 */
public enum Doorbell
{
    EVENTFD, SOCKET;

    /** The record's {@code doorbell} setting. */
    public String label()
    {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The frontend's environment variable and its value; an empty value removes the variable. */
    Map<String, String> environment()
    {
        return Map.of(CClient.SOCKET_DOORBELLS_ENV, this == SOCKET ? "1" : "");
    }
}
