package io.pvring.nbd;

import io.netty.buffer.ByteBuf;
import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;

/**
 * Copies between Netty buffers and callers' off-heap memory without allocating: directly when the buffer exposes
 * its address (pooled direct buffers with Netty's unsafe access), through a fixed bounce array otherwise.
 * Event-loop thread only (the bounce array is per instance).
 */
final class NbdMemory
{
    private static final int BOUNCE_SIZE = 16 << 10;

    private final byte[] bounce = new byte[BOUNCE_SIZE];

    void copyToAddress(final ByteBuf src, final int srcIndex, final long dstAddress, final int length)
    {
        if (src.hasMemoryAddress())
        {
            UnsafeApi.copyMemory(src.memoryAddress() + srcIndex, dstAddress, length);
            return;
        }
        if (src.hasArray())
        {
            UnsafeApi.copyMemory(src.array(), BufferUtil.ARRAY_BASE_OFFSET + src.arrayOffset() + srcIndex, null,
                dstAddress, length);
            return;
        }
        int done = 0;
        while (done < length)
        {
            final int n = Math.min(length - done, BOUNCE_SIZE);
            src.getBytes(srcIndex + done, bounce, 0, n);
            UnsafeApi.copyMemory(bounce, BufferUtil.ARRAY_BASE_OFFSET, null, dstAddress + done, n);
            done += n;
        }
    }

    /** Appends {@code length} bytes at {@code srcAddress} to {@code dst} (which has the room). */
    void appendFromAddress(final long srcAddress, final ByteBuf dst, final int length)
    {
        final int dstIndex = dst.writerIndex();
        if (dst.hasMemoryAddress())
        {
            UnsafeApi.copyMemory(srcAddress, dst.memoryAddress() + dstIndex, length);
        }
        else if (dst.hasArray())
        {
            UnsafeApi.copyMemory(null, srcAddress, dst.array(),
                BufferUtil.ARRAY_BASE_OFFSET + dst.arrayOffset() + dstIndex, length);
        }
        else
        {
            int done = 0;
            while (done < length)
            {
                final int n = Math.min(length - done, BOUNCE_SIZE);
                UnsafeApi.copyMemory(null, srcAddress + done, bounce, BufferUtil.ARRAY_BASE_OFFSET, n);
                dst.setBytes(dstIndex + done, bounce, 0, n);
                done += n;
            }
        }
        dst.writerIndex(dstIndex + length);
    }
}
