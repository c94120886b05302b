package io.pvring.nbd;

import java.nio.charset.StandardCharsets;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Promise;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Negotiation against scripted server bytes, split at every boundary. */
class NbdHandshakeHandlerTest
{
    private static final int FLAGS = NbdProtocol.NBD_FLAG_HAS_FLAGS | NbdProtocol.NBD_FLAG_SEND_FLUSH |
        NbdProtocol.NBD_FLAG_SEND_TRIM;

    private static final class Rig
    {
        final EmbeddedChannel channel = new EmbeddedChannel();
        final Promise<NbdExport> result = channel.eventLoop().newPromise();
        final NbdTransmissionHandler transmission = new NbdTransmissionHandler("test-server",
            new NbdClientConfig().requestTimeoutMs(0), new CompletionLog());

        Rig()
        {
            channel.pipeline().addLast("handshake",
                new NbdHandshakeHandler("test-server", "disk", 60_000, result, transmission));
            channel.pipeline().addLast("nbd", transmission);
        }

        ByteBuf written()
        {
            final ByteBuf all = Unpooled.buffer();
            ByteBuf buf;
            while ((buf = channel.readOutbound()) != null)
            {
                all.writeBytes(buf);
                buf.release();
            }
            return all;
        }

        void feed(final byte[] bytes, final int split)
        {
            channel.writeInbound(Unpooled.wrappedBuffer(bytes, 0, split));
            if (channel.isOpen())
            {
                channel.writeInbound(Unpooled.wrappedBuffer(bytes, split, bytes.length - split));
            }
        }
    }

    static ByteBuf greeting(final int flags)
    {
        return Unpooled.buffer().writeLong(NbdProtocol.NBDMAGIC).writeLong(NbdProtocol.IHAVEOPT).writeShort(flags);
    }

    static void optionReply(final ByteBuf out, final int type, final ByteBuf data)
    {
        out.writeLong(NbdProtocol.NBD_REP_MAGIC).writeInt(NbdProtocol.NBD_OPT_GO).writeInt(type)
            .writeInt(data.readableBytes()).writeBytes(data);
    }

    static byte[] bytes(final ByteBuf buf)
    {
        final byte[] bytes = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), bytes);
        return bytes;
    }

    private static byte[] goServer()
    {
        final ByteBuf server = greeting(NbdProtocol.NBD_FLAG_FIXED_NEWSTYLE | NbdProtocol.NBD_FLAG_NO_ZEROES);
        optionReply(server, NbdProtocol.NBD_REP_INFO, Unpooled.buffer().writeShort(NbdProtocol.NBD_INFO_NAME)
            .writeBytes("disk".getBytes(StandardCharsets.UTF_8)));
        optionReply(server, NbdProtocol.NBD_REP_INFO, Unpooled.buffer().writeShort(NbdProtocol.NBD_INFO_EXPORT)
            .writeLong(1 << 20).writeShort(FLAGS));
        optionReply(server, NbdProtocol.NBD_REP_INFO, Unpooled.buffer().writeShort(NbdProtocol.NBD_INFO_BLOCK_SIZE)
            .writeInt(512).writeInt(4096).writeInt(65536));
        optionReply(server, NbdProtocol.NBD_REP_ACK, Unpooled.EMPTY_BUFFER);
        return bytes(server);
    }

    @Test
    void goNegotiatesSizeFlagsAndBlockSizesWhereverTheBytesSplit()
    {
        final byte[] server = goServer();
        final ByteBuf expected = Unpooled.buffer()
            .writeInt(NbdProtocol.NBD_FLAG_C_FIXED_NEWSTYLE | NbdProtocol.NBD_FLAG_C_NO_ZEROES)
            .writeLong(NbdProtocol.IHAVEOPT).writeInt(NbdProtocol.NBD_OPT_GO).writeInt(4 + 4 + 2 + 2)
            .writeInt(4).writeBytes("disk".getBytes(StandardCharsets.UTF_8))
            .writeShort(1).writeShort(NbdProtocol.NBD_INFO_BLOCK_SIZE);
        for (int split = 0; split <= server.length; split++)
        {
            final Rig rig = new Rig();
            rig.feed(server, split);
            assertTrue(rig.result.isSuccess(), "split " + split + ": " + rig.result.cause());
            assertEquals(new NbdExport("disk", 1 << 20, FLAGS, 512, 4096, 65536), rig.result.getNow(),
                "split " + split);
            assertEquals(expected, rig.written(), "client bytes, split " + split);
            assertNull(rig.channel.pipeline().get("handshake"), "handshake handler removed");
            assertTrue(rig.channel.isOpen());
            rig.channel.finishAndReleaseAll();
        }
    }

    @Test
    void aServerWithoutGoIsAskedForTheExportByName()
    {
        final ByteBuf server = greeting(NbdProtocol.NBD_FLAG_FIXED_NEWSTYLE);
        optionReply(server, NbdProtocol.NBD_REP_ERR_UNSUP, Unpooled.EMPTY_BUFFER);
        server.writeLong(123 * 512).writeShort(NbdProtocol.NBD_FLAG_HAS_FLAGS | NbdProtocol.NBD_FLAG_READ_ONLY)
            .writeZero(124);
        final byte[] bytes = bytes(server);
        for (int split = 0; split <= bytes.length; split++)
        {
            final Rig rig = new Rig();
            rig.feed(bytes, split);
            assertTrue(rig.result.isSuccess(), "split " + split + ": " + rig.result.cause());
            final NbdExport export = rig.result.getNow();
            assertEquals(123 * 512, export.size());
            assertTrue(export.readOnly());
            assertEquals(NbdProtocol.DEFAULT_MINIMUM_BLOCK_SIZE, export.minimumBlockSize());
            assertEquals(NbdProtocol.DEFAULT_MAXIMUM_PAYLOAD, export.maximumPayload());
            final ByteBuf written = rig.written();
            assertEquals(NbdProtocol.NBD_FLAG_C_FIXED_NEWSTYLE, written.readInt(), "no NO_ZEROES unless offered");
            written.skipBytes(NbdHandshakeDescriptor.OPTION_HEADER_LENGTH + 4 + 4 + 2 + 2);
            assertEquals(NbdProtocol.IHAVEOPT, written.readLong());
            assertEquals(NbdProtocol.NBD_OPT_EXPORT_NAME, written.readInt());
            assertEquals(4, written.readInt());
            assertEquals("disk", written.readCharSequence(4, StandardCharsets.UTF_8).toString());
            assertFalse(written.isReadable());
            rig.channel.finishAndReleaseAll();
        }
    }

    @Test
    void aRefusedExportFailsWithTheServersReasonAndNames()
    {
        final ByteBuf server = greeting(NbdProtocol.NBD_FLAG_FIXED_NEWSTYLE | NbdProtocol.NBD_FLAG_NO_ZEROES);
        optionReply(server, NbdProtocol.NBD_REP_ERR_UNKNOWN,
            Unpooled.copiedBuffer("export 'disk' not present", StandardCharsets.UTF_8));
        final Rig rig = new Rig();
        rig.feed(bytes(server), 5);
        final String message = rig.result.cause().getMessage();
        assertTrue(message.contains("NBD server test-server (export 'disk')") &&
            message.contains("NBD_REP_ERR_UNKNOWN") && message.contains("export 'disk' not present"), message);
        assertFalse(rig.channel.isOpen(), "the connection is closed");
        rig.channel.finishAndReleaseAll();
    }

    @Test
    void malformedServersFailTheHandshakeWithoutBuffering()
    {
        assertFails(bytes(Unpooled.buffer().writeLong(NbdProtocol.NBDMAGIC).writeLong(NbdProtocol.CLISERV_MAGIC)
            .writeShort(0)), "oldstyle");
        assertFails(bytes(Unpooled.buffer().writeLong(0x1234).writeLong(NbdProtocol.IHAVEOPT).writeShort(1)),
            "not an NBD server");

        final ByteBuf huge = greeting(NbdProtocol.NBD_FLAG_FIXED_NEWSTYLE);
        huge.writeLong(NbdProtocol.NBD_REP_MAGIC).writeInt(NbdProtocol.NBD_OPT_GO).writeInt(NbdProtocol.NBD_REP_INFO)
            .writeInt(Integer.MAX_VALUE);
        assertFails(bytes(huge), "option reply of 2147483647 bytes");

        final ByteBuf badBlockSize = greeting(NbdProtocol.NBD_FLAG_FIXED_NEWSTYLE);
        optionReply(badBlockSize, NbdProtocol.NBD_REP_INFO, Unpooled.buffer()
            .writeShort(NbdProtocol.NBD_INFO_BLOCK_SIZE).writeInt(3).writeInt(4096).writeInt(65536));
        assertFails(bytes(badBlockSize), "invalid NBD_INFO_BLOCK_SIZE minimum=3");

        final ByteBuf noExport = greeting(NbdProtocol.NBD_FLAG_FIXED_NEWSTYLE);
        optionReply(noExport, NbdProtocol.NBD_REP_ACK, Unpooled.EMPTY_BUFFER);
        assertFails(bytes(noExport), "without NBD_INFO_EXPORT");

        final ByteBuf wrongOption = greeting(NbdProtocol.NBD_FLAG_FIXED_NEWSTYLE);
        wrongOption.writeLong(NbdProtocol.NBD_REP_MAGIC).writeInt(NbdProtocol.NBD_OPT_LIST)
            .writeInt(NbdProtocol.NBD_REP_ACK).writeInt(0);
        assertFails(bytes(wrongOption), "option reply for option 3");
    }

    @Test
    void aServerClosingAfterExportNameRefusedIt()
    {
        final ByteBuf server = greeting(0);
        final Rig rig = new Rig();
        rig.channel.writeInbound(server);
        rig.channel.close();
        final String message = rig.result.cause().getMessage();
        assertTrue(message.contains("the export does not exist or was refused"), message);
        rig.channel.finishAndReleaseAll();
    }

    private static void assertFails(final byte[] server, final String expected)
    {
        final Rig rig = new Rig();
        rig.channel.writeInbound(Unpooled.wrappedBuffer(server));
        assertTrue(rig.result.isDone() && !rig.result.isSuccess(), expected);
        final String message = rig.result.cause().getMessage();
        assertTrue(message.contains(expected) && message.contains("test-server"), message);
        assertFalse(rig.channel.isOpen(), expected + ": connection closed");
        rig.channel.finishAndReleaseAll();
    }
}
