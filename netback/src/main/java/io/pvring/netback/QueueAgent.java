package io.pvring.netback;

import io.pvring.event.EventPort;
import io.pvring.netback.ctrl.NetCtrl;
import io.pvring.netback.stats.VifCounters;
import io.pvring.runner.AgentHandle;
import io.pvring.runner.AgentWaker;
import io.pvring.runner.RingAgent;

/**
 * One vif queue as a {@link RingAgent} on a {@link io.pvring.runner.RunnerPool} runner: its TX and RX rings, and for
 * queue 0 the vif's control ring. {@link #doWork()} is the queue's duty cycle (each ring consumes its port's pending
 * bit before it reads the ring); {@link #armAndCheck()} arms every ring the queue serves before the runner lets it
 * sleep: the TX ring (unless its requests wait for credit: then a {@link AgentWaker#wakeWithin} timer instead), the
 * RX ring while frames wait for buffers, and the control ring. Frames other agents queue for the guest wake the
 * queue through the same waker as its event channels.
 *
 * <p>Why a queue and not the whole vif: multi-queue exists so a vif's flows run in parallel (Linux runs a kthread
 * and a NAPI instance per queue), so a vif's queues are spread over the runners like blkback's rings, or pinned
 * together when the host says so ({@link NetBackVif#start}).
 */
public final class QueueAgent implements RingAgent
{
    private final NetBackQueue queue;
    /** The vif's control ring when this queue serves it (queue 0, set before the agent runs), else null. */
    private NetCtrl ctrl;
    private EventPort ctrlPort;
    private AgentWaker waker;
    /** Set before a planned removal ({@link NetBackVif#stop()}): the queue stays usable, e.g. to be stepped. */
    private volatile boolean leaving;
    /** The runner's view of this queue (polling window, time polled, sleeps, wake-ups), copied into the counters. */
    private AgentHandle handle;
    private long publishedPollNanos = -1;
    private long publishedSleeps = -1;

    QueueAgent(final NetBackQueue queue)
    {
        this.queue = queue;
    }

    /** This queue serves the vif's control ring too (queue 0; before the agent runs). */
    void ctrl(final NetCtrl ctrl, final EventPort ctrlPort)
    {
        this.ctrl = ctrl;
        this.ctrlPort = ctrlPort;
    }

    public NetBackQueue queue()
    {
        return queue;
    }

    /** The runner's handle of this queue while it runs on a pool, else null. */
    public AgentHandle handle()
    {
        return handle;
    }

    @Override
    public void waker(final AgentWaker waker)
    {
        this.waker = waker;
        // the pool hands each agent its own handle as the waker: its counters are the queue's runner counters
        this.handle = waker instanceof AgentHandle ? (AgentHandle)waker : null;
        queue.waiter(waker);
        if (ctrlPort != null)
        {
            ctrlPort.waiter(waker);
        }
    }

    @Override
    public int doWork()
    {
        final NetCtrl c = ctrl;
        return (c == null ? 0 : c.doWork()) + queue.doWork();
    }

    @Override
    public boolean memoryIntact()
    {
        return queue.memoryIntact();
    }

    @Override
    public boolean armAndCheck()
    {
        publishRunnerCounters();
        boolean work = queue.armAndCheck(waker);
        if (ctrl != null)
        {
            work |= ctrl.armAndCheck(); // no early return: every ring is armed before the queue may sleep
        }
        return work;
    }

    /**
     * Copies the runner's per-queue figures into the published counters, only when a sleep began or an idle spell
     * was timed since the last copy: a polling queue's batches write no counter lines.
     */
    private void publishRunnerCounters()
    {
        final AgentHandle h = handle;
        final VifCounters published = queue.publishedCounters();
        if (h != null && published != null)
        {
            final long polled = h.pollNanos();
            final long slept = h.sleeps();
            if (polled != publishedPollNanos || slept != publishedSleeps)
            {
                publishedPollNanos = polled;
                publishedSleeps = slept;
                published.publishRunner(h.pollWindowNanos(), polled, slept, h.wakeups());
            }
        }
    }

    /** The next removal from the runner is planned: keep the queue open (the vif closes it). */
    void leaving()
    {
        leaving = true;
    }

    /**
     * Off the runner: after a planned {@link NetBackVif#stop()} the queue stays as it is; after a failure (or the
     * pool closing under it) it is closed at once, so other agents' deliveries to it are dropped, not placed into a
     * queue left in an unknown state.
     */
    @Override
    public void onClose()
    {
        if (!leaving)
        {
            queue.close();
        }
        leaving = false;
    }

    @Override
    public String roleName()
    {
        return queue.roleName();
    }

    @Override
    public String toString()
    {
        return "QueueAgent{" + queue.roleName() + ", ctrl=" + (ctrl != null) + ", " + handle + '}';
    }
}
