package io.pvring.xenstore;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

import static io.pvring.xenstore.XsSockMsgDescriptor.HEADER_LENGTH;

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
        // Fields in xsd_sockmsg order: type, req_id, tx_id, len.
        out.writeIntLE(msg.type());
        out.writeIntLE(msg.reqId());
        out.writeIntLE(msg.txId());
        out.writeIntLE(msg.payload().length);
        out.writeBytes(msg.payload());
    }
}
