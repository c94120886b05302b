package io.pvring.event.remote;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.EpollDomainSocketChannelConfig;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import io.pvring.event.EventChannelTable;
import io.pvring.event.EventPort;
import io.pvring.event.EventWaiter;
import io.pvring.memory.GuestMemory;
import io.pvring.memory.MemoryRegion;
import io.pvring.memory.MemoryTable;
import io.pvring.unix.FrameReader;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;

import static io.pvring.event.remote.EvtchnMessageDescriptor.DOORBELL_REMOVE;
import static io.pvring.event.remote.EvtchnMessageDescriptor.E2BIG;
import static io.pvring.event.remote.EvtchnMessageDescriptor.EBADF;
import static io.pvring.event.remote.EvtchnMessageDescriptor.EEXIST;
import static io.pvring.event.remote.EvtchnMessageDescriptor.EINVAL;
import static io.pvring.event.remote.EvtchnMessageDescriptor.ENOSPC;
import static io.pvring.event.remote.EvtchnMessageDescriptor.ENOSYS;
import static io.pvring.event.remote.EvtchnMessageDescriptor.EPERM;
import static io.pvring.event.remote.EvtchnMessageDescriptor.ESRCH;
import static io.pvring.event.remote.EvtchnMessageDescriptor.ETIMEDOUT;
import static io.pvring.event.remote.EvtchnMessageDescriptor.MESSAGE_LENGTH;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_ALLOC_UNBOUND;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_BIND_INTERDOMAIN;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_CLOSE;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_DOMAIN_CREATE;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_DOMAIN_DESTROY;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_EVENT;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_HELLO;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_MASK;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_MEM_REGION;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_REPLY;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_SEND;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_SET_CALL;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_SET_KICK;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_SET_MEM_TABLE;
import static io.pvring.event.remote.EvtchnMessageDescriptor.STATUS_SEND_FD;
import static io.pvring.event.remote.EvtchnMessageDescriptor.VERSION;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_UNMASK;

/**
 * One client of the event-channel socket: a process acting for one domain (named by its hello). Requests are
 * copied out of the stream into private memory, validated, and answered in order; a message whose size field is
 * not {@link EvtchnMessageDescriptor#MESSAGE_LENGTH} ends the connection (the stream can no longer be framed).
 * Every other bad request gets a reply with a negative errno, and nothing a client sends can throw out of here.
 *
 * <p>Delivery: the handler is the {@link EventWaiter} of all its client's ports. A notification (on any thread)
 * schedules one drain on the event loop; the drain test-and-clears the pending bit of each unmasked port and
 * writes one {@link EvtchnMessageDescriptor#OP_EVENT} per port that was pending, so notifications coalesce
 * exactly like the pending bit: at most one event per port is in the server at any time. While the client does
 * not read (the channel is not writable) nothing is drained and the pending bits do the coalescing; reading
 * requests stops too ({@link FrameReader}), so what a client can make the server hold is a constant. No allocation
 * per notification beyond Netty's pooled buffers.
 *
 * <p>Closing the connection closes every port it opened: their peers become unbound, as when a domain's
 * {@code /dev/xen/evtchn} is closed.
 */
public final class EvtchnServerHandler extends FrameReader implements EventWaiter
{
    /** Events written per buffer before the channel's writability is looked at again. */
    static final int EVENTS_PER_WRITE = 64;
    /**
     * How long a descriptor a request announced may take to arrive: the socket then carries nothing else, and a byte
     * without a descriptor is swallowed by the transport's descriptor read, so a client that sends something else
     * instead is answered {@code -ETIMEDOUT} and disconnected after this.
     */
    static final long FD_WAIT_MILLIS = 5_000;
    /** Requests processed per event loop turn: one full read's worth. */
    static final int REQUESTS_PER_TURN = 512;

    private static final VarHandle DRAIN_SCHEDULED;

    static
    {
        try
        {
            DRAIN_SCHEDULED = MethodHandles.lookup().findVarHandle(EvtchnServerHandler.class, "drainScheduled",
                int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** A port this client opened, whether the client masked it, and its eventfds. Touched on the event loop only. */
    private static final class ClientPort
    {
        final EventPort port;
        boolean masked;
        KickDoorbell kick;
        CallDoorbell call;

        ClientPort(final EventPort port)
        {
            this.port = port;
        }
    }

    private final EventChannelTable table;
    private final DomainControl control;
    private final Int2ObjectHashMap<ClientPort> ports = new Int2ObjectHashMap<>();
    private final UnsafeBuffer requestBuffer = new UnsafeBuffer(new byte[MESSAGE_LENGTH]);
    private final UnsafeBuffer replyBuffer = new UnsafeBuffer(new byte[MESSAGE_LENGTH]);
    private final EvtchnMessage request = new EvtchnMessage().wrap(requestBuffer, 0);
    private final EvtchnMessage reply = new EvtchnMessage().wrap(replyBuffer, 0);
    private final Runnable drainTask = this::drain;
    private ChannelHandlerContext ctx;
    private final int boundDomid;
    private int domid = -1;
    private boolean draining;
    private ByteBuf eventBuffer;
    private long events;
    /** Regions sent since the last table, each with its descriptor open until the table is committed. */
    private final List<MemoryRegion> pendingRegions = new ArrayList<>();
    private final List<FileDescriptor> pendingRegionFds = new ArrayList<>();
    /** The request whose descriptor is awaited (its op, id, port and region), or 0 when none is. */
    private int fdOp;
    private int fdId;
    private long fdPort;
    private long fdRegionAddr;
    private long fdRegionSize;
    private long fdRegionOffset;
    private ScheduledFuture<?> fdTimeout;
    @SuppressWarnings("unused") // accessed through DRAIN_SCHEDULED
    private volatile int drainScheduled;

    /**
     * @param table the hypervisor's event channels.
     * @param control creates and destroys guests for {@code domain_create}/{@code domain_destroy}; null answers
     *     them with {@code -ENOSYS}.
     */
    public EvtchnServerHandler(final EventChannelTable table, final DomainControl control)
    {
        this(table, control, -1);
    }

    /**
     * @param boundDomid the only domain a client may say hello as (a guest's own socket), or -1 for any (the
     *     privileged socket). A bound client cannot create or destroy domains either, whatever {@code control}
     *     offers; it may still give its own domain memory ({@link DomainControl#setMemory}).
     */
    public EvtchnServerHandler(final EventChannelTable table, final DomainControl control, final int boundDomid)
    {
        super(MESSAGE_LENGTH, REQUESTS_PER_TURN);
        this.table = table;
        this.control = control;
        this.boundDomid = boundDomid;
    }

    /** The domain named by the client's hello, or -1 before it. */
    public int domid()
    {
        return domid;
    }

    /** Ports the client has open. Event loop only. */
    public int openPorts()
    {
        return ports.size();
    }

    /** Events written so far. Event loop only. */
    public long events()
    {
        return events;
    }

    @Override
    public void handlerAdded(final ChannelHandlerContext ctx) throws Exception
    {
        this.ctx = ctx;
        super.handlerAdded(ctx);
    }

    @Override
    protected long frameLength(final ByteBuf in, final int index)
    {
        // Every message is exactly MESSAGE_LENGTH: any other size field means the stream cannot be framed.
        return in.getUnsignedShortLE(index + EvtchnMessageDescriptor.SIZE_OFFSET) == MESSAGE_LENGTH ? MESSAGE_LENGTH
            : MALFORMED;
    }

    @Override
    protected void frame(final ChannelHandlerContext ctx, final ByteBuf in, final int index, final int length)
    {
        in.readBytes(requestBuffer.byteArray(), 0, MESSAGE_LENGTH); // index is the reader index
        process(ctx);
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        if (msg instanceof FileDescriptor)
        {
            passedFd(ctx, (FileDescriptor)msg);
        }
        else
        {
            super.channelRead(ctx, msg);
        }
    }

    @Override
    protected boolean mayProcess()
    {
        return 0 == fdOp; // while a descriptor is awaited the stream carries nothing else
    }

    @Override
    public void channelWritabilityChanged(final ChannelHandlerContext ctx) throws Exception
    {
        super.channelWritabilityChanged(ctx);
        if (ctx.channel().isWritable())
        {
            drain();
        }
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        dropPendingRegions();
        closePorts();
        releaseEventBuffer();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(final ChannelHandlerContext ctx) throws Exception
    {
        dropPendingRegions();
        closePorts();
        releaseEventBuffer();
        super.handlerRemoved(ctx);
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        // A broken socket: this client only.
        ctx.close();
    }

    /** A port of this client became pending (any thread): one drain on the event loop, however many wake-ups. */
    @Override
    public void wake()
    {
        final ChannelHandlerContext c = ctx;
        if (null != c && (int)DRAIN_SCHEDULED.getVolatile(this) == 0 && DRAIN_SCHEDULED.compareAndSet(this, 0, 1))
        {
            try
            {
                c.executor().execute(drainTask);
            }
            catch (final RejectedExecutionException ex)
            {
                // The server is shutting down: the connection and its ports go with it.
                DRAIN_SCHEDULED.setVolatile(this, 0);
            }
        }
    }

    private void process(final ChannelHandlerContext ctx)
    {
        final int op = request.op();
        if (domid < 0 && (op >= OP_ALLOC_UNBOUND && op <= OP_CLOSE || op >= OP_MEM_REGION && op <= OP_SET_CALL))
        {
            reply(ctx, -EPERM, 0, 0, 0, 0);
            return;
        }
        switch (op)
        {
            case OP_HELLO:
                hello(ctx);
                break;
            case OP_ALLOC_UNBOUND:
                allocUnbound(ctx);
                break;
            case OP_BIND_INTERDOMAIN:
                bindInterdomain(ctx);
                break;
            case OP_SEND:
                send(ctx);
                break;
            case OP_MASK:
            case OP_UNMASK:
                mask(ctx, OP_MASK == op);
                break;
            case OP_CLOSE:
                close(ctx);
                break;
            case OP_DOMAIN_CREATE:
                domainCreate(ctx);
                break;
            case OP_DOMAIN_DESTROY:
                domainDestroy(ctx);
                break;
            case OP_MEM_REGION:
                memRegion(ctx);
                break;
            case OP_SET_MEM_TABLE:
                setMemTable(ctx);
                break;
            case OP_SET_KICK:
            case OP_SET_CALL:
                setDoorbell(ctx, op);
                break;
            default:
                reply(ctx, -ENOSYS, 0, 0, 0, 0);
                break;
        }
    }

    private void hello(final ChannelHandlerContext ctx)
    {
        final long requested = request.domid();
        if (boundDomid >= 0 && requested != boundDomid)
        {
            // A guest's socket acts for that guest only: a hello for anyone else is refused and ends the connection.
            reply(ctx, -EPERM, 0, requested, 0, 0);
            endAfterReplies(ctx);
        }
        else if (domid >= 0)
        {
            reply(ctx, -EEXIST, 0, domid, 0, 0);
        }
        else if (requested > Integer.MAX_VALUE || !table.hasDomain((int)requested))
        {
            reply(ctx, -ESRCH, 0, requested, 0, 0);
        }
        else
        {
            domid = (int)requested;
            reply(ctx, 0, 0, domid, VERSION, table.maxPorts());
        }
    }

    private void allocUnbound(final ChannelHandlerContext ctx)
    {
        final long remote = request.domid();
        if (remote > Integer.MAX_VALUE || !table.hasDomain((int)remote))
        {
            reply(ctx, -ESRCH, 0, remote, 0, 0);
            return;
        }
        final EventPort port;
        try
        {
            port = table.allocUnbound(domid, (int)remote);
        }
        catch (final IllegalArgumentException ex)
        {
            reply(ctx, -ESRCH, 0, domid, 0, 0); // this client's domain was destroyed
            return;
        }
        if (null == port)
        {
            reply(ctx, -ENOSPC, 0, remote, 0, 0);
            return;
        }
        adopt(port);
        reply(ctx, 0, port.port(), remote, 0, 0);
    }

    private void bindInterdomain(final ChannelHandlerContext ctx)
    {
        final long remote = request.domid();
        final long remotePort = request.remotePort();
        if (remote > Integer.MAX_VALUE || !table.hasDomain((int)remote))
        {
            reply(ctx, -ESRCH, 0, remote, remotePort, 0);
            return;
        }
        EventPort port = null;
        if (remotePort > 0 && remotePort < table.maxPorts())
        {
            try
            {
                port = table.bindInterdomain(domid, (int)remote, (int)remotePort);
            }
            catch (final IllegalArgumentException ex)
            {
                reply(ctx, -ESRCH, 0, domid, remotePort, 0);
                return;
            }
        }
        if (null == port)
        {
            // Xen's answer to a remote port that is not unbound and allocated for this domain.
            reply(ctx, -EINVAL, 0, remote, remotePort, 0);
            return;
        }
        adopt(port);
        reply(ctx, 0, port.port(), remote, remotePort, 0);
    }

    private void send(final ChannelHandlerContext ctx)
    {
        final ClientPort p = clientPort(request.port());
        if (null == p)
        {
            reply(ctx, -EINVAL, request.port(), 0, 0, 0);
        }
        else
        {
            // An unbound port drops the notification and succeeds, as EVTCHNOP_send does for ECS_UNBOUND.
            p.port.notifyRemote();
        }
    }

    private void mask(final ChannelHandlerContext ctx, final boolean masked)
    {
        final ClientPort p = clientPort(request.port());
        if (null == p)
        {
            reply(ctx, -EINVAL, request.port(), 0, 0, 0);
            return;
        }
        p.masked = masked;
        if (masked)
        {
            p.port.mask();
        }
        else
        {
            p.port.unmask(); // wakes this handler when a notification arrived meanwhile
        }
        reply(ctx, 0, request.port(), p.port.remoteDomid(), Math.max(0, p.port.remotePort()), 0);
    }

    private void close(final ChannelHandlerContext ctx)
    {
        final ClientPort p = clientPort(request.port());
        if (null == p)
        {
            reply(ctx, -EINVAL, request.port(), 0, 0, 0);
            return;
        }
        ports.remove(p.port.port());
        release(p);
        reply(ctx, 0, request.port(), 0, 0, 0);
    }

    /**
     * One region of emulator-owned memory: checked on its own now (alignment, bounds, how many are pending), its
     * descriptor asked for, the table checked as a whole at {@link EvtchnMessageDescriptor#OP_SET_MEM_TABLE}.
     */
    private void memRegion(final ChannelHandlerContext ctx)
    {
        final long addr = request.regionGuestPhysAddr();
        final long size = request.regionMemorySize();
        final long offset = request.regionMmapOffset();
        if (null == control)
        {
            reply(ctx, -ENOSYS, 0, domid, 0, 0);
            return;
        }
        if (pendingRegions.size() >= MemoryTable.MAX_REGIONS)
        {
            reply(ctx, -E2BIG, 0, domid, 0, pendingRegions.size());
            return;
        }
        final long mask = 4095;
        if (size <= 0 || (size & mask) != 0 || addr < 0 || (addr & mask) != 0 || offset < 0 || (offset & mask) != 0 ||
            size > GuestMemory.MAX_BYTES - addr || size > Long.MAX_VALUE - offset)
        {
            reply(ctx, -EINVAL, 0, domid, 0, 0);
            return;
        }
        fdRegionAddr = addr;
        fdRegionSize = size;
        fdRegionOffset = offset;
        awaitFd(ctx, OP_MEM_REGION, 0);
    }

    private void setMemTable(final ChannelHandlerContext ctx)
    {
        if (null == control)
        {
            dropPendingRegions();
            reply(ctx, -ENOSYS, 0, domid, 0, 0);
            return;
        }
        int status;
        try
        {
            status = control.setMemory(domid, MemoryTable.of(pendingRegions));
        }
        catch (final IllegalArgumentException ex)
        {
            status = -EINVAL; // none, too many, or overlapping regions
        }
        final int regions = pendingRegions.size();
        dropPendingRegions(); // mapped (or refused): the descriptors are not needed any more
        reply(ctx, status, 0, domid, 0, regions);
    }

    /** An eventfd for one of this client's ports, or its removal ({@code value} {@code DOORBELL_REMOVE}). */
    private void setDoorbell(final ChannelHandlerContext ctx, final int op)
    {
        final ClientPort p = clientPort(request.port());
        if (null == p)
        {
            reply(ctx, -EINVAL, request.port(), 0, 0, 0);
            return;
        }
        if (DOORBELL_REMOVE == request.value())
        {
            if (OP_SET_KICK == op)
            {
                closeKick(p);
            }
            else
            {
                closeCall(p);
            }
            reply(ctx, 0, request.port(), 0, 0, 0);
            return;
        }
        if (0 != request.value())
        {
            reply(ctx, -EINVAL, request.port(), 0, 0, request.value());
            return;
        }
        if (!(ctx.channel().config() instanceof EpollDomainSocketChannelConfig) ||
            !(ctx.channel().eventLoop() instanceof IoEventLoop))
        {
            reply(ctx, -ENOSYS, request.port(), 0, 0, 0); // not a Unix socket that can carry descriptors
            return;
        }
        awaitFd(ctx, op, request.port());
    }

    /**
     * Answers the request with {@link EvtchnMessageDescriptor#STATUS_SEND_FD} and reads the next thing on the
     * socket as a descriptor. The client may send nothing else meanwhile: bytes already behind the request could
     * not be told from the descriptor's carrier byte, so they end the connection.
     */
    private void awaitFd(final ChannelHandlerContext ctx, final int op, final long port)
    {
        if (!(ctx.channel().config() instanceof EpollDomainSocketChannelConfig))
        {
            reply(ctx, -ENOSYS, port, 0, 0, 0);
            return;
        }
        if (inboundBytes() > 0)
        {
            reply(ctx, -EINVAL, port, 0, 0, 0);
            endAfterReplies(ctx);
            return;
        }
        fdOp = op;
        fdId = request.id();
        fdPort = port;
        ((EpollDomainSocketChannelConfig)ctx.channel().config()).setReadMode(DomainSocketReadMode.FILE_DESCRIPTORS);
        reply(ctx, STATUS_SEND_FD, port, domid, 0, 0);
        fdTimeout = ctx.executor().schedule(() -> fdOverdue(ctx), FD_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** The announced descriptor did not come: whatever came instead is lost, so the stream cannot go on. */
    private void fdOverdue(final ChannelHandlerContext ctx)
    {
        fdTimeout = null;
        if (0 == fdOp || !ctx.channel().isActive())
        {
            return;
        }
        request.clear().op(fdOp).id(fdId).port(fdPort);
        fdOp = 0;
        reply(ctx, -ETIMEDOUT, fdPort, domid, 0, 0);
        endAfterReplies(ctx);
    }

    /** The descriptor a request announced (or one nobody asked for, which is closed). */
    private void passedFd(final ChannelHandlerContext ctx, final FileDescriptor fd)
    {
        final int op = fdOp;
        fdOp = 0;
        if (null != fdTimeout)
        {
            fdTimeout.cancel(false);
            fdTimeout = null;
        }
        // Back to bytes, and out of Netty's descriptor read loop before it reads another: the next request's bytes.
        ctx.channel().config().setAutoRead(false);
        ((EpollDomainSocketChannelConfig)ctx.channel().config()).setReadMode(DomainSocketReadMode.BYTES);
        if (0 == op)
        {
            closeQuietly(fd);
            resumeOnEventLoop();
            return;
        }
        request.clear().op(op).id(fdId).port(fdPort);
        final int status;
        if (OP_MEM_REGION == op)
        {
            status = regionFd(fd);
        }
        else
        {
            status = doorbellFd(ctx, op, fd);
        }
        reply(ctx, status, fdPort, domid, 0, OP_MEM_REGION == op ? pendingRegions.size() : 0);
        ctx.flush();
        resumeOnEventLoop(); // requests that arrived after the descriptor
    }

    private int regionFd(final FileDescriptor fd)
    {
        final int n = fd.intValue();
        if (!PassedFd.isRegularFile(n))
        {
            closeQuietly(fd);
            return -EBADF;
        }
        final long size = PassedFd.size(n);
        if (size < 0 || fdRegionSize > size - fdRegionOffset)
        {
            closeQuietly(fd);
            return -EINVAL;
        }
        pendingRegions.add(new MemoryRegion(fdRegionAddr, fdRegionSize, PassedFd.procPath(n), fdRegionOffset));
        pendingRegionFds.add(fd);
        return 0;
    }

    private int doorbellFd(final ChannelHandlerContext ctx, final int op, final FileDescriptor fd)
    {
        final ClientPort p = clientPort(fdPort);
        if (null == p || !PassedFd.isEventFd(fd.intValue()))
        {
            closeQuietly(fd);
            return null == p ? -EINVAL : -EBADF;
        }
        if (PassedFd.isSemaphoreEventFd(fd.intValue()))
        {
            closeQuietly(fd);
            return -EINVAL; // its reader would read a huge count one by one, for ever
        }
        if (OP_SET_CALL == op)
        {
            closeCall(p);
            p.call = new CallDoorbell(p.port, fd);
            p.port.waiter(p.call);
            if (!p.masked)
            {
                p.call.wake(); // an event already pending is delivered through the new doorbell
            }
            return 0;
        }
        closeKick(p);
        p.kick = new KickDoorbell(p.port, fd, (IoEventLoop)ctx.channel().eventLoop());
        p.kick.start();
        return 0;
    }

    private static void closeKick(final ClientPort p)
    {
        if (null != p.kick)
        {
            p.kick.close();
            p.kick = null;
        }
    }

    private void closeCall(final ClientPort p)
    {
        if (null != p.call)
        {
            p.port.waiter(this);
            p.call.close();
            p.call = null;
            wake(); // what became pending meanwhile goes out as an event message
        }
    }

    private void release(final ClientPort p)
    {
        p.port.waiter(null);
        closeKick(p);
        if (null != p.call)
        {
            p.call.close();
            p.call = null;
        }
        p.port.close();
    }

    private void dropPendingRegions()
    {
        for (final FileDescriptor fd : pendingRegionFds)
        {
            closeQuietly(fd);
        }
        pendingRegionFds.clear();
        pendingRegions.clear();
    }

    private static void closeQuietly(final FileDescriptor fd)
    {
        try
        {
            fd.close();
        }
        catch (final IOException ex)
        {
            // A descriptor we were given and no longer want: nothing to report to anyone.
        }
    }

    private void domainCreate(final ChannelHandlerContext ctx)
    {
        if (boundDomid >= 0 || null == control)
        {
            reply(ctx, boundDomid >= 0 ? -EPERM : -ENOSYS, 0, 0, 0, 0);
            return;
        }
        final int result = control.createDomain(request.value());
        reply(ctx, Math.min(0, result), 0, Math.max(0, result), 0, request.value());
    }

    private void domainDestroy(final ChannelHandlerContext ctx)
    {
        if (boundDomid >= 0 || null == control)
        {
            reply(ctx, boundDomid >= 0 ? -EPERM : -ENOSYS, 0, 0, 0, 0);
            return;
        }
        final long target = request.domid();
        final int result = target > Integer.MAX_VALUE ? -ESRCH : control.destroyDomain((int)target);
        reply(ctx, result, 0, target, 0, 0);
    }

    /** The client's open port, or null: never opened here, closed, or gone with a destroyed domain. */
    private ClientPort clientPort(final long port)
    {
        if (port <= 0 || port >= table.maxPorts())
        {
            return null;
        }
        final ClientPort p = ports.get((int)port);
        if (null != p && p.port.isClosed())
        {
            ports.remove((int)port);
            closeKick(p);
            if (null != p.call)
            {
                p.call.close();
            }
            return null;
        }
        return p;
    }

    private void adopt(final EventPort port)
    {
        final ClientPort stale = ports.put(port.port(), new ClientPort(port));
        if (null != stale)
        {
            stale.port.waiter(null);
            closeKick(stale);
            if (null != stale.call)
            {
                stale.call.close();
            }
        }
        port.waiter(this);
    }

    private void reply(
        final ChannelHandlerContext ctx, final int status, final long port, final long replyDomid,
        final long remotePort, final long value)
    {
        final int id = request.id();
        final int op = request.op();
        reply.clear().op((op | OP_REPLY) & 0xFFFF).id(id).port(port).domid(replyDomid).remotePort(remotePort)
            .status(status).value(value);
        ctx.write(ctx.alloc().buffer(MESSAGE_LENGTH, MESSAGE_LENGTH).writeBytes(replyBuffer.byteArray(), 0,
            MESSAGE_LENGTH));
    }

    /** On the event loop: one event per pending, unmasked port, while the client keeps reading. */
    private void drain()
    {
        DRAIN_SCHEDULED.setVolatile(this, 0); // before the scan: a later notification schedules another drain
        final ChannelHandlerContext c = ctx;
        if (null == c)
        {
            return;
        }
        final Channel ch = c.channel();
        if (draining || !ch.isActive() || ports.isEmpty())
        {
            return;
        }
        draining = true;
        try
        {
            drainPorts(c, ch);
        }
        finally
        {
            draining = false;
        }
        c.flush();
    }

    private void drainPorts(final ChannelHandlerContext c, final Channel ch)
    {
        ByteBuf buf = null;
        int inBuf = 0;
        for (final ClientPort p : ports.values())
        {
            if (!ch.isWritable())
            {
                break; // the rest stay pending; channelWritabilityChanged drains again
            }
            if (p.masked || null != p.call || !p.port.consumePending())
            {
                continue;
            }
            if (null == buf)
            {
                buf = eventBuffer(c);
            }
            reply.clear().op(OP_EVENT).port(p.port.port());
            buf.writeBytes(replyBuffer.byteArray(), 0, MESSAGE_LENGTH);
            events++;
            if (++inBuf == EVENTS_PER_WRITE)
            {
                c.write(buf, c.voidPromise()); // no promise object per write: a failure reaches exceptionCaught
                buf = null;
                inBuf = 0;
            }
        }
        if (null != buf)
        {
            c.write(buf, c.voidPromise());
        }
    }

    /**
     * The buffer for the next batch of events, retained for the write: the one kept from last time when the transport
     * has released it (its only reference is ours again), so a steady stream of events allocates nothing; a new one
     * while the last is still queued behind a slow reader.
     */
    private ByteBuf eventBuffer(final ChannelHandlerContext c)
    {
        if (null != eventBuffer && 1 == eventBuffer.refCnt())
        {
            return eventBuffer.clear().retain();
        }
        if (null != eventBuffer)
        {
            eventBuffer.release(); // the queued write holds its own reference
        }
        eventBuffer = c.alloc().directBuffer(MESSAGE_LENGTH * EVENTS_PER_WRITE, MESSAGE_LENGTH * EVENTS_PER_WRITE);
        return eventBuffer.retain();
    }

    private void releaseEventBuffer()
    {
        if (null != eventBuffer)
        {
            eventBuffer.release();
            eventBuffer = null;
        }
    }

    private void closePorts()
    {
        if (ports.isEmpty())
        {
            return;
        }
        final List<ClientPort> open = new ArrayList<>(ports.values());
        ports.clear();
        for (final ClientPort p : open)
        {
            release(p);
        }
    }
}
