package io.pvring.xenstore;

/** Receives drained watch events ({@code XS_WATCH_EVENT}: the path that changed and the watch's token). */
@FunctionalInterface
public interface WatchEventHandler
{
    void onWatchEvent(String path, String token);
}
