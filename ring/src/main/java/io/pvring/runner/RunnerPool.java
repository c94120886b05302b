package io.pvring.runner;

import io.pvring.event.WaitMode;

/**
 * A pool of runner threads shared by every device of every guest: ring agents are added while it runs (a device
 * connects through xenbus), each with its own {@link WaitMode}, on the least loaded {@link Runner} or on one the
 * caller pins them to, and removed again when the device disconnects. A runner whose agents all sleep parks and
 * uses no CPU until an agent's event port or completion wakes it; it spins only while it hosts a {@code poll}
 * agent (or an {@code adaptive} one inside its polling window).
 *
 * <p>Thread-safe: {@link #add} and {@link AgentHandle#remove()} may be called from any thread (the xenbus thread,
 * typically); the agents' own callbacks run on their runner's thread.
 */
public final class RunnerPool implements AutoCloseable
{
    private final RunnerPoolConfig config;
    private final Runner[] runners;
    private final Thread[] threads;
    private boolean closed;

    /** Starts {@link RunnerPoolConfig#runners()} runner threads. */
    public RunnerPool(final RunnerPoolConfig config)
    {
        this.config = config.validate();
        runners = new Runner[config.runners()];
        threads = new Thread[config.runners()];
        for (int i = 0; i < runners.length; i++)
        {
            final String name = config.threadNamePrefix() + i;
            runners[i] = new Runner(i, name, config.nanoClock(), config.errorHandler(), config.kicksInRing());
            threads[i] = new Thread(runners[i], name);
            threads[i].setDaemon(true);
        }
        for (final Thread thread : threads)
        {
            thread.start();
        }
    }

    public RunnerPoolConfig config()
    {
        return config;
    }

    public int runners()
    {
        return runners.length;
    }

    public Runner runner(final int index)
    {
        return runners[index];
    }

    /**
     * Adds {@code agent} to the runner with the fewest agents (the lowest index among equals).
     *
     * @param errorListener told if the agent throws (it is removed first); null to rely on the pool's log.
     * @throws IllegalStateException once the pool is closed.
     */
    public AgentHandle add(final RingAgent agent, final WaitMode mode, final AgentErrorListener errorListener)
    {
        synchronized (this)
        {
            int least = 0;
            for (int i = 1; i < runners.length; i++)
            {
                if (runners[i].load() < runners[least].load())
                {
                    least = i;
                }
            }
            return add(agent, mode, errorListener, least);
        }
    }

    /**
     * Adds {@code agent} to runner {@code runner}: a device pins its rings together (the {@link AgentHandle#runner()}
     * of its first ring), or a host pins a latency-critical device to a runner of its own.
     *
     * @throws IllegalArgumentException when there is no such runner; IllegalStateException once the pool is closed.
     */
    public synchronized AgentHandle add(
        final RingAgent agent, final WaitMode mode, final AgentErrorListener errorListener, final int runner)
    {
        if (runner < 0 || runner >= runners.length)
        {
            throw new IllegalArgumentException("runner=" + runner + " not in 0.." + (runners.length - 1));
        }
        if (null == agent || null == mode)
        {
            throw new IllegalArgumentException("agent=" + agent + " mode=" + mode + " must both be set");
        }
        if (closed)
        {
            throw new IllegalStateException("runner pool closed: cannot add " + agent.roleName());
        }
        final AgentHandle handle = new AgentHandle(agent, mode, errorListener, runners[runner],
            mode == WaitMode.ADAPTIVE ? config.newWindow() : null);
        if (!runners[runner].requestAdd(handle))
        {
            throw new IllegalStateException("runner " + runners[runner].name() + " stopped: cannot add " +
                agent.roleName());
        }
        return handle;
    }

    /**
     * Stops every runner and waits for its thread; each closes the agents it still hosts ({@code onClose()},
     * {@code waker(null)}) on its way out. Idempotent.
     */
    @Override
    public void close()
    {
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            closed = true;
        }
        for (final Runner runner : runners)
        {
            runner.stop();
        }
        boolean interrupted = false;
        for (final Thread thread : threads)
        {
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
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString()
    {
        final StringBuilder text = new StringBuilder("RunnerPool{");
        for (final Runner runner : runners)
        {
            text.append(runner).append(' ');
        }
        return text.append('}').toString();
    }
}
