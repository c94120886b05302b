package io.pvring.event;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One port of an {@link EventChannelTable}: Xen's {@code struct evtchn} with the 2-level ABI's pending and mask bits.
 * Sending, consuming, masking and waking are lock-free; binding and closing go through the table's lock.
 */
final class ChannelPort implements EventPort
{
    static final int UNBOUND = 0;
    static final int INTERDOMAIN = 1;
    static final int CLOSED = 2;

    private static final VarHandle PENDING;

    static
    {
        try
        {
            PENDING = MethodHandles.lookup().findVarHandle(ChannelPort.class, "pending", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final EventChannelTable table;
    private final int domid;
    private final int port;
    private final int remoteDomid;
    /** The bound peer; null while unbound or closed. Written under the table's lock. */
    private volatile ChannelPort peer;
    private volatile int state = UNBOUND;
    private volatile boolean masked;
    private volatile EventWaiter waiter;
    @SuppressWarnings("unused") // accessed through PENDING
    private volatile int pending;

    ChannelPort(final EventChannelTable table, final int domid, final int port, final int remoteDomid)
    {
        this.table = table;
        this.domid = domid;
        this.port = port;
        this.remoteDomid = remoteDomid;
    }

    @Override
    public int domid()
    {
        return domid;
    }

    @Override
    public int port()
    {
        return port;
    }

    @Override
    public int remoteDomid()
    {
        return remoteDomid;
    }

    @Override
    public int remotePort()
    {
        final ChannelPort remote = peer;
        return null == remote ? -1 : remote.port;
    }

    /** True while bound to a peer ({@code ECS_INTERDOMAIN}). */
    public boolean isBound()
    {
        return INTERDOMAIN == state;
    }

    @Override
    public boolean notifyRemote()
    {
        // One read of the peer: a concurrent close may null it, and a send to a port closing meanwhile is harmless.
        final ChannelPort remote = peer;
        if (null == remote)
        {
            return false;
        }
        remote.setPending();
        return true;
    }

    @Override
    public EventWaiter remoteWaiter()
    {
        final ChannelPort remote = peer;
        return null == remote ? null : remote.waiter;
    }

    /** Xen's {@code evtchn_2l_set_pending}: only a 0 -> 1 change of an unmasked port wakes the waiter. */
    void setPending()
    {
        if (0 == (int)PENDING.getAndSet(this, 1) && !masked)
        {
            wakeWaiter();
        }
    }

    @Override
    public boolean consumePending()
    {
        // The plain read keeps an idle poll free of locked instructions.
        return 0 != (int)PENDING.getVolatile(this) && 0 != (int)PENDING.getAndSet(this, 0);
    }

    @Override
    public boolean isPending()
    {
        return 0 != (int)PENDING.getVolatile(this);
    }

    @Override
    public void mask()
    {
        masked = true;
    }

    @Override
    public void unmask()
    {
        // Volatile store then load, against setPending's swap then load: one of the two sides wakes the waiter.
        masked = false;
        if (isPending())
        {
            wakeWaiter();
        }
    }

    public boolean isMasked()
    {
        return masked;
    }

    @Override
    public void waiter(final EventWaiter waiter)
    {
        this.waiter = waiter;
        if (null != waiter && isPending() && !masked)
        {
            waiter.wake();
        }
    }

    @Override
    public boolean isClosed()
    {
        return CLOSED == state;
    }

    @Override
    public void close()
    {
        table.close(this);
    }

    @Override
    public String toString()
    {
        return "EventPort{domid=" + domid + ", port=" + port + ", remoteDomid=" + remoteDomid + ", remotePort=" +
            remotePort() + ", state=" + state + ", pending=" + isPending() + ", masked=" + masked + '}';
    }

    int state()
    {
        return state;
    }

    ChannelPort peer()
    {
        return peer;
    }

    void bind(final ChannelPort remote)
    {
        peer = remote;
        state = INTERDOMAIN;
    }

    void unbind()
    {
        peer = null;
        state = UNBOUND;
    }

    void markClosed()
    {
        peer = null;
        state = CLOSED;
    }

    private void wakeWaiter()
    {
        final EventWaiter w = waiter;
        if (null != w)
        {
            w.wake();
        }
    }
}
