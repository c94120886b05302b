package io.pvring.event.remote;

import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;

import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.Native;
import io.netty.channel.unix.FileDescriptor;
import io.pvring.event.EventPort;
import io.pvring.event.EventWaiter;
import io.pvring.event.KickWatch;
import io.pvring.event.KickWatcher;

/**
 * vhost-user's "kick": the client's eventfd for one port. Each read of its counter (which resets it: many writes
 * before a read are one send, as the pending bit would make them anyway) notifies the port as if the client had sent
 * {@link EvtchnMessageDescriptor#OP_SEND}.
 *
 * <p>Who reads it: the thread that runs the notified backend, when that thread can ({@link KickWatcher}: a runner
 * reading it in its io_uring), so a kick wakes that thread and no other; otherwise the connection's own epoll event
 * loop (no thread per port), which then wakes the backend's thread. The backend may not be there yet when the
 * eventfd arrives (the frontend binds its port before the backend connects): the event loop then reads it until a
 * kick finds a backend thread that takes it over. The descriptor stays this object's throughout and is closed by
 * it, only once no runner reads it any more; a runner that gives it back (it stopped) hands it to the event loop
 * again, and a kick written meanwhile stays in the counter, so none is lost.
 *
 * <p>Event loop only, except {@link #released()}.
 */
final class KickDoorbell implements EpollIoHandle
{
    private final EventPort port;
    private final FileDescriptor fd;
    private final IoEventLoop loop;
    /** While the event loop reads the eventfd. */
    private IoRegistration registration;
    /** While a backend's thread reads it. */
    private KickWatch watch;
    private boolean closed;
    private long loopKicks;
    private long handedOverKicks;
    private int handOvers;

    KickDoorbell(final EventPort port, final FileDescriptor fd, final IoEventLoop loop)
    {
        this.port = port;
        this.fd = fd;
        this.loop = loop;
    }

    /** Hands the eventfd to the backend's thread if it can take it, else starts reading it on the event loop. */
    void start()
    {
        if (!handOver())
        {
            registerOnLoop();
        }
    }

    @Override
    public FileDescriptor fd()
    {
        return fd;
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
        loopKicks++;
        port.notifyRemote();
        if (handOver())
        {
            reg.cancel();
            registration = null;
        }
    }

    /** Kicks read by the event loop. */
    long loopKicks()
    {
        return loopKicks;
    }

    /** Kicks read by a backend's thread (those of watches given back included). */
    long handedOverKicks()
    {
        return handedOverKicks + (null == watch ? 0 : watch.kicks());
    }

    /** Times a backend's thread took the eventfd over. */
    int handOvers()
    {
        return handOvers;
    }

    /** True while a backend's thread reads the eventfd. */
    boolean isHandedOver()
    {
        return null != watch;
    }

    /** Stops reading and closes the descriptor, once no backend thread reads it. Event loop only; idempotent. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (null != registration)
        {
            registration.cancel();
            registration = null;
        }
        if (null != watch)
        {
            watch.cancel(); // closed when the watcher gives it back
            return;
        }
        closeFd();
    }

    private boolean handOver()
    {
        final EventWaiter waiter = port.remoteWaiter();
        final KickWatcher watcher = null == waiter ? null : waiter.kickWatcher();
        if (null == watcher)
        {
            return false;
        }
        watch = watcher.watch(fd.intValue(), port, this::released);
        if (null == watch)
        {
            return false;
        }
        handOvers++;
        return true;
    }

    /** The watcher no longer reads the eventfd (its thread, any time after the hand-over). */
    private void released()
    {
        try
        {
            loop.execute(this::returned);
        }
        catch (final RejectedExecutionException ex)
        {
            closeFd(); // the event loop is gone, and with it the connection: nobody reads the eventfd any more
        }
    }

    private void returned()
    {
        handedOverKicks += watch.kicks();
        watch = null;
        if (closed)
        {
            closeFd();
        }
        else
        {
            registerOnLoop(); // a kick left in the counter meanwhile makes it readable at once
        }
    }

    private void registerOnLoop()
    {
        loop.register(this).addListener(f ->
        {
            if (f.isSuccess())
            {
                registered((IoRegistration)f.getNow());
            }
            else
            {
                closed = true;
                closeFd();
            }
        });
    }

    /** Called by the event loop once registered: arms the descriptor for reading. */
    private void registered(final IoRegistration reg)
    {
        if (closed)
        {
            reg.cancel(); // the port or connection closed while the registration was on its way
            return;
        }
        registration = reg;
        reg.submit(EpollIoOps.EPOLLIN);
    }

    private void closeFd()
    {
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
