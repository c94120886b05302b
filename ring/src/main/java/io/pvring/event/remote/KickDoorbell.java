package io.pvring.event.remote;

import java.io.IOException;

import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.Native;
import io.netty.channel.unix.FileDescriptor;
import io.pvring.event.EventPort;

/**
 * vhost-user's "kick": the client's eventfd for one port, registered on the connection's own epoll event loop
 * (no thread per port): when it becomes readable its counter is read (resetting it) and the port is notified as if
 * the client had sent {@link EvtchnMessageDescriptor#OP_SEND}; many writes before the read are one send, as the
 * pending bit would make them anyway.
 */
final class KickDoorbell implements EpollIoHandle
{
    private final EventPort port;
    private final FileDescriptor fd;
    private IoRegistration registration;
    private long kicks;

    KickDoorbell(final EventPort port, final FileDescriptor fd)
    {
        this.port = port;
        this.fd = fd;
    }

    @Override
    public FileDescriptor fd()
    {
        return fd;
    }

    /** Called by the event loop once registered: arms the descriptor for reading. */
    void registered(final IoRegistration reg)
    {
        if (!fd.isOpen())
        {
            reg.cancel(); // the port or connection closed while the registration was on its way
            return;
        }
        registration = reg;
        reg.submit(EpollIoOps.EPOLLIN);
    }

    @Override
    public void handle(final IoRegistration reg, final IoEvent event)
    {
        try
        {
            Native.eventFdRead(fd.intValue());
        }
        catch (final RuntimeException ex)
        {
            return; // nothing to read after all (EAGAIN): no kick
        }
        kicks++;
        port.notifyRemote();
    }

    long kicks()
    {
        return kicks;
    }

    /** Unregisters from the event loop and closes the descriptor. Event loop only; idempotent. */
    @Override
    public void close()
    {
        if (null != registration)
        {
            registration.cancel();
            registration = null;
        }
        try
        {
            fd.close();
        }
        catch (final IOException ex)
        {
            // Closing an eventfd does not fail in a way that matters here.
        }
    }
}
