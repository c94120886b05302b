package io.pvring.bench.guests;

import java.util.List;
import java.util.function.Consumer;

import io.pvring.event.WaitMode;
import io.pvring.netback.NetBackVif;
import io.pvring.runner.RunnerPool;

/**
 * Where the net guests' backends run: every vif's queues on the host's shared {@link RunnerPool}, beside blkback's
 * rings, each on the least loaded runner, waiting as the run's mode says (as {@code serve} runs them).
 */
final class NetBackends implements AutoCloseable
{
    /** How the record names where the backends ran. */
    static final String PLACEMENT = "shared runner pool (least loaded runner per vif queue)";

    private final List<NetBackVif> vifs;

    private NetBackends(final List<NetBackVif> vifs)
    {
        this.vifs = vifs;
    }

    /**
     * Starts serving {@code vifs} on {@code pool}; {@code onError} is told (on a runner thread) if a vif's queue
     * throws.
     */
    static NetBackends start(final List<NetBackVif> vifs, final WaitMode mode, final RunnerPool pool,
        final Consumer<Throwable> onError)
    {
        for (final NetBackVif vif : vifs)
        {
            vif.start(pool, mode, (agent, error) -> onError.accept(error), -1);
        }
        return new NetBackends(List.copyOf(vifs));
    }

    /** Takes every vif's queues off their runners and waits until the runners let go. Idempotent. */
    @Override
    public void close()
    {
        for (final NetBackVif vif : vifs)
        {
            vif.stop();
        }
    }
}
