package io.pvring.xenstore;

import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import static io.pvring.xenstore.XsSockMsgDescriptor.HEADER_LENGTH;
import static io.pvring.xenstore.XsSockMsgDescriptor.LEN_OFFSET;
import static io.pvring.xenstore.XsSockMsgDescriptor.REQ_ID_OFFSET;
import static io.pvring.xenstore.XsSockMsgDescriptor.TX_ID_OFFSET;
import static io.pvring.xenstore.XsSockMsgDescriptor.TYPE_OFFSET;
import static io.pvring.xenstore.XsSockMsgDescriptor.XENSTORE_PAYLOAD_MAX;

/**
 * Frames {@code xsd_sockmsg} messages out of a byte stream (native little-endian header, then {@code len} bytes).
 * A header announcing more than {@code XENSTORE_PAYLOAD_MAX} bytes is a protocol violation after which the stream
 * cannot be trusted: the connection is closed (cxenstored ignores such a connection, {@code XENSTORE_ERROR_PROTO}).
 */
public final class XsWireDecoder extends ByteToMessageDecoder
{
    private boolean broken;

    @Override
    protected void decode(final ChannelHandlerContext ctx, final ByteBuf in, final List<Object> out)
    {
        if (broken)
        {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < HEADER_LENGTH)
        {
            return;
        }
        final int start = in.readerIndex();
        final long len = in.getUnsignedIntLE(start + LEN_OFFSET);
        if (len > XENSTORE_PAYLOAD_MAX)
        {
            broken = true;
            in.skipBytes(in.readableBytes());
            ctx.close();
            return;
        }
        if (in.readableBytes() < HEADER_LENGTH + len)
        {
            return;
        }
        final int type = in.getIntLE(start + TYPE_OFFSET);
        final int reqId = in.getIntLE(start + REQ_ID_OFFSET);
        final int txId = in.getIntLE(start + TX_ID_OFFSET);
        final byte[] payload = new byte[(int)len];
        in.getBytes(start + HEADER_LENGTH, payload);
        in.skipBytes(HEADER_LENGTH + (int)len);
        out.add(new XsMessage(type, reqId, txId, payload));
    }
}
