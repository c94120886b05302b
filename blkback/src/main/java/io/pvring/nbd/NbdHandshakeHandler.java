package io.pvring.nbd;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.Promise;

import static io.pvring.nbd.NbdHandshakeDescriptor.CLIENT_FLAGS_LENGTH;
import static io.pvring.nbd.NbdHandshakeDescriptor.EXPORT_NAME_REPLY_FLAGS_OFFSET;
import static io.pvring.nbd.NbdHandshakeDescriptor.EXPORT_NAME_REPLY_LENGTH;
import static io.pvring.nbd.NbdHandshakeDescriptor.EXPORT_NAME_REPLY_SIZE_OFFSET;
import static io.pvring.nbd.NbdHandshakeDescriptor.EXPORT_NAME_REPLY_ZEROES;
import static io.pvring.nbd.NbdHandshakeDescriptor.GREETING_FLAGS_OFFSET;
import static io.pvring.nbd.NbdHandshakeDescriptor.GREETING_LENGTH;
import static io.pvring.nbd.NbdHandshakeDescriptor.GREETING_MAGIC_OFFSET;
import static io.pvring.nbd.NbdHandshakeDescriptor.GREETING_OPTION_MAGIC_OFFSET;
import static io.pvring.nbd.NbdHandshakeDescriptor.INFO_BLOCK_SIZE_LENGTH;
import static io.pvring.nbd.NbdHandshakeDescriptor.INFO_BLOCK_SIZE_MAXIMUM_OFFSET;
import static io.pvring.nbd.NbdHandshakeDescriptor.INFO_BLOCK_SIZE_MINIMUM_OFFSET;
import static io.pvring.nbd.NbdHandshakeDescriptor.INFO_BLOCK_SIZE_PREFERRED_OFFSET;
import static io.pvring.nbd.NbdHandshakeDescriptor.INFO_EXPORT_FLAGS_OFFSET;
import static io.pvring.nbd.NbdHandshakeDescriptor.INFO_EXPORT_LENGTH;
import static io.pvring.nbd.NbdHandshakeDescriptor.INFO_EXPORT_SIZE_OFFSET;
import static io.pvring.nbd.NbdHandshakeDescriptor.INFO_TYPE_OFFSET;
import static io.pvring.nbd.NbdHandshakeDescriptor.MAX_OPTION_REPLY_LENGTH;
import static io.pvring.nbd.NbdHandshakeDescriptor.OPTION_HEADER_LENGTH;
import static io.pvring.nbd.NbdHandshakeDescriptor.OPTION_LENGTH_OFFSET;
import static io.pvring.nbd.NbdHandshakeDescriptor.OPTION_MAGIC_OFFSET;
import static io.pvring.nbd.NbdHandshakeDescriptor.OPTION_OPTION_OFFSET;
import static io.pvring.nbd.NbdHandshakeDescriptor.OPTION_REPLY_HEADER_LENGTH;
import static io.pvring.nbd.NbdHandshakeDescriptor.OPTION_REPLY_LENGTH_OFFSET;
import static io.pvring.nbd.NbdHandshakeDescriptor.OPTION_REPLY_MAGIC_OFFSET;
import static io.pvring.nbd.NbdHandshakeDescriptor.OPTION_REPLY_OPTION_OFFSET;
import static io.pvring.nbd.NbdHandshakeDescriptor.OPTION_REPLY_TYPE_OFFSET;

/**
 * The client side of fixed newstyle negotiation: sends the client flags and {@code NBD_OPT_GO} asking for
 * {@code NBD_INFO_BLOCK_SIZE}, falls back to {@code NBD_OPT_EXPORT_NAME} only when the server answers
 * {@code NBD_REP_ERR_UNSUP} (or is not fixed newstyle), and completes {@code result} with the export, or with an
 * {@link NbdException} naming the server, the export and the server's own message. Every length the server sends
 * is bounded before anything is buffered. Once done it starts the transmission handler behind it and removes
 * itself.
 */
final class NbdHandshakeHandler extends ByteToMessageDecoder
{
    private enum State
    {
        GREETING, OPTION_REPLY, EXPORT_NAME_REPLY, DONE
    }

    private final String server;
    private final String exportName;
    private final byte[] exportNameBytes;
    private final long timeoutMs;
    private final Promise<NbdExport> result;
    private final NbdTransmissionHandler transmission;
    private State state = State.GREETING;
    private boolean noZeroes;
    private long size = -1;
    private int transmissionFlags;
    private int minimumBlockSize = NbdProtocol.DEFAULT_MINIMUM_BLOCK_SIZE;
    private int preferredBlockSize = NbdProtocol.DEFAULT_PREFERRED_BLOCK_SIZE;
    private int maximumPayload = NbdProtocol.DEFAULT_MAXIMUM_PAYLOAD;
    private ScheduledFuture<?> timeout;

    NbdHandshakeHandler(final String server, final String exportName, final long timeoutMs,
        final Promise<NbdExport> result, final NbdTransmissionHandler transmission)
    {
        this.transmission = transmission;
        this.server = server;
        this.exportName = exportName;
        this.exportNameBytes = exportName.getBytes(StandardCharsets.UTF_8);
        this.timeoutMs = timeoutMs;
        this.result = result;
    }

    @Override
    public void handlerAdded(final ChannelHandlerContext ctx) throws Exception
    {
        super.handlerAdded(ctx);
        timeout = ctx.executor().schedule(
            () -> fail(ctx, "no complete handshake within " + timeoutMs + " ms"), timeoutMs, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void handlerRemoved0(final ChannelHandlerContext ctx)
    {
        if (timeout != null)
        {
            timeout.cancel(false);
        }
    }

    @Override
    protected void decode(final ChannelHandlerContext ctx, final ByteBuf in, final List<Object> out)
    {
        while (state != State.DONE && ctx.channel().isOpen())
        {
            final boolean progressed;
            switch (state)
            {
                case GREETING:
                    progressed = greeting(ctx, in);
                    break;
                case OPTION_REPLY:
                    progressed = optionReply(ctx, in);
                    break;
                case EXPORT_NAME_REPLY:
                    progressed = exportNameReply(ctx, in);
                    break;
                default:
                    progressed = false;
                    break;
            }
            if (!progressed)
            {
                return;
            }
        }
    }

    private boolean greeting(final ChannelHandlerContext ctx, final ByteBuf in)
    {
        if (in.readableBytes() < GREETING_LENGTH)
        {
            return false;
        }
        final int base = in.readerIndex();
        final long magic = in.getLong(base + GREETING_MAGIC_OFFSET);
        final long optionMagic = in.getLong(base + GREETING_OPTION_MAGIC_OFFSET);
        if (magic != NbdProtocol.NBDMAGIC)
        {
            fail(ctx, "not an NBD server (greeting magic 0x" + Long.toHexString(magic) + ")");
            return false;
        }
        if (optionMagic == NbdProtocol.CLISERV_MAGIC)
        {
            fail(ctx, "oldstyle NBD servers are not supported (no export names); use a newstyle server");
            return false;
        }
        if (optionMagic != NbdProtocol.IHAVEOPT)
        {
            fail(ctx, "not an NBD server (second greeting magic 0x" + Long.toHexString(optionMagic) + ")");
            return false;
        }
        final int flags = in.getUnsignedShort(base + GREETING_FLAGS_OFFSET);
        in.skipBytes(GREETING_LENGTH);
        final boolean fixed = (flags & NbdProtocol.NBD_FLAG_FIXED_NEWSTYLE) != 0;
        noZeroes = fixed && (flags & NbdProtocol.NBD_FLAG_NO_ZEROES) != 0;
        final ByteBuf clientFlags = ctx.alloc().buffer(CLIENT_FLAGS_LENGTH);
        clientFlags.writeInt((fixed ? NbdProtocol.NBD_FLAG_C_FIXED_NEWSTYLE : 0) |
            (noZeroes ? NbdProtocol.NBD_FLAG_C_NO_ZEROES : 0));
        ctx.write(clientFlags);
        if (fixed)
        {
            sendGo(ctx);
        }
        else
        {
            // A server that is not fixed newstyle may drop the connection on an option it does not know.
            sendExportName(ctx);
        }
        return true;
    }

    private void sendGo(final ChannelHandlerContext ctx)
    {
        final int length = 4 + exportNameBytes.length + 2 + 2;
        final ByteBuf option = optionHeader(ctx, NbdProtocol.NBD_OPT_GO, length);
        option.writeInt(exportNameBytes.length).writeBytes(exportNameBytes);
        option.writeShort(1).writeShort(NbdProtocol.NBD_INFO_BLOCK_SIZE);
        ctx.writeAndFlush(option);
        state = State.OPTION_REPLY;
    }

    private void sendExportName(final ChannelHandlerContext ctx)
    {
        final ByteBuf option = optionHeader(ctx, NbdProtocol.NBD_OPT_EXPORT_NAME, exportNameBytes.length);
        option.writeBytes(exportNameBytes);
        ctx.writeAndFlush(option);
        state = State.EXPORT_NAME_REPLY;
    }

    private static ByteBuf optionHeader(final ChannelHandlerContext ctx, final int option, final int length)
    {
        final ByteBuf buf = ctx.alloc().buffer(OPTION_HEADER_LENGTH + length);
        buf.setLong(OPTION_MAGIC_OFFSET, NbdProtocol.IHAVEOPT);
        buf.setInt(OPTION_OPTION_OFFSET, option);
        buf.setInt(OPTION_LENGTH_OFFSET, length);
        buf.writerIndex(OPTION_HEADER_LENGTH);
        return buf;
    }

    private boolean optionReply(final ChannelHandlerContext ctx, final ByteBuf in)
    {
        if (in.readableBytes() < OPTION_REPLY_HEADER_LENGTH)
        {
            return false;
        }
        final int base = in.readerIndex();
        final long magic = in.getLong(base + OPTION_REPLY_MAGIC_OFFSET);
        final int option = in.getInt(base + OPTION_REPLY_OPTION_OFFSET);
        final int type = in.getInt(base + OPTION_REPLY_TYPE_OFFSET);
        final long length = in.getUnsignedInt(base + OPTION_REPLY_LENGTH_OFFSET);
        if (magic != NbdProtocol.NBD_REP_MAGIC)
        {
            fail(ctx, "bad option reply magic 0x" + Long.toHexString(magic));
            return false;
        }
        if (option != NbdProtocol.NBD_OPT_GO)
        {
            fail(ctx, "option reply for option " + option + " while negotiating NBD_OPT_GO");
            return false;
        }
        if (length > MAX_OPTION_REPLY_LENGTH)
        {
            fail(ctx, "option reply of " + length + " bytes (more than " + MAX_OPTION_REPLY_LENGTH + ")");
            return false;
        }
        if (in.readableBytes() < OPTION_REPLY_HEADER_LENGTH + length)
        {
            return false;
        }
        final int data = base + OPTION_REPLY_HEADER_LENGTH;
        in.skipBytes(OPTION_REPLY_HEADER_LENGTH + (int)length);
        if ((type & NbdProtocol.NBD_REP_FLAG_ERROR) != 0)
        {
            if (type == NbdProtocol.NBD_REP_ERR_UNSUP)
            {
                sendExportName(ctx);
                return true;
            }
            final String text = in.toString(data, (int)length, StandardCharsets.UTF_8);
            fail(ctx, "refused the export: " + NbdProtocol.replyName(type) + (text.isEmpty() ? "" : ": " + text));
            return false;
        }
        if (type == NbdProtocol.NBD_REP_INFO)
        {
            return info(ctx, in, data, (int)length);
        }
        if (type == NbdProtocol.NBD_REP_ACK)
        {
            if (size < 0)
            {
                fail(ctx, "NBD_OPT_GO acknowledged without NBD_INFO_EXPORT");
                return false;
            }
            done(ctx);
            return true;
        }
        // Other replies (NBD_REP_SERVER, future types) carry nothing this client needs.
        return true;
    }

    private boolean info(final ChannelHandlerContext ctx, final ByteBuf in, final int data, final int length)
    {
        if (length < 2)
        {
            fail(ctx, "NBD_REP_INFO of " + length + " bytes");
            return false;
        }
        final int infoType = in.getUnsignedShort(data + INFO_TYPE_OFFSET);
        if (infoType == NbdProtocol.NBD_INFO_EXPORT)
        {
            if (length != INFO_EXPORT_LENGTH)
            {
                fail(ctx, "NBD_INFO_EXPORT of " + length + " bytes (expected " + INFO_EXPORT_LENGTH + ")");
                return false;
            }
            return exportInfo(ctx, in.getLong(data + INFO_EXPORT_SIZE_OFFSET),
                in.getUnsignedShort(data + INFO_EXPORT_FLAGS_OFFSET));
        }
        if (infoType == NbdProtocol.NBD_INFO_BLOCK_SIZE)
        {
            if (length != INFO_BLOCK_SIZE_LENGTH)
            {
                fail(ctx, "NBD_INFO_BLOCK_SIZE of " + length + " bytes (expected " + INFO_BLOCK_SIZE_LENGTH + ")");
                return false;
            }
            return blockSize(ctx, in.getUnsignedInt(data + INFO_BLOCK_SIZE_MINIMUM_OFFSET),
                in.getUnsignedInt(data + INFO_BLOCK_SIZE_PREFERRED_OFFSET),
                in.getUnsignedInt(data + INFO_BLOCK_SIZE_MAXIMUM_OFFSET));
        }
        return true;
    }

    private boolean exportInfo(final ChannelHandlerContext ctx, final long exportSize, final int flags)
    {
        if (exportSize < 0)
        {
            fail(ctx, "export size " + Long.toUnsignedString(exportSize) + " beyond 2^63-1");
            return false;
        }
        size = exportSize;
        transmissionFlags = (flags & NbdProtocol.NBD_FLAG_HAS_FLAGS) != 0 ? flags : 0;
        return true;
    }

    private boolean blockSize(final ChannelHandlerContext ctx, final long minimum, final long preferred,
        final long maximum)
    {
        // doc/proto.md: minimum a power of two up to 64 KiB, preferred a power of two >= minimum, maximum a
        // multiple of minimum or 0xffffffff (no limit).
        final boolean valid = minimum >= 1 && minimum <= NbdProtocol.MAX_MINIMUM_BLOCK_SIZE &&
            Long.bitCount(minimum) == 1 && Long.bitCount(preferred) == 1 && preferred >= minimum &&
            maximum >= minimum && (maximum % minimum == 0 || maximum == 0xFFFF_FFFFL);
        if (!valid)
        {
            fail(ctx, "invalid NBD_INFO_BLOCK_SIZE minimum=" + minimum + " preferred=" + preferred +
                " maximum=" + maximum);
            return false;
        }
        minimumBlockSize = (int)minimum;
        preferredBlockSize = (int)preferred;
        maximumPayload = (int)Math.min(maximum - maximum % minimum, Integer.MAX_VALUE & -minimum);
        return true;
    }

    private boolean exportNameReply(final ChannelHandlerContext ctx, final ByteBuf in)
    {
        final int length = EXPORT_NAME_REPLY_LENGTH + (noZeroes ? 0 : EXPORT_NAME_REPLY_ZEROES);
        if (in.readableBytes() < length)
        {
            return false;
        }
        final int base = in.readerIndex();
        if (!exportInfo(ctx, in.getLong(base + EXPORT_NAME_REPLY_SIZE_OFFSET),
            in.getUnsignedShort(base + EXPORT_NAME_REPLY_FLAGS_OFFSET)))
        {
            return false;
        }
        in.skipBytes(length);
        done(ctx);
        return true;
    }

    private void done(final ChannelHandlerContext ctx)
    {
        state = State.DONE;
        final NbdExport export = new NbdExport(exportName, size, transmissionFlags, minimumBlockSize,
            preferredBlockSize, maximumPayload);
        transmission.start(export);
        if (result.trySuccess(export))
        {
            ctx.pipeline().remove(this);
        }
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        if (state == State.EXPORT_NAME_REPLY)
        {
            fail(ctx, "closed the connection after NBD_OPT_EXPORT_NAME: the export does not exist or was refused");
        }
        else
        {
            fail(ctx, "closed the connection during the handshake");
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        fail(ctx, "handshake failed: " + cause, cause);
    }

    private void fail(final ChannelHandlerContext ctx, final String why)
    {
        fail(ctx, why, null);
    }

    private void fail(final ChannelHandlerContext ctx, final String why, final Throwable cause)
    {
        if (state == State.DONE)
        {
            return;
        }
        state = State.DONE;
        result.tryFailure(new NbdException(
            "NBD server " + server + " (export '" + exportName + "'): " + why, cause));
        ctx.close();
    }
}
