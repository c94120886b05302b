package io.pvring.aio;

import java.nio.Buffer;
import java.nio.ByteBuffer;

import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;

/**
 * A reusable direct {@link ByteBuffer} re-pointed at any native range, so {@code FileChannel} positional I/O reads
 * into and writes from caller memory with no copy and no allocation (Netty's {@code
 * PlatformDependent.directBuffer(address, capacity)} without a new object per call). Its own one-byte allocation
 * stays owned by its cleaner; only {@code address} and {@code capacity} are changed. One per worker thread.
 */
final class NativeView
{
    private static final long CAPACITY_OFFSET = UnsafeApi.objectFieldOffset(Buffer.class, "capacity");

    private final ByteBuffer view = ByteBuffer.allocateDirect(1);

    /** The view over {@code length} bytes at {@code address}, position 0, limit {@code length}. */
    ByteBuffer point(final long address, final int length)
    {
        UnsafeApi.putLong(view, BufferUtil.BYTE_BUFFER_ADDRESS_FIELD_OFFSET, address);
        UnsafeApi.putInt(view, CAPACITY_OFFSET, length);
        view.clear();
        return view;
    }
}
