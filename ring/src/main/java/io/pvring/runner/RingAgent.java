package io.pvring.runner;

import org.agrona.concurrent.Agent;

/**
 * An agent that serves shared rings on a {@link RunnerPool} runner and can be put to sleep safely.
 *
 * <p>Contract, in the order the runner uses it:
 * <ol>
 *     <li>{@link #waker(AgentWaker)} (runner thread, before {@link #onStart()}): register the waker as the
 *     {@link io.pvring.event.EventWaiter} of every event port the agent serves ({@code port.waiter(waker)}) and hand
 *     it to anything that gives the agent work from another thread (an I/O completion queue, a backlog another
 *     agent fills), which calls {@link AgentWaker#wake()} after making the work visible;</li>
 *     <li>{@link #doWork()}: consume the ports' pending bits ({@code consumePending()}) <em>before</em> reading the
 *     rings and completion queues, then serve a bounded batch; never arm an event index here: the runner decides
 *     when the agent sleeps;</li>
 *     <li>{@link #armAndCheck()}: called only when the runner is about to let the agent sleep (a {@code notify}
 *     agent as soon as a {@code doWork()} found nothing, an {@code adaptive} one once its polling window ran out,
 *     a {@code poll} agent never);</li>
 *     <li>{@link #onClose()} then {@code waker(null)} (runner thread) when the agent is removed.</li>
 * </ol>
 */
public interface RingAgent extends Agent
{
    /**
     * Prepares to sleep: arms every ring's event index ({@code RING_FINAL_CHECK_FOR_REQUESTS} on a back ring,
     * {@code RING_FINAL_CHECK_FOR_RESPONSES} on a front ring) and reports whether work is already waiting, in the
     * rings (published before the index was armed) or in a completion queue. True keeps the agent awake (its next
     * {@code doWork()} takes the work); false lets it sleep until its waker is woken. Must return true only when
     * the next {@code doWork()} would do something, or the runner spins.
     *
     * <p>Cheap by design: one release store and one fence per ring, and no allocation.
     */
    boolean armAndCheck();

    /**
     * False once memory this agent reads was truncated under its mapping (an emulator shrank the guest memory or
     * grant table it shared): the runner removes such agents when a memory fault surfaces (see {@link Runner}).
     */
    default boolean memoryIntact()
    {
        return true;
    }

    /**
     * Where to report that the agent has work: registered on its event ports and handed to its completion sources;
     * null when the agent leaves the runner (unregister it from the ports).
     */
    void waker(AgentWaker waker);
}
