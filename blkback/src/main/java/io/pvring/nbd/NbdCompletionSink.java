package io.pvring.nbd;

/**
 * Receives the completions of {@link NbdClient} requests, on the client's event-loop thread. Implementations hand
 * them to the submitting thread (blkback: to the ring's runner, which alone writes responses) and must not block.
 */
public interface NbdCompletionSink
{
    /**
     * A request completed.
     *
     * @param tag    the caller's tag given at submission.
     * @param result bytes transferred for READ and WRITE, 0 for FLUSH, TRIM and WRITE_ZEROES, or a negative errno
     *               ({@link NbdErrno}).
     */
    void onCompletion(long tag, int result);

    /**
     * The connection is gone (server closed it, died, broke the protocol or timed out; or {@link NbdClient#close()}):
     * called once, after every in-flight request has completed with an error. The message names the server.
     */
    default void onDisconnected(final String reason)
    {
    }
}
