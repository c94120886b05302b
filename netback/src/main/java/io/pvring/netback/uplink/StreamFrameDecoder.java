package io.pvring.netback.uplink;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;

/**
 * Splits a {@code -netdev stream} byte stream into frames: 4-byte big-endian length, then that many bytes. A length
 * beyond {@link StreamFraming#MAX_FRAME_LENGTH} is a protocol violation that closes the connection; an empty frame
 * reaches the switch, which counts it as an ingress drop.
 */
public final class StreamFrameDecoder extends LengthFieldBasedFrameDecoder
{
    public StreamFrameDecoder()
    {
        super(StreamFraming.MAX_FRAME_LENGTH + StreamFraming.LENGTH_FIELD, 0, StreamFraming.LENGTH_FIELD, 0,
            StreamFraming.LENGTH_FIELD, true);
    }

    /** Bytes read from the peer and not yet framed (at most one partial frame plus one read). Event loop only. */
    public int bufferedBytes()
    {
        final ByteBuf cumulation = internalBuffer();
        return null == cumulation ? 0 : cumulation.readableBytes();
    }
}
