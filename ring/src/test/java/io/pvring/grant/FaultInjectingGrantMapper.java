package io.pvring.grant;

import java.util.concurrent.atomic.AtomicInteger;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A {@link GrantMapper} decorator for hostile-guest and hypervisor-failure tests (XSA-362/365/367/371): it lets a
 * chosen map, ring map or copy fail with a chosen status (any int: also the positive "status 1" of XSA-316 for
 * {@link #mapRing}), and runs a hook after each successful copy from the guest so a test can change guest memory
 * behind the backend's back (XSA-155 double fetches). Everything else goes to the real mapper, so pins and busy
 * bits stay exact and leak checks ({@link #liveMappings()}) mean what they say. Shipped in the ring test-jar.
 */
public final class FaultInjectingGrantMapper implements GrantMapper
{
    private final GrantMapper delegate;
    private final AtomicInteger mapsUntilFailure = new AtomicInteger(-1);
    private final AtomicInteger copiesUntilFailure = new AtomicInteger(-1);
    private final AtomicInteger maps = new AtomicInteger();
    private final AtomicInteger copies = new AtomicInteger();
    private volatile int mapFailure;
    private volatile int copyFailure;
    private volatile int mapRingFailure;
    private volatile Runnable afterCopyFromGuest;

    public FaultInjectingGrantMapper(final GrantMapper delegate)
    {
        this.delegate = delegate;
    }

    /** The next {@code okMaps} single-page maps succeed; the one after returns {@code status} (once). */
    public FaultInjectingGrantMapper failMapAfter(final int okMaps, final int status)
    {
        mapFailure = status;
        mapsUntilFailure.set(okMaps);
        return this;
    }

    /** The next {@code okCopies} copies (either direction) succeed; the one after returns {@code status} (once). */
    public FaultInjectingGrantMapper failCopyAfter(final int okCopies, final int status)
    {
        copyFailure = status;
        copiesUntilFailure.set(okCopies);
        return this;
    }

    /** The next {@link #mapRing} returns {@code status} without mapping anything (0 disarms). */
    public FaultInjectingGrantMapper failNextMapRing(final int status)
    {
        mapRingFailure = status;
        return this;
    }

    /** Runs {@code hook} after every successful {@link #copyFromGuest}; null for none. */
    public FaultInjectingGrantMapper afterCopyFromGuest(final Runnable hook)
    {
        afterCopyFromGuest = hook;
        return this;
    }

    /** Map calls seen (including injected failures). */
    public int maps()
    {
        return maps.get();
    }

    /** Copy calls seen (including injected failures). */
    public int copies()
    {
        return copies.get();
    }

    @Override
    public int frontendDomid()
    {
        return delegate.frontendDomid();
    }

    @Override
    public int backendDomid()
    {
        return delegate.backendDomid();
    }

    @Override
    public int map(final int ref, final boolean readonly)
    {
        maps.incrementAndGet();
        if (0 == mapsUntilFailure.getAndUpdate((n) -> n >= 0 ? n - 1 : n))
        {
            return mapFailure;
        }
        return delegate.map(ref, readonly);
    }

    @Override
    public boolean wrap(final int handle, final UnsafeBuffer flyweight)
    {
        return delegate.wrap(handle, flyweight);
    }

    @Override
    public int unmap(final int handle)
    {
        return delegate.unmap(handle);
    }

    @Override
    public RingMapping mapRing(final int[] refs, final int count)
    {
        final int failure = mapRingFailure;
        if (0 != failure)
        {
            mapRingFailure = 0;
            return RingMapping.failed(failure);
        }
        return delegate.mapRing(refs, count);
    }

    @Override
    public int copyFromGuest(
        final int ref, final int offset, final MutableDirectBuffer dst, final int dstOffset, final int length)
    {
        copies.incrementAndGet();
        if (0 == copiesUntilFailure.getAndUpdate((n) -> n >= 0 ? n - 1 : n))
        {
            return copyFailure;
        }
        final int status = delegate.copyFromGuest(ref, offset, dst, dstOffset, length);
        final Runnable hook = afterCopyFromGuest;
        if (GrantStatus.GNTST_OKAY == status && null != hook)
        {
            hook.run();
        }
        return status;
    }

    @Override
    public int copyToGuest(
        final int ref, final int offset, final DirectBuffer src, final int srcOffset, final int length)
    {
        copies.incrementAndGet();
        if (0 == copiesUntilFailure.getAndUpdate((n) -> n >= 0 ? n - 1 : n))
        {
            return copyFailure;
        }
        return delegate.copyToGuest(ref, offset, src, srcOffset, length);
    }

    @Override
    public int liveMappings()
    {
        return delegate.liveMappings();
    }

    @Override
    public int unmapAll()
    {
        return delegate.unmapAll();
    }
}
