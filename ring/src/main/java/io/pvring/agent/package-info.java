/**
 * The error boundary of agent runners. Each runner owns one {@link io.pvring.agent.AgentErrors} (its Agrona
 * {@code ErrorHandler} and errors counter); each device's agent runs inside a {@link io.pvring.agent.GuardedAgent},
 * so an unexpected exception in one device is counted, logged once with the device's name and turned into a close of
 * that device (for a xenbus device: {@link io.pvring.xenbus.XenbusDevice#requestClose(int, String)}), while the
 * runner goes on serving every other device:
 * <pre>{@code
 * AgentErrors errors = new AgentErrors("netback");
 * AgentRunner runner = new AgentRunner(idle, errors, errors.counter(), composite);
 * composite.tryAdd(new GuardedAgent(vif.agent(), errors,
 *     reason -> device.requestClose(XenbusDevice.EIO, reason)));
 * }</pre>
 * Guest input never reaches this boundary: it is validated and answered where it is parsed. What arrives here is a
 * bug, in pvring or in something it calls.
 */
package io.pvring.agent;
