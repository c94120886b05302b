package io.pvring.event;

/** One eventfd a {@link KickWatcher} reads for one port. */
public interface KickWatch
{
    /**
     * Stops the watch: no notification starts after this returns (a kick already read may still be finishing on
     * the watcher's thread); the watcher then runs its {@code released} callback. Any thread; idempotent.
     */
    void cancel();

    /** Kicks read so far (each one notification; several writes before one read count once). */
    long kicks();
}
