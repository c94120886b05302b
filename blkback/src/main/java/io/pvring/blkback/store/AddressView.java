package io.pvring.blkback.store;

import java.nio.ByteBuffer;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.UnsafeApi;

/**
 * A reusable direct {@link ByteBuffer} re-pointed at native memory (a mapped guest page), so positional
 * {@code FileChannel} I/O moves data between the file and the guest page with no bounce copy and no allocation
 * (the technique of Netty's {@code PlatformDependent.directBuffer(address, capacity)}, without a new object per
 * call). Only {@code Buffer.address} is changed; capacity stays that of the original allocation, whose memory the
 * buffer's cleaner still owns and frees. {@link #AVAILABLE} is false when the JVM does not allow it (then callers
 * bounce through a buffer of their own); it is decided once by a self-test.
 */
final class AddressView
{
    static final boolean AVAILABLE = selfTest();

    private final ByteBuffer view;
    private final int capacity;

    AddressView(final int capacity)
    {
        this.view = ByteBuffer.allocateDirect(capacity);
        this.capacity = capacity;
    }

    int capacity()
    {
        return capacity;
    }

    /**
     * Points the view at {@code length} bytes of {@code buffer} from {@code offset}.
     *
     * @return the view (position 0, limit {@code length}), or null when {@code buffer} is not native memory or the
     *     range exceeds the view's capacity.
     */
    ByteBuffer point(final DirectBuffer buffer, final int offset, final int length)
    {
        if (!AVAILABLE || buffer.byteArray() != null || length > capacity || offset < 0 ||
            length < 0 || offset > buffer.capacity() - length)
        {
            return null;
        }
        UnsafeApi.putLong(view, BufferUtil.BYTE_BUFFER_ADDRESS_FIELD_OFFSET, buffer.addressOffset() + offset);
        view.clear().limit(length);
        return view;
    }

    private static boolean selfTest()
    {
        try
        {
            final org.agrona.concurrent.UnsafeBuffer target =
                new org.agrona.concurrent.UnsafeBuffer(ByteBuffer.allocateDirect(64));
            final AddressView probe = new AddressViewProbe().view;
            UnsafeApi.putLong(probe.view, BufferUtil.BYTE_BUFFER_ADDRESS_FIELD_OFFSET, target.addressOffset() + 8);
            probe.view.clear();
            probe.view.put(3, (byte)0x5A);
            final boolean ok = target.getByte(11) == 0x5A;
            UnsafeApi.putLong(probe.view, BufferUtil.BYTE_BUFFER_ADDRESS_FIELD_OFFSET, target.addressOffset());
            return ok;
        }
        catch (final RuntimeException | LinkageError ex)
        {
            return false;
        }
    }

    /** Builds a view before {@link #AVAILABLE} is known (the constructor itself does not depend on it). */
    private static final class AddressViewProbe
    {
        final AddressView view = new AddressView(16);
    }
}
