/**
 * XenBus: the split-device handshake over xenstore, as Linux drivers perform it.
 *
 * <p>A backend driver implements {@link io.pvring.xenbus.XenbusBackendDriver} (probe: publish features) and returns
 * a {@link io.pvring.xenbus.XenbusBackendDevice} per device (connect: map rings and bind event channels through
 * {@link io.pvring.xenbus.XenbusDevice#hypervisor()}; disconnect; remove). A {@link io.pvring.xenbus.XenbusBackend}
 * per backend domain runs the state machine on its xenbus thread ({@link io.pvring.xenbus.XenbusThread}, or step
 * {@code doWork()} in tests):
 * <pre>{@code
 * XenbusBackend bus = new XenbusBackend(store.connect(0), hypervisor);
 * bus.register(blkbackDriver);                          // serves /local/domain/0/backend/vbd/...
 * XenbusThread thread = XenbusThread.start(bus);
 * new XenbusToolstack(store.connect(0)).addDevice(new XenbusDeviceSpec("vbd", 0, 1, "51712", beKeys, feKeys));
 * }</pre>
 * The guest side is {@link io.pvring.xenbus.XenbusFrontend} with a {@link io.pvring.xenbus.XenbusFrontendDriver}
 * (blkfront goes Initialised, netfront straight to Connected). Ring threads never touch xenstore: a fatal ring
 * error, or an agent's unexpected exception caught by {@link io.pvring.agent.GuardedAgent}, calls
 * {@link io.pvring.xenbus.XenbusDevice#requestClose(int, String)}; the xenbus thread disconnects the device and
 * records the reason as Linux's {@code xenbus_dev_fatal} does ({@link io.pvring.xenbus.XenbusDevice#fatal(int,
 * String)}: {@code error/<device path>/error = "<errno> <reason>"}, state Closing).
 */
package io.pvring.xenbus;
