package io.pvring.aio;

/** Receives completions from {@link AioEngine#poll}, on the thread that polls. */
@FunctionalInterface
public interface AioCompletionHandler
{
    /**
     * One request finished.
     *
     * @param tag    the caller's tag given at submission.
     * @param result bytes transferred for reads and writes (fewer than asked only at end of file), 0 for sync and
     *               punch hole, or a negated errno ({@link Errno}).
     */
    void onComplete(long tag, long result);
}
