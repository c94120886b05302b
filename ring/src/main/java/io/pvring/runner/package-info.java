/**
 * Runner threads shared by every device of every guest, and the per-device choice of how a ring waits
 * ({@link io.pvring.event.WaitMode}: {@code poll}, {@code notify}, {@code adaptive}, {@code backoff}).
 *
 * <h2>The pieces</h2>
 * <ul>
 *     <li>{@link io.pvring.runner.RunnerPool}: N runner threads (the host's choice; default the number of cores);
 *     agents are added while it runs, to the least loaded runner or a pinned one, and removed again.</li>
 *     <li>{@link io.pvring.runner.Runner}: runs only agents that may have work; parks when they all sleep.
 *     The no-lost-wake-up argument is in its class comment.</li>
 *     <li>{@link io.pvring.runner.RingAgent}: what a ring agent implements: {@code doWork()},
 *     {@code armAndCheck()}, {@code waker(AgentWaker)}.</li>
 *     <li>{@link io.pvring.runner.AgentHandle}: one agent on its runner: its waker, its counters (polling window,
 *     time spent polling, sleeps, wake-ups) and {@code remove()}.</li>
 *     <li>{@link io.pvring.runner.AdaptivePollWindow}: QEMU's {@code poll-max-ns} / {@code poll-grow} /
 *     {@code poll-shrink} algorithm.</li>
 *     <li>{@code RunnerKicks} and {@code RingKick}: the kick eventfds of out-of-process frontends whose backends a
 *     runner hosts, read by the runner in its thread's io_uring ({@link io.pvring.uring.ThreadRing}), so a kick wakes
 *     the runner with no event-loop thread in between ({@link io.pvring.event.KickWatcher}, found through
 *     {@link io.pvring.runner.AgentHandle#kickWatcher()}).</li>
 * </ul>
 *
 * <h2>How a backend adopts it (blkback's {@code BlkRing}, netback's vif)</h2>
 * <ol>
 *     <li><b>Implement {@link io.pvring.runner.RingAgent}</b> on the ring agent (one per blkif ring; one per vif
 *     queue for netback, {@code QueueAgent}, queue 0's also serving the control ring, so a multi-queue vif's queues
 *     spread over the runners as Linux runs a kthread per queue).
 *     <ul>
 *         <li>{@code doWork()}: first {@code port.consumePending()} on every port (in every mode: a port's waiter is
 *         woken only on a 0 to 1 change of its pending bit), then the ring as today. Drop the
 *         {@code finalCheckForRequests()} calls and the "armed" flags from the duty cycle (BlkRing's
 *         {@code !polling && !back.finalCheckForRequests()}, NetBackQueue's {@code txArmed}/{@code rxArmed}):
 *         the runner decides when to arm.</li>
 *         <li>{@code armAndCheck()}: {@code back.finalCheckForRequests()} for each ring the agent serves (netback:
 *         each TX ring; each RX ring only while its backlog holds frames, as {@code rxArmed} does today; the
 *         control ring), or'ed together, plus "is my completion queue non-empty". No early return: every ring
 *         must be armed before the agent may sleep.</li>
 *         <li>{@code waker(w)}: {@code port.waiter(w)} on every event port (netback's existing
 *         {@code NetBackVif.waiter(EventWaiter)} already does this, and hands {@code w} to the queues' RX
 *         backlogs); {@code waker(null)} unregisters.</li>
 *     </ul></li>
 *     <li><b>Completions wake the ring</b>: an asynchronous store's completion thread puts the result on the ring's
 *     completion queue, then calls {@code waker.wake()} (any thread, after the result is visible; one atomic swap,
 *     an {@code unpark} only if the runner sleeps). The ring's runner alone writes the response. The same holds for
 *     netback's RX backlog filled by other vifs.</li>
 *     <li><b>Timers</b>: instead of {@code BlockingIdleStrategy.boundNextPark}, call
 *     {@code waker.wakeWithin(nanos)} from {@code doWork()}/{@code armAndCheck()}: netback's credit shaper
 *     ({@code nanosUntilWork()}); blkback's persistent-grant purge (100 ms) while grants are mapped.</li>
 *     <li><b>Connect</b>: {@code AgentHandle h = pool.add(ring, mode, (agent, error) -> ...)}; a device's further
 *     rings go next to the first with {@code pool.add(ring2, mode, listener, h.runner().index())}, or all
 *     to one runner the toolstack names. The mode comes from {@code WaitMode.parse(...)} of the device's setting.</li>
 *     <li><b>Disconnect</b>: {@code h.remove().join()} on the xenbus thread (never on a runner thread), then unmap
 *     the ring and close the ports: the runner has called {@code onClose()} and {@code waker(null)} and will not
 *     run the agent again. An agent may also leave by throwing {@code AgentTerminationException}.</li>
 *     <li><b>Errors</b>: an agent that throws is removed (after {@code onClose()}), counted in
 *     {@code Runner.errors()}, logged by the pool's error handler, and reported to the listener given at
 *     {@code add}; the listener (runner thread, must not block) asks xenbus to close the device with an
 *     {@code error} node. Other agents on the runner keep running.</li>
 *     <li><b>Counters</b>: publish {@code h.pollWindowNanos()}, {@code h.pollNanos()}, {@code h.sleeps()} and
 *     {@code h.wakeups()} with the ring's counters (single-writer, readable from any thread).</li>
 * </ol>
 * The host owns one pool ({@code Host}/{@code ServeHost}) and hands it to the drivers in place of their thread
 * settings; {@code BlkBack.start(threads, ...)} and netback's private {@code AgentRunner} are gone.
 */
package io.pvring.runner;
