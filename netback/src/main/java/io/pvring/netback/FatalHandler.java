package io.pvring.netback;

/**
 * Told when a frontend proved malicious (Linux {@code xenvif_fatal_tx_err}): the queue has already stopped; the
 * handler disconnects the vif (for a xenbus device: {@code XenbusDevice#requestClose}). Called on the queue's
 * thread; must not block.
 */
@FunctionalInterface
public interface FatalHandler
{
    void onFatal(String reason);
}
