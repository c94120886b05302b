package io.pvring.nbd;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A sink that records completions in arrival order; tests wait for them with a bound and a diagnostic. On the
 * io_uring data path the waiting thread is the client's driver: it {@link #drive drives} the client while it waits.
 */
final class CompletionLog implements NbdCompletionSink
{
    /** How long one wait in the driver's ring lasts before the deadline is looked at again. */
    private static final long DRIVE_SLICE_NS = TimeUnit.MILLISECONDS.toNanos(10);

    private final List<long[]> completions = new ArrayList<>();
    private String disconnected;
    private NbdClient client;

    /** Waits poll {@code driven} (a client on the io_uring path, driven by the waiting thread); returns it. */
    synchronized NbdClient drive(final NbdClient driven)
    {
        client = driven;
        return driven;
    }

    /** Waits up to {@code remainingMs} for a completion: in the driver's ring, or on this monitor. */
    private void waitOnce(final long remainingMs) throws InterruptedException
    {
        if (client != null && client.onRing() && client.isConnected())
        {
            if (client.poll(null) == 0)
            {
                client.awaitCompletion(Math.min(DRIVE_SLICE_NS, TimeUnit.MILLISECONDS.toNanos(remainingMs)));
                client.poll(null);
            }
            return;
        }
        wait(remainingMs);
    }

    @Override
    public synchronized void onCompletion(final long tag, final int result)
    {
        completions.add(new long[]{tag, result});
        notifyAll();
    }

    @Override
    public synchronized void onDisconnected(final String reason)
    {
        disconnected = reason;
        notifyAll();
    }

    synchronized int count()
    {
        return completions.size();
    }

    synchronized String disconnected()
    {
        return disconnected;
    }

    /** Waits until {@code n} completions have arrived, failing after {@code timeoutMs} with what did arrive. */
    synchronized void awaitCount(final int n, final long timeoutMs, final String what) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (completions.size() < n)
        {
            final long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (remaining <= 0)
            {
                fail(what + ": " + completions.size() + " of " + n + " completions within " + timeoutMs +
                    " ms; got " + describe());
            }
            waitOnce(remaining);
        }
    }

    synchronized void awaitDisconnected(final long timeoutMs) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (disconnected == null)
        {
            final long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (remaining <= 0)
            {
                fail("no disconnect reported within " + timeoutMs + " ms; completions " + describe());
            }
            waitOnce(remaining);
        }
    }

    /** The result of the request with this tag; fails if it has not completed exactly once. */
    synchronized int result(final long tag)
    {
        int found = 0;
        int result = 0;
        for (final long[] c : completions)
        {
            if (c[0] == tag)
            {
                found++;
                result = (int)c[1];
            }
        }
        if (found != 1)
        {
            fail("tag " + tag + " completed " + found + " times; completions " + describe());
        }
        return result;
    }

    /** Position of the tag in completion order. */
    synchronized int position(final long tag)
    {
        for (int i = 0; i < completions.size(); i++)
        {
            if (completions.get(i)[0] == tag)
            {
                return i;
            }
        }
        fail("tag " + tag + " never completed; completions " + describe());
        return -1;
    }

    synchronized List<long[]> snapshot()
    {
        return new ArrayList<>(completions);
    }

    synchronized String describe()
    {
        final StringBuilder sb = new StringBuilder("[");
        for (final long[] c : completions)
        {
            sb.append(sb.length() > 1 ? ", " : "").append(c[0]).append('=').append(NbdErrno.name((int)c[1]));
        }
        return sb.append(']').toString();
    }
}
