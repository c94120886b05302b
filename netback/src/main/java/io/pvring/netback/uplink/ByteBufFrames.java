package io.pvring.netback.uplink;

import io.netty.buffer.ByteBuf;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Views a Netty {@link ByteBuf}'s readable bytes as an Agrona buffer without copying when the ByteBuf is one direct
 * or heap region; composite buffers are copied into a reusable scratch array. One instance per event loop handler.
 */
final class ByteBufFrames
{
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private final byte[] scratch;
    private final UnsafeBuffer scratchView;

    ByteBufFrames(final int maxFrameLength)
    {
        scratch = new byte[maxFrameLength];
        scratchView = new UnsafeBuffer(scratch);
    }

    /** The readable bytes of {@code buf} from {@code skip}, valid until the ByteBuf is released or changed. */
    UnsafeBuffer view(final ByteBuf buf, final int skip, final int length)
    {
        final int index = buf.readerIndex() + skip;
        if (buf.hasMemoryAddress())
        {
            view.wrap(buf.memoryAddress() + index, length);
            return view;
        }
        if (buf.hasArray())
        {
            view.wrap(buf.array(), buf.arrayOffset() + index, length);
            return view;
        }
        buf.getBytes(index, scratch, 0, length);
        scratchView.wrap(scratch, 0, length);
        return scratchView;
    }
}
