package io.pvring.agent;

import java.nio.ByteBuffer;

import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

/**
 * One agent runner's error handler and errors counter (as Aeron's media driver gives each of its runners). Two
 * ways in: the runner itself ({@code new AgentRunner(idle, errors, errors.counter(), agent)}: Agrona counts before
 * calling {@link #onError}), and a {@link GuardedAgent} that caught a device's exception ({@link #onAgentError}:
 * counted here). Either way the exception is logged once, with the stack trace, under the runner's or the device's
 * name. An {@link AgentTerminationException} is how a runner is asked to stop: neither counted nor logged.
 * Thread-safe.
 */
public final class AgentErrors implements ErrorHandler
{
    private static final System.Logger LOG = System.getLogger(AgentErrors.class.getName());

    private final String runnerName;
    private final AtomicCounter counter;

    /** A runner whose counter lives in private memory (nobody outside the process reads it). */
    public AgentErrors(final String runnerName)
    {
        this.runnerName = runnerName;
        this.counter = new AtomicCounter(
            new UnsafeBuffer(ByteBuffer.allocateDirect(CountersReader.COUNTER_LENGTH)), 0);
    }

    /**
     * A runner whose counter is allocated in {@code counters} (e.g. a counters file {@code pvring stat} reads),
     * labelled {@code "<runnerName> errors"}; {@link #close()} frees it.
     */
    public AgentErrors(final String runnerName, final CountersManager counters)
    {
        this.runnerName = runnerName;
        this.counter = counters.newCounter(runnerName + " errors");
    }

    public String runnerName()
    {
        return runnerName;
    }

    /** For {@code AgentRunner}'s {@code errorCounter}; {@link #onAgentError} counts into it too. */
    public AtomicCounter counter()
    {
        return counter;
    }

    /** Unexpected exceptions so far: those that escaped to the runner and those its guarded agents caught. */
    public long errors()
    {
        return counter.get();
    }

    /** The runner's {@code ErrorHandler}: Agrona has counted the error already. */
    @Override
    public void onError(final Throwable error)
    {
        if (error instanceof AgentTerminationException)
        {
            return;
        }
        LOG.log(System.Logger.Level.ERROR, "runner " + runnerName + ": unexpected exception", error);
    }

    /** A guarded agent named {@code agentName} failed: counted and logged once, here. */
    public void onAgentError(final String agentName, final Throwable error)
    {
        if (!counter.isClosed())
        {
            counter.increment();
        }
        LOG.log(System.Logger.Level.ERROR,
            "runner " + runnerName + ": " + agentName + " stopped by an unexpected exception", error);
    }

    /** Frees the counter (in its counters file, if it has one). */
    public void close()
    {
        counter.close();
    }

    @Override
    public String toString()
    {
        return "AgentErrors{runner=" + runnerName + ", errors=" + (counter.isClosed() ? "closed" : errors()) + '}';
    }
}
