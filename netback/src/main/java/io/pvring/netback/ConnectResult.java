package io.pvring.netback;

/**
 * The outcome of connecting something to a frontend's keys: the connected thing, or why the keys were unusable
 * (peer input: a value for the caller to report through xenbus, never an exception).
 *
 * @param value the connected thing; null when it failed.
 * @param error why it failed (for the device's error node); null when it succeeded.
 */
public record ConnectResult<T>(T value, String error)
{
    public static <T> ConnectResult<T> ok(final T value)
    {
        return new ConnectResult<>(value, null);
    }

    public static <T> ConnectResult<T> failed(final String error)
    {
        return new ConnectResult<>(null, error);
    }

    public boolean isOk()
    {
        return value != null;
    }

    /** The value, for callers that own both ends (tests, benchmarks): a failure there is a setup bug. */
    public T orElseThrow()
    {
        if (value == null)
        {
            throw new IllegalStateException(error);
        }
        return value;
    }
}
