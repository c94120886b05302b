package io.pvring.runner;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import io.pvring.agent.GuardedAgent;
import io.pvring.event.BlockingIdleStrategy;
import io.pvring.event.KickWatcher;
import io.pvring.event.ThreadParker;
import io.pvring.event.WaitMode;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.NanoClock;

/**
 * One runner thread of a {@link RunnerPool}: it serves any number of {@link RingAgent}s, each with its own
 * {@link WaitMode}, and runs only those that may have work.
 *
 * <p>A pass ({@link #doWork()}) looks at every agent: an awake agent's {@code doWork()} runs; a sleeping agent costs
 * one read of its signal and runs only once signalled (or its {@link AgentWaker#wakeWithin} time is due). An awake
 * agent that found nothing is idle: a {@code poll} agent stays awake for good, a {@code backoff} agent stays awake
 * but lets the runner back off, a {@code notify} agent is put to sleep at once and an {@code adaptive} agent once
 * its {@link AdaptivePollWindow} has run out. Putting an agent to sleep means calling its
 * {@link RingAgent#armAndCheck()}: only then are its event indices armed, so a polling agent costs its frontend no
 * notifications. After the pass the runner spins while any agent polls, backs off while only backoff agents are
 * idle, and otherwise sleeps (bounded by the earliest {@code wakeWithin} time).
 *
 * <p>No lost wake-up, by construction. An agent's work reaches it in one of two ways:
 * <pre>
 *   frontend:  publish request;  mb;  if req_event says so: notify port
 *   port:      pending = 1;  waker.wake()           (an I/O completion calls waker.wake() directly)
 *   waker:     swap(agent.signalled, 1) == 0 ?  runner: signalled = 1; if parked: unpark
 *   runner:    armAndCheck() == false  -> asleep;  ...;  parked = 1; if !signalled: park; signalled = 0 (swap)
 *              next pass: swap(agent.signalled, 0) == 1 -> awake -> doWork()
 * </pre>
 * {@code armAndCheck()} is {@code RING_FINAL_CHECK_FOR_REQUESTS}: the index is armed, then the ring re-read after a
 * full fence, so a request published before the arming is seen there and one published after it makes the frontend
 * notify. A notification sets the agent's flag <em>before</em> the runner's, and the runner clears its own flag
 * (an atomic swap) before the pass that reads the agents' flags; the agent's flag is cleared only by that pass,
 * just before the agent's {@code doWork()}. So whichever moment the notification lands (during a pass, between the
 * pass and the park, or during the park), either the runner sees its flag and makes another pass, or the waker sees
 * the runner parked and unparks it ({@link BlockingIdleStrategy}'s Dekker protocol). An agent that is awake when
 * signalled just runs: its {@code doWork()} looks at everything anyway.
 *
 * <p>Agents are added and removed through commands the runner applies at the start of a pass (their
 * {@code waker(...)}, {@code onStart()} and {@code onClose()} run on the runner thread). An agent that throws is
 * removed, counted in {@link #errors()}, logged through the pool's error handler and reported to its
 * {@link AgentErrorListener}; the other agents keep running. An {@link AgentTerminationException} removes the agent
 * quietly (it asked to leave).
 *
 * <p>Nothing on the pass allocates or locks; clock reads happen only for adaptive agents going idle, polling or
 * waking up, and for {@code wakeWithin}.
 */
public final class Runner implements Runnable
{
    /** "No time": an unset idle start or deadline. */
    static final long NONE = Long.MIN_VALUE;

    private static final AgentHandle[] NO_AGENTS = {};
    private static final ThreadLocal<Runner> CURRENT = new ThreadLocal<>();
    private static final int BACKOFF_SPINS = 100;
    private static final int BACKOFF_YIELDS = 100;
    private static final long BACKOFF_MIN_PARK_NANOS = 1_000;
    private static final long BACKOFF_MAX_PARK_NANOS = 1_000_000;

    private static final VarHandle LOOPS;
    private static final VarHandle ERRORS;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            LOOPS = lookup.findVarHandle(Runner.class, "loops", long.class);
            ERRORS = lookup.findVarHandle(Runner.class, "errors", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final int index;
    private final String name;
    private final NanoClock clock;
    private final ErrorHandler errorHandler;
    /** The agent whose doWork or armAndCheck ran last: where an asynchronous memory fault came from. */
    private AgentHandle lastRun;
    private final BlockingIdleStrategy sleeper = new BlockingIdleStrategy();
    private final RunnerKicks kicks;
    private final boolean readsKicks;
    private final Queue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final AtomicInteger load = new AtomicInteger();
    private volatile boolean running = true;
    private volatile boolean terminated;
    private volatile Thread thread;

    private AgentHandle[] agents = NO_AGENTS;
    private int pollAgents;
    /** The last pass: an awake agent polls (spin), or only backoff agents are idle (back off). */
    private boolean spin;
    private boolean backoff;
    private long earliestDeadline;
    private int backoffRound;
    private long now;
    private boolean nowValid;

    /** Written by this runner's thread only (release); read by anyone (acquire). */
    @SuppressWarnings("unused") // accessed through LOOPS
    private long loops;
    @SuppressWarnings("unused") // accessed through ERRORS
    private long errors;

    Runner(final int index, final String name, final NanoClock clock, final ErrorHandler errorHandler)
    {
        this(index, name, clock, errorHandler, true);
    }

    Runner(
        final int index, final String name, final NanoClock clock, final ErrorHandler errorHandler,
        final boolean kicksInRing)
    {
        this.index = index;
        this.name = name;
        this.clock = clock;
        this.errorHandler = errorHandler;
        this.kicks = new RunnerKicks(this, errorHandler);
        this.readsKicks = kicksInRing;
    }

    public int index()
    {
        return index;
    }

    public String name()
    {
        return name;
    }

    /** Agents assigned to this runner (including adds not yet applied). */
    public int load()
    {
        return load.get();
    }

    /** Passes over the agents so far: constant while the runner sleeps. */
    public long loops()
    {
        return (long)LOOPS.getAcquire(this);
    }

    /** Agents removed because they threw. */
    public long errors()
    {
        return (long)ERRORS.getAcquire(this);
    }

    /** Times the runner thread parked (every agent asleep). */
    public long parks()
    {
        return sleeper.parks();
    }

    /** Wake-ups that needed an {@code unpark} (the runner was parked). */
    public long unparks()
    {
        return sleeper.unparks();
    }

    /** True while the runner thread is parked, or about to park. */
    public boolean isParked()
    {
        return sleeper.isParked();
    }

    /**
     * Where the kick eventfds of ports this runner's agents wait on are read by the runner itself, in its thread's
     * io_uring, or null when kicks stay with the socket's event loop (io_uring unavailable, or turned off by
     * {@link RunnerPoolConfig#kicksInRing(boolean)}).
     */
    public KickWatcher kickWatcher()
    {
        // Asked only when a kick eventfd arrives: in-process hosts never load the io_uring library for it.
        return readsKicks && null == RunnerKicks.unavailableReason() ? kicks : null;
    }

    /** True on this runner's own thread (where waiting for a {@link AgentHandle#remove()} would deadlock). */
    public boolean isRunnerThread()
    {
        return Thread.currentThread() == thread;
    }

    /** The runner whose thread this is, or null on any other thread. */
    public static Runner current()
    {
        return CURRENT.get();
    }

    /**
     * Makes this runner sleep through {@code parker} ({@code null}: back to {@code LockSupport}): an agent that
     * drives a kernel ring on this thread has the runner wait inside that ring, so its completions wake the runner
     * directly. On the runner thread only, from an agent.
     */
    public void parker(final ThreadParker parker)
    {
        if (!isRunnerThread())
        {
            throw new IllegalStateException("runner " + name + ": parker set from " + Thread.currentThread().getName());
        }
        sleeper.parker(parker);
    }

    @Override
    public void run()
    {
        CURRENT.set(this);
        thread = Thread.currentThread();
        try
        {
            while (running)
            {
                // The loop inside the try: an asynchronous fault may surface at its back-edge poll too.
                try
                {
                    while (running)
                    {
                        idle(doWork());
                    }
                }
                catch (final InternalError ex)
                {
                    onMemoryFault(ex);
                }
            }
        }
        finally
        {
            synchronized (commands)
            {
                terminated = true;
            }
            applyCommands();
            for (final AgentHandle agent : agents)
            {
                detach(agent, null);
            }
            kicks.closeAll();
            sleeper.parker(null);
            CURRENT.remove();
        }
    }

    /**
     * One pass over the agents (see the class comment). Called by {@link #run()}; tests step it directly.
     *
     * @return the work the agents did.
     */
    int doWork()
    {
        if (!commands.isEmpty())
        {
            applyCommands();
        }
        if (kicks.active() > 0)
        {
            kicks.poll();
        }
        LOOPS.setRelease(this, loops + 1);
        nowValid = false;
        spin = pollAgents > 0;
        backoff = false;
        earliestDeadline = NONE;
        int work = 0;
        for (final AgentHandle agent : agents)
        {
            if (0 != agent.asleep)
            {
                if (!agent.consumeSignal() && !due(agent))
                {
                    continue;
                }
                agent.wakeUp(agent.adaptive() ? nanoTime() : 0);
            }
            else
            {
                agent.consumeSignal(); // redundant for an awake agent: its doWork looks at everything
            }
            final int done;
            try
            {
                lastRun = agent;
                done = agent.agent().doWork();
            }
            catch (final AgentTerminationException ex)
            {
                detach(agent, null);
                continue;
            }
            catch (final Throwable ex)
            {
                detach(agent, ex);
                continue;
            }
            if (done > 0)
            {
                work += done;
                if (agent.idleSince != NONE)
                {
                    agent.endIdleSpell(nanoTime());
                }
            }
            else
            {
                onIdle(agent);
            }
        }
        if (kicks.givingBack())
        {
            // A kick reaped during this pass (by an engine's reap on the same ring) found its backend gone: one more
            // pass hands the eventfd back, rather than a sleep that nothing would end.
            work++;
        }
        return work;
    }

    /** After a pass: spin, back off or sleep (see the class comment). */
    void idle(final int work)
    {
        if (work > 0 || spin)
        {
            kicks.afterPass(spin);
            backoffRound = 0;
            if (work <= 0)
            {
                Thread.onSpinWait();
            }
            return;
        }
        if (backoff)
        {
            backOff();
            return;
        }
        backoffRound = 0;
        if (earliestDeadline != NONE)
        {
            final long bound = earliestDeadline - clock.nanoTime();
            if (bound <= 0)
            {
                return;
            }
            sleeper.boundNextPark(bound);
        }
        kicks.beforeSleep();
        sleeper.idle();
    }

    /** True when the last pass left every agent asleep: the runner would park. */
    boolean wouldSleep()
    {
        return !spin && !backoff;
    }

    long nanoTime()
    {
        if (!nowValid)
        {
            now = clock.nanoTime();
            nowValid = true;
        }
        return now;
    }

    void wakeRunner()
    {
        sleeper.wake();
    }

    /** Queues the add for the runner thread; false once the runner has stopped. */
    boolean requestAdd(final AgentHandle agent)
    {
        load.incrementAndGet();
        if (!enqueue(() -> attach(agent)))
        {
            load.decrementAndGet();
            return false;
        }
        return true;
    }

    void requestRemove(final AgentHandle agent)
    {
        // After the runner stopped, its exit already closed every agent: nothing left to remove.
        enqueue(() ->
        {
            if (!agent.isRemoved())
            {
                detach(agent, null);
            }
        });
    }

    /** Ends the loop; the runner thread closes its agents on the way out. */
    void stop()
    {
        running = false;
        sleeper.wake();
    }

    /** Queues {@code command} for the runner thread, waking it; false once the runner has stopped. */
    boolean enqueue(final Runnable command)
    {
        synchronized (commands)
        {
            if (terminated)
            {
                return false;
            }
            commands.add(command);
        }
        sleeper.wake();
        return true;
    }

    private boolean due(final AgentHandle agent)
    {
        final long deadline = agent.deadline;
        if (deadline == NONE)
        {
            return false;
        }
        if (nanoTime() - deadline >= 0)
        {
            return true;
        }
        noteDeadline(deadline);
        return false;
    }

    private void noteDeadline(final long deadline)
    {
        if (earliestDeadline == NONE || deadline - earliestDeadline < 0)
        {
            earliestDeadline = deadline;
        }
    }

    private void onIdle(final AgentHandle agent)
    {
        final WaitMode mode = agent.mode();
        if (mode == WaitMode.POLL)
        {
            return;
        }
        if (mode == WaitMode.BACKOFF)
        {
            backoff = true;
            return;
        }
        if (agent.adaptive())
        {
            final long t = nanoTime();
            if (agent.idleSince == NONE)
            {
                agent.idleSince = t;
            }
            if (agent.inPollWindow(t))
            {
                spin = true;
                return;
            }
        }
        final boolean waiting;
        try
        {
            lastRun = agent;
            waiting = agent.agent().armAndCheck();
        }
        catch (final Throwable ex)
        {
            detach(agent, ex);
            return;
        }
        if (waiting)
        {
            spin = true; // published before the arming: the next pass takes it
            return;
        }
        agent.fallAsleep(agent.adaptive() ? nanoTime() : 0);
        if (agent.deadline != NONE)
        {
            noteDeadline(agent.deadline);
        }
    }

    private void backOff()
    {
        final int round = backoffRound++;
        if (round < BACKOFF_SPINS)
        {
            Thread.onSpinWait();
        }
        else if (round < BACKOFF_SPINS + BACKOFF_YIELDS)
        {
            Thread.yield();
        }
        else
        {
            // A bounded park through the sleeper, so a sleeping agent's wake-up still ends it at once.
            final int parks = Math.min(round - BACKOFF_SPINS - BACKOFF_YIELDS, 10);
            sleeper.boundNextPark(Math.min(BACKOFF_MAX_PARK_NANOS, BACKOFF_MIN_PARK_NANOS << parks));
            sleeper.idle();
        }
    }

    private void applyCommands()
    {
        Runnable command;
        while ((command = commands.poll()) != null)
        {
            command.run();
        }
    }

    private void attach(final AgentHandle agent)
    {
        agents = Arrays.copyOf(agents, agents.length + 1);
        agents[agents.length - 1] = agent;
        if (agent.mode() == WaitMode.POLL)
        {
            pollAgents++;
        }
        try
        {
            agent.agent().waker(agent);
            agent.agent().onStart();
        }
        catch (final Throwable ex)
        {
            detach(agent, ex);
        }
    }

    /** Takes {@code agent} off this runner; {@code error} is why, or null for a removal it asked for. */
    /**
     * Memory a guest's emulator shared and then shrank under its mapping faults (SIGBUS) on the next access, which
     * the JVM raises as an {@link InternalError}; in JIT-compiled code (JDK 17) it is delivered asynchronously, at
     * the next safepoint poll, which may lie after the faulting agent's call returned (even after other agents ran),
     * so no try around that call is sure to see it. Every agent whose memory is no longer whole ({@link
     * RingAgent#memoryIntact()}: a file shorter than its mapping) is removed as if it had thrown, so only those
     * devices fail and the runner and its other agents carry on; when none says so, the agent that ran last is
     * taken for the culprit. Any other {@link InternalError} is the process's trouble and ends the runner.
     */
    private void onMemoryFault(final InternalError ex)
    {
        if (!GuardedAgent.isMemoryFault(ex))
        {
            throw ex;
        }
        boolean found = false;
        for (final AgentHandle agent : agents)
        {
            if (!memoryIntact(agent))
            {
                detach(agent, ex);
                found = true;
            }
        }
        final AgentHandle suspect = lastRun;
        lastRun = null;
        if (!found && suspect != null && !suspect.isRemoved())
        {
            detach(suspect, ex);
        }
        else if (!found)
        {
            ERRORS.setRelease(this, errors + 1);
            errorHandler.onError(ex);
        }
    }

    private boolean memoryIntact(final AgentHandle agent)
    {
        try
        {
            return agent.agent().memoryIntact();
        }
        catch (final RuntimeException ex)
        {
            return true; // cannot tell: not evidence against it
        }
    }

    private void detach(final AgentHandle agent, final Throwable error)
    {
        if (agent.isRemoved())
        {
            return;
        }
        final int at = indexOf(agent);
        if (at >= 0)
        {
            final AgentHandle[] rest = new AgentHandle[agents.length - 1];
            System.arraycopy(agents, 0, rest, 0, at);
            System.arraycopy(agents, at + 1, rest, at, rest.length - at);
            agents = rest;
            if (agent.mode() == WaitMode.POLL)
            {
                pollAgents--;
            }
        }
        if (null != error)
        {
            ERRORS.setRelease(this, errors + 1);
        }
        try
        {
            agent.agent().onClose();
        }
        catch (final Throwable ex)
        {
            errorHandler.onError(ex);
        }
        try
        {
            agent.agent().waker(null);
        }
        catch (final Throwable ex)
        {
            errorHandler.onError(ex);
        }
        load.decrementAndGet();
        agent.markRemoved();
        if (null != error)
        {
            errorHandler.onError(error);
            final AgentErrorListener listener = agent.errorListener();
            if (null != listener)
            {
                try
                {
                    listener.onAgentError(agent.agent(), error);
                }
                catch (final Throwable ex)
                {
                    errorHandler.onError(ex);
                }
            }
        }
    }

    private int indexOf(final AgentHandle agent)
    {
        for (int i = 0; i < agents.length; i++)
        {
            if (agents[i] == agent)
            {
                return i;
            }
        }
        return -1;
    }

    @Override
    public String toString()
    {
        return "Runner{" + name + ", agents=" + agents.length + ", load=" + load() + ", loops=" + loops() +
            ", parks=" + parks() + ", unparks=" + unparks() + ", errors=" + errors() + '}';
    }
}
