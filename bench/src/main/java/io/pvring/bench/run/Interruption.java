package io.pvring.bench.run;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C ends a benchmark cleanly: the shutdown hook raises a flag that running measurements poll, then waits
 * (bounded) for the command to write its partial results before the JVM exits.
 */
public final class Interruption
{
    private static final long FLUSH_WAIT_SECONDS = 15;
    private static volatile boolean requested;

    private final Thread hook;
    private final CountDownLatch flushed = new CountDownLatch(1);

    private Interruption()
    {
        hook = new Thread(this::onShutdown, "pvring-ctrl-c");
    }

    /** True once Ctrl-C (or any JVM shutdown) has been requested while a benchmark runs. */
    public static boolean requested()
    {
        return requested;
    }

    /** Installs the hook for the duration of one command; close it when the results are written. */
    public static Interruption install()
    {
        final Interruption interruption = new Interruption();
        Runtime.getRuntime().addShutdownHook(interruption.hook);
        return interruption;
    }

    /** Results are written: a pending shutdown may proceed, and the hook is removed if the JVM lives on. */
    public void resultsWritten()
    {
        flushed.countDown();
        try
        {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (final IllegalStateException shuttingDown)
        {
            // The hook is running: it returns as soon as it sees the latch.
        }
    }

    private void onShutdown()
    {
        requested = true;
        try
        {
            flushed.await(FLUSH_WAIT_SECONDS, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ignored)
        {
            Thread.currentThread().interrupt();
        }
    }
}
