package io.pvring.xenstore;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

import static io.pvring.xenstore.XsSockMsgDescriptor.HEADER_LENGTH;
import static io.pvring.xenstore.XsSockMsgDescriptor.LEN_OFFSET;
import static io.pvring.xenstore.XsSockMsgDescriptor.REQ_ID_OFFSET;
import static io.pvring.xenstore.XsSockMsgDescriptor.TX_ID_OFFSET;
import static io.pvring.xenstore.XsSockMsgDescriptor.TYPE_OFFSET;

/** Writes {@link XsMessage}s as {@code xsd_sockmsg} header (little endian) plus payload. Stateless. */
@ChannelHandler.Sharable
public final class XsWireEncoder extends MessageToByteEncoder<XsMessage>
{
    public XsWireEncoder()
    {
        super(XsMessage.class);
    }

    @Override
    protected void encode(final ChannelHandlerContext ctx, final XsMessage msg, final ByteBuf out)
    {
        out.ensureWritable(HEADER_LENGTH + msg.payload().length);
        final int start = out.writerIndex();
        out.setIntLE(start + TYPE_OFFSET, msg.type());
        out.setIntLE(start + REQ_ID_OFFSET, msg.reqId());
        out.setIntLE(start + TX_ID_OFFSET, msg.txId());
        out.setIntLE(start + LEN_OFFSET, msg.payload().length);
        out.writerIndex(start + HEADER_LENGTH);
        out.writeBytes(msg.payload());
    }
}
