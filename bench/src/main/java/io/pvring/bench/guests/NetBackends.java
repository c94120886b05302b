package io.pvring.bench.guests;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import io.pvring.event.BlockingIdleStrategy;
import io.pvring.event.EventWaiter;
import io.pvring.event.IdleStrategies;
import io.pvring.event.WaitMode;
import io.pvring.netback.NetBackVif;
import io.pvring.runner.RunnerPool;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.IdleStrategy;

/**
 * Where the net guests' backends run: the one place to change when netback moves onto the host's
 * {@link RunnerPool} (branch {@code netpool}). Until then every vif runs on one netback runner thread of its own, as
 * {@code NetBackDriver} runs them in {@code serve}: polling, or sleeping on the vifs' event channels for
 * {@code notify} and for {@code adaptive} (netback has no adaptive window off the pool). The pool is taken already,
 * so the switch is this class alone.
 */
final class NetBackends implements AutoCloseable
{
    /** How the record names where the backends ran. */
    static final String PLACEMENT = "netback runner thread (not on the shared pool yet)";

    private final AgentRunner runner;
    private final EventWaiter waiter;
    private final Thread thread;
    /** Set by {@link #close()}: the runner's next duty cycle ends its loop (no 5 s wait for an interrupt). */
    private volatile boolean terminating;

    private NetBackends(final List<Agent> vifs, final IdleStrategy idle, final Consumer<Throwable> onError)
    {
        this.waiter = IdleStrategies.waiter(idle);
        final CompositeAgent all = new CompositeAgent(vifs);
        final Agent terminable = new Agent()
        {
            @Override
            public void onStart()
            {
                all.onStart();
            }

            @Override
            public int doWork() throws Exception
            {
                if (terminating)
                {
                    throw new AgentTerminationException("net guests stopped");
                }
                return all.doWork();
            }

            @Override
            public void onClose()
            {
                all.onClose();
            }

            @Override
            public String roleName()
            {
                return "netback";
            }
        };
        // Agrona hands the deliberate stop (the AgentTerminationException above) to the error handler too
        // when the runner meets it before close() ends the loop: that is no failure of the run.
        this.runner = new AgentRunner(idle, error ->
        {
            if (!(error instanceof AgentTerminationException))
            {
                onError.accept(error);
            }
        }, null, terminable);
        this.thread = AgentRunner.startOnThread(runner);
    }

    /**
     * Starts serving {@code vifs}; {@code onError} is told (on the runner thread) if a vif's agent throws.
     *
     * @param pool the host's shared runners (unused until netback is on them).
     */
    static NetBackends start(final List<NetBackVif> vifs, final WaitMode mode, final RunnerPool pool,
        final Consumer<Throwable> onError)
    {
        final IdleStrategy idle = IdleStrategies.create(mode == WaitMode.ADAPTIVE ? WaitMode.NOTIFY : mode);
        final List<Agent> agents = new ArrayList<>();
        for (final NetBackVif vif : vifs)
        {
            vif.waiter(IdleStrategies.waiter(idle));
            if (idle instanceof BlockingIdleStrategy blocking)
            {
                vif.parkBound(blocking::boundNextPark);
            }
            agents.add(vif.agent());
        }
        return new NetBackends(agents, idle, onError);
    }

    /** Ends the runner's loop from inside, waking it if it sleeps, and waits for its thread. Idempotent. */
    @Override
    public void close()
    {
        terminating = true;
        if (waiter != null)
        {
            waiter.wake();
        }
        runner.close();
        boolean interrupted = false;
        while (thread.isAlive())
        {
            try
            {
                thread.join();
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }
}
