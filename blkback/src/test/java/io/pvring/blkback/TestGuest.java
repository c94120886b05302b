package io.pvring.blkback;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

import io.pvring.event.EventPort;
import io.pvring.event.EventWaiter;
import io.pvring.grant.GrantMapper;
import io.pvring.grant.GrantStatus;
import io.pvring.grant.RingMapping;
import io.pvring.grant.GrantTable;
import io.pvring.memory.GuestMemory;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A minimal in-memory hypervisor for blkback tests (the guest-side mock of STYLE 8): one frontend domain's memory,
 * its v1 grant table with Xen's checks (permit, domid, readonly, busy while mapped), a backend mapper over it, and
 * a bound pair of event ports. Hooks let hostile-guest tests fail maps and change memory after a copy.
 */
final class TestGuest implements AutoCloseable
{
    static final int FRONT_DOMID = 1;
    static final int BACK_DOMID = 0;
    static final int GTF_PERMIT_ACCESS = 1;
    static final int GTF_READONLY = 4;

    final Memory memory;
    final Grants grants;
    final Mapper mapper;

    TestGuest(final int frames, final int grantEntries)
    {
        memory = new Memory(frames);
        grants = new Grants(grantEntries);
        mapper = new Mapper();
    }

    public void close()
    {
        memory.close();
    }

    static final class Memory implements GuestMemory
    {
        final UnsafeBuffer ram;
        final int frames;

        Memory(final int frames)
        {
            this.frames = frames;
            this.ram = new UnsafeBuffer(ByteBuffer.allocateDirect(frames * PAGE_SIZE));
        }

        public long frames()
        {
            return frames;
        }

        public boolean wrap(final UnsafeBuffer flyweight, final long gfn, final int count)
        {
            if (gfn < 0 || count <= 0 || gfn + count > frames)
            {
                return false;
            }
            flyweight.wrap(ram, (int)gfn * PAGE_SIZE, count * PAGE_SIZE);
            return true;
        }

        public void close()
        {
        }
    }

    final class Grants implements GrantTable
    {
        final int[] flags;
        final int[] domid;
        final long[] frame;
        final int[] busy;
        private final boolean[] claimed;

        Grants(final int entries)
        {
            flags = new int[entries];
            domid = new int[entries];
            frame = new long[entries];
            busy = new int[entries];
            claimed = new boolean[entries];
        }

        public int capacity()
        {
            return flags.length;
        }

        public synchronized int claimRef()
        {
            for (int ref = 8; ref < claimed.length; ref++)
            {
                if (!claimed[ref])
                {
                    claimed[ref] = true;
                    return ref;
                }
            }
            return -1;
        }

        public synchronized void grantAccessRef(final int ref, final int domid, final long gfn, final boolean ro)
        {
            this.domid[ref] = domid;
            this.frame[ref] = gfn;
            this.flags[ref] = GTF_PERMIT_ACCESS | (ro ? GTF_READONLY : 0);
        }

        public synchronized int grantAccess(final int domid, final long gfn, final boolean readonly)
        {
            final int ref = claimRef();
            if (ref >= 0)
            {
                grantAccessRef(ref, domid, gfn, readonly);
            }
            return ref;
        }

        public synchronized boolean endForeignAccessRef(final int ref)
        {
            if (busy[ref] != 0)
            {
                return false;
            }
            flags[ref] = 0;
            return true;
        }

        public synchronized void releaseRef(final int ref)
        {
            claimed[ref] = false;
        }

        synchronized int claimedRefs()
        {
            int n = 0;
            for (final boolean c : claimed)
            {
                n += c ? 1 : 0;
            }
            return n;
        }
    }

    final class Mapper implements GrantMapper
    {
        private static final int MAX_HANDLES = 1 << 16;
        final int[] handleRef = new int[MAX_HANDLES];
        final boolean[] live = new boolean[MAX_HANDLES];
        private final int[] freeHandles = new int[MAX_HANDLES];
        private int freeCount;
        final AtomicInteger maps = new AtomicInteger();
        /** Maps that still succeed before every later one fails; negative = never fail. */
        volatile int mapsBeforeFailure = -1;
        /** Called with the ref after each successful copy from the guest (a racing guest rewrites memory). */
        volatile IntConsumer afterCopyFromGuest;
        private int liveCount;

        Mapper()
        {
            for (int h = MAX_HANDLES - 1; h >= 0; h--)
            {
                freeHandles[freeCount++] = h;
            }
        }

        public int frontendDomid()
        {
            return FRONT_DOMID;
        }

        public int backendDomid()
        {
            return BACK_DOMID;
        }

        private int check(final int ref, final boolean write)
        {
            if (ref < 0 || ref >= grants.flags.length)
            {
                return GrantStatus.GNTST_BAD_GNTREF;
            }
            final int f = grants.flags[ref];
            if ((f & GTF_PERMIT_ACCESS) == 0 || grants.domid[ref] != BACK_DOMID)
            {
                return GrantStatus.GNTST_BAD_GNTREF;
            }
            if (write && (f & GTF_READONLY) != 0)
            {
                return GrantStatus.GNTST_PERMISSION_DENIED;
            }
            return GrantStatus.GNTST_OKAY;
        }

        public int map(final int ref, final boolean readonly)
        {
            synchronized (grants)
            {
                final int rc = check(ref, !readonly);
                if (rc != GrantStatus.GNTST_OKAY)
                {
                    return rc;
                }
                if (mapsBeforeFailure == 0)
                {
                    return GrantStatus.GNTST_GENERAL_ERROR;
                }
                if (mapsBeforeFailure > 0)
                {
                    mapsBeforeFailure--;
                }
                final int handle = freeHandles[--freeCount];
                handleRef[handle] = ref;
                live[handle] = true;
                grants.busy[ref]++;
                liveCount++;
                maps.incrementAndGet();
                return handle;
            }
        }

        public boolean wrap(final int handle, final UnsafeBuffer flyweight)
        {
            if (handle < 0 || handle >= MAX_HANDLES || !live[handle])
            {
                return false;
            }
            return memory.wrap(flyweight, grants.frame[handleRef[handle]], 1);
        }

        public int unmap(final int handle)
        {
            synchronized (grants)
            {
                if (handle < 0 || handle >= MAX_HANDLES || !live[handle])
                {
                    return GrantStatus.GNTST_BAD_HANDLE;
                }
                live[handle] = false;
                grants.busy[handleRef[handle]]--;
                freeHandles[freeCount++] = handle;
                liveCount--;
                return GrantStatus.GNTST_OKAY;
            }
        }

        public RingMapping mapRing(final int[] refs, final int count)
        {
            final int[] handles = new int[count];
            for (int i = 0; i < count; i++)
            {
                final int h = map(refs[i], false);
                if (h < 0 || grants.frame[refs[i]] != grants.frame[refs[0]] + i)
                {
                    for (int j = 0; j < (h < 0 ? i : i + 1); j++)
                    {
                        unmap(j < i ? handles[j] : h);
                    }
                    return RingMapping.failed(h < 0 ? h : GrantStatus.GNTST_GENERAL_ERROR);
                }
                handles[i] = h;
            }
            final UnsafeBuffer ring = new UnsafeBuffer(0, 0);
            memory.wrap(ring, grants.frame[refs[0]], count);
            return new RingMapping(GrantStatus.GNTST_OKAY, ring, handles);
        }

        public int copyFromGuest(
            final int ref, final int offset, final MutableDirectBuffer dst, final int dstOffset, final int length)
        {
            final int rc = check(ref, false);
            if (rc != GrantStatus.GNTST_OKAY)
            {
                return rc;
            }
            if (offset < 0 || length < 0 || offset + length > GuestMemory.PAGE_SIZE)
            {
                return GrantStatus.GNTST_BAD_COPY_ARG;
            }
            dst.putBytes(dstOffset, memory.ram, (int)grants.frame[ref] * GuestMemory.PAGE_SIZE + offset, length);
            final IntConsumer hook = afterCopyFromGuest;
            if (hook != null)
            {
                hook.accept(ref);
            }
            return GrantStatus.GNTST_OKAY;
        }

        public int copyToGuest(
            final int ref, final int offset, final DirectBuffer src, final int srcOffset, final int length)
        {
            final int rc = check(ref, true);
            if (rc != GrantStatus.GNTST_OKAY)
            {
                return rc;
            }
            if (offset < 0 || length < 0 || offset + length > GuestMemory.PAGE_SIZE)
            {
                return GrantStatus.GNTST_BAD_COPY_ARG;
            }
            memory.ram.putBytes((int)grants.frame[ref] * GuestMemory.PAGE_SIZE + offset, src, srcOffset, length);
            return GrantStatus.GNTST_OKAY;
        }

        public int liveMappings()
        {
            synchronized (grants)
            {
                return liveCount;
            }
        }

        public int unmapAll()
        {
            int n = 0;
            for (int h = 0; h < MAX_HANDLES; h++)
            {
                if (live[h])
                {
                    unmap(h);
                    n++;
                }
            }
            return n;
        }
    }

    /** One end of a bound pair of ports. */
    static final class Port implements EventPort
    {
        final int domid;
        final int port;
        Port peer;
        final AtomicBoolean pending = new AtomicBoolean();
        final AtomicInteger received = new AtomicInteger();
        volatile EventWaiter waiter;
        volatile boolean closed;

        Port(final int domid, final int port)
        {
            this.domid = domid;
            this.port = port;
        }

        static Port[] pair()
        {
            final Port front = new Port(FRONT_DOMID, 5);
            final Port back = new Port(BACK_DOMID, 7);
            front.peer = back;
            back.peer = front;
            return new Port[]{ front, back };
        }

        public int domid()
        {
            return domid;
        }

        public int port()
        {
            return port;
        }

        public int remoteDomid()
        {
            return peer.domid;
        }

        public int remotePort()
        {
            return peer.port;
        }

        public boolean notifyRemote()
        {
            if (closed || peer.closed)
            {
                return false;
            }
            peer.received.incrementAndGet();
            peer.pending.set(true);
            final EventWaiter w = peer.waiter;
            if (w != null)
            {
                w.wake();
            }
            return true;
        }

        public boolean consumePending()
        {
            return pending.getAndSet(false);
        }

        public boolean isPending()
        {
            return pending.get();
        }

        public void mask()
        {
        }

        public void unmask()
        {
        }

        public void waiter(final EventWaiter waiter)
        {
            this.waiter = waiter;
        }

        public boolean isClosed()
        {
            return closed;
        }

        public void close()
        {
            closed = true;
        }
    }
}
