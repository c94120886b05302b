package io.pvring.xenbus;

/**
 * A backend driver (blkback, netback) as the xenbus backend bus sees it: Linux {@code struct xenbus_driver} for a
 * backend. The bus calls it on its xenbus thread when the toolstack creates a backend directory of
 * {@link #deviceType()}.
 */
public interface XenbusBackendDriver
{
    /** The directory below {@code /local/domain/<be>/backend/} this driver serves: {@code vbd}, {@code vif}. */
    String deviceType();

    /**
     * Linux {@code probe}: a new device. Read the toolstack's keys (mode, params, mac...) and publish features and
     * transport limits ({@code feature-*}, {@code max-ring-page-order}, {@code multi-queue-max-queues}) before
     * returning; the bus then moves the device to InitWait (once {@link XenbusBackendDevice#readyForInitWait} says
     * so). Allocate no ring resources here. Throwing refuses the device: it goes to Closing with an error node.
     */
    XenbusBackendDevice probe(XenbusDevice device);

    /**
     * The runner threads the host gives its drivers ({@link io.pvring.host.Host} owns one pool for every device of
     * every guest): called once, before the bus probes any device, by whoever runs the bus. A driver whose devices
     * run no ring agents ignores it.
     */
    default void runOn(final io.pvring.runner.RunnerPool runners)
    {
    }
}
