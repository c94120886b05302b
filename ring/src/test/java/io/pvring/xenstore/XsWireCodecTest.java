package io.pvring.xenstore;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.pvring.xenstore.XsMessageType.XS_DIRECTORY;
import static io.pvring.xenstore.XsMessageType.XS_DIRECTORY_PART;
import static io.pvring.xenstore.XsMessageType.XS_ERROR;
import static io.pvring.xenstore.XsMessageType.XS_GET_DOMAIN_PATH;
import static io.pvring.xenstore.XsMessageType.XS_GET_PERMS;
import static io.pvring.xenstore.XsMessageType.XS_IS_DOMAIN_INTRODUCED;
import static io.pvring.xenstore.XsMessageType.XS_MKDIR;
import static io.pvring.xenstore.XsMessageType.XS_READ;
import static io.pvring.xenstore.XsMessageType.XS_RESET_WATCHES;
import static io.pvring.xenstore.XsMessageType.XS_RM;
import static io.pvring.xenstore.XsMessageType.XS_SET_PERMS;
import static io.pvring.xenstore.XsMessageType.XS_TRANSACTION_END;
import static io.pvring.xenstore.XsMessageType.XS_TRANSACTION_START;
import static io.pvring.xenstore.XsMessageType.XS_UNWATCH;
import static io.pvring.xenstore.XsMessageType.XS_WATCH;
import static io.pvring.xenstore.XsMessageType.XS_WATCH_EVENT;
import static io.pvring.xenstore.XsMessageType.XS_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class XsWireCodecTest
{
    @BeforeAll
    static void paranoidLeakDetection()
    {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    private static byte[] msg(final int type, final int reqId, final int txId, final byte[] payload)
    {
        final ByteBuffer b = ByteBuffer.allocate(16 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(type).putInt(reqId).putInt(txId).putInt(payload.length).put(payload);
        return b.array();
    }

    private static byte[] msg(final int type, final int reqId, final int txId, final String... strings)
    {
        return msg(type, reqId, txId, XsMessage.strings(List.of(strings)));
    }

    private static byte[] raw(final String s)
    {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] p : parts)
        {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static EmbeddedChannel channel(final XenStore store)
    {
        return new EmbeddedChannel(new XsWireEncoder(), XsServerHandler.dom0(store));
    }

    /** Every reply written so far, decoded from the bytes on the wire; each ByteBuf released. */
    private static List<XsMessage> replies(final EmbeddedChannel ch)
    {
        ch.runPendingTasks();
        final List<XsMessage> out = new ArrayList<>();
        final ByteBuf acc = Unpooled.buffer();
        ByteBuf b;
        while (null != (b = ch.readOutbound()))
        {
            acc.writeBytes(b);
            assertTrue(b.release(), "reply buffer fully released");
        }
        while (acc.readableBytes() >= 16)
        {
            final int type = acc.readIntLE();
            final int req = acc.readIntLE();
            final int tx = acc.readIntLE();
            final int len = acc.readIntLE();
            final byte[] p = new byte[len];
            acc.readBytes(p);
            out.add(new XsMessage(type, req, tx, p));
        }
        assertEquals(0, acc.readableBytes(), "replies are whole messages");
        acc.release();
        return out;
    }

    /** Watch events interleave with replies depending on when the event loop runs; replies keep their order. */
    private static List<XsMessage> withoutEvents(final List<XsMessage> messages)
    {
        final List<XsMessage> out = new ArrayList<>();
        for (final XsMessage m : messages)
        {
            if (m.type() != XS_WATCH_EVENT)
            {
                out.add(m);
            }
        }
        return out;
    }

    private static String text(final XsMessage m)
    {
        return new String(m.payload(), StandardCharsets.ISO_8859_1);
    }

    /** A session touching every operation and error path, in one byte stream. */
    private static byte[] session()
    {
        return concat(
            msg(XS_WRITE, 1, 0, concat(raw("/vm/name\0"), raw("guest"))),
            msg(XS_READ, 2, 0, "/vm/name"),
            msg(XS_MKDIR, 3, 0, "/vm/dir"),
            msg(XS_DIRECTORY, 4, 0, "/vm"),
            msg(XS_SET_PERMS, 5, 0, "/vm/name", "n3", "r4"),
            msg(XS_GET_PERMS, 6, 0, "/vm/name"),
            msg(XS_WATCH, 7, 0, "/vm", "tok"),
            msg(XS_TRANSACTION_START, 8, 0, ""),
            msg(XS_WRITE, 9, 1, concat(raw("/vm/tx\0"), raw("in-tx"))),
            msg(XS_TRANSACTION_END, 10, 1, "T"),
            msg(XS_RM, 11, 0, "/vm/dir"),
            msg(XS_READ, 12, 0, "/vm/dir"),
            msg(XS_READ, 13, 0, raw("/vm/name")),
            msg(XS_READ, 14, 77, "/vm/name"),
            msg(99, 15, 0, "x"),
            msg(XS_GET_DOMAIN_PATH, 16, 0, "7"),
            msg(XS_IS_DOMAIN_INTRODUCED, 17, 0, "0"),
            msg(XS_DIRECTORY_PART, 18, 0, "/vm", "0"),
            msg(XS_UNWATCH, 19, 0, "/vm", "tok"),
            msg(XS_RESET_WATCHES, 20, 0, ""),
            msg(XS_WRITE, 21, 0, raw("no-nul-at-all")),
            msg(XS_TRANSACTION_END, 22, 0, "T"),
            msg(XS_WATCH_EVENT, 23, 0, "/x", "y"),
            msg(XS_ERROR, 24, 0, "EINVAL"),
            msg(XS_SET_PERMS, 25, 0, "/vm/name", "q7"));
    }

    @Test
    void sessionAnswersEveryRequestLikeCxenstored()
    {
        final XenStore store = new XenStore();
        final EmbeddedChannel ch = channel(store);
        ch.writeInbound(Unpooled.wrappedBuffer(session()));
        final List<XsMessage> r = replies(ch);
        final List<String> summary = new ArrayList<>();
        for (final XsMessage m : r)
        {
            summary.add(m.reqId() + ":" + XsMessageType.name(m.type()) + ":" + text(m).replace('\0', '|'));
        }
        assertEquals(List.of(
            "1:WRITE:OK|",
            "2:READ:guest",
            "3:MKDIR:OK|",
            "4:DIRECTORY:name|dir|",
            "5:SET_PERMS:OK|",
            "6:GET_PERMS:n3|r4|",
            "7:WATCH:OK|",
            "8:TRANSACTION_START:1|",
            "9:WRITE:OK|",
            "10:TRANSACTION_END:OK|",
            "11:RM:OK|",
            "12:ERROR:ENOENT|",
            "13:ERROR:EINVAL|",
            "14:ERROR:ENOENT|",
            "15:ERROR:EINVAL|",
            "16:GET_DOMAIN_PATH:/local/domain/7|",
            "17:IS_DOMAIN_INTRODUCED:T|",
            "18:DIRECTORY_PART:" + summary.get(17).split(":")[2],
            "19:UNWATCH:OK|",
            "20:RESET_WATCHES:OK|",
            "21:ERROR:EINVAL|",
            "22:ERROR:ENOENT|",
            "23:ERROR:EINVAL|",
            "24:ERROR:EINVAL|",
            "25:ERROR:EINVAL|"), summary);
        assertTrue(summary.get(17).endsWith("|tx||"), summary.get(17));
        // Events were still pending when the same batch unwatched: none is sent for a removed watch.
        assertEquals(1, r.get(8).txId(), "tx_id echoed");
        assertEquals(9, r.get(8).reqId());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void inputSplitAtEveryByteBoundaryGivesTheSameReplies()
    {
        final byte[] stream = session();
        final EmbeddedChannel reference = channel(new XenStore());
        reference.writeInbound(Unpooled.wrappedBuffer(stream));
        final List<XsMessage> expected = replies(reference);
        reference.finishAndReleaseAll();
        for (int split = 1; split < stream.length; split++)
        {
            final EmbeddedChannel ch = channel(new XenStore());
            final ByteBuf first = Unpooled.directBuffer().writeBytes(stream, 0, split);
            final ByteBuf second = Unpooled.directBuffer().writeBytes(stream, split, stream.length - split);
            ch.writeInbound(first);
            ch.writeInbound(second);
            assertEquals(0, first.refCnt(), "input released");
            assertEquals(0, second.refCnt(), "input released");
            assertEquals(withoutEvents(expected), withoutEvents(replies(ch)), "split at " + split);
            assertFalse(ch.finishAndReleaseAll());
        }
        final EmbeddedChannel bytewise = channel(new XenStore());
        for (final byte b : stream)
        {
            bytewise.writeInbound(Unpooled.wrappedBuffer(new byte[]{b}));
        }
        assertEquals(withoutEvents(expected), withoutEvents(replies(bytewise)));
        assertFalse(bytewise.finishAndReleaseAll());
    }

    @Test
    void oversizedMessageClosesTheConnectionWithoutAReply()
    {
        final XenStore store = new XenStore();
        final EmbeddedChannel ch = channel(store);
        final byte[] header = msg(XS_READ, 1, 0, new byte[0]);
        header[12] = 0x01;
        header[13] = 0x10;
        ch.writeInbound(Unpooled.wrappedBuffer(concat(header, msg(XS_READ, 2, 0, "/"))));
        assertEquals(List.of(), replies(ch));
        assertFalse(ch.isActive());
        ch.finishAndReleaseAll();
        // The store and other clients are unaffected.
        final EmbeddedChannel other = channel(store);
        other.writeInbound(Unpooled.wrappedBuffer(msg(XS_READ, 3, 0, "/tool/xenstored")));
        assertEquals(XsMessageType.XS_READ, replies(other).get(0).type());
        other.finishAndReleaseAll();
    }

    @Test
    void maximumPayloadIsAccepted()
    {
        final EmbeddedChannel ch = channel(new XenStore());
        final byte[] value = new byte[XsSockMsgDescriptor.XENSTORE_PAYLOAD_MAX - 3];
        Arrays.fill(value, (byte)'v');
        ch.writeInbound(Unpooled.wrappedBuffer(msg(XS_WRITE, 1, 0, concat(raw("/b\0"), value))));
        ch.writeInbound(Unpooled.wrappedBuffer(msg(XS_READ, 2, 0, "/b")));
        final List<XsMessage> r = replies(ch);
        assertEquals("OK\0", text(r.get(0)));
        assertEquals(value.length, r.get(1).payload().length);
        assertTrue(ch.isActive());
        ch.finishAndReleaseAll();
    }

    @Test
    void directoryTooBigForOneMessageIsE2bigAndDirectoryPartPages()
    {
        final XenStore store = new XenStore();
        final XsConnection dom0 = store.connect(0);
        for (int i = 0; i < 400; i++)
        {
            dom0.mkdir("/big/a-rather-long-child-name-" + i);
        }
        final EmbeddedChannel ch = channel(store);
        ch.writeInbound(Unpooled.wrappedBuffer(msg(XS_DIRECTORY, 1, 0, "/big")));
        ch.writeInbound(Unpooled.wrappedBuffer(msg(XS_DIRECTORY_PART, 2, 0, "/big", "0")));
        final List<XsMessage> r = replies(ch);
        assertEquals("E2BIG\0", text(r.get(0)));
        assertEquals(XS_DIRECTORY_PART, r.get(1).type());
        assertTrue(r.get(1).payload().length <= XsSockMsgDescriptor.XENSTORE_PAYLOAD_MAX);
        ch.finishAndReleaseAll();
    }

    @Test
    void watchEventsFromOtherWritersArriveOnTheChannel()
    {
        final XenStore store = new XenStore();
        final EmbeddedChannel ch = channel(store);
        ch.writeInbound(Unpooled.wrappedBuffer(msg(XS_WATCH, 1, 0, "/local/domain/1/device", "be")));
        assertEquals(2, replies(ch).size());
        final XsConnection guestSide = store.connect(0);
        for (int i = 0; i < 100_000; i++)
        {
            guestSide.write("/local/domain/1/device/vbd/0/state", Integer.toString(i % 7));
        }
        final List<XsMessage> events = replies(ch);
        assertEquals(1, events.size(), "a rewritten node is one pending event (XSA-349)");
        assertEquals("/local/domain/1/device/vbd/0/state\0be\0", text(events.get(0)));
        ch.close();
        assertNull(ch.readOutbound());
        guestSide.write("/local/domain/1/device/x", "after close");
        ch.finishAndReleaseAll();
    }

    @Test
    void connectionCloseEndsItsTransactionsAndWatches()
    {
        final XenStore store = new XenStore();
        final EmbeddedChannel ch = channel(store);
        ch.writeInbound(Unpooled.wrappedBuffer(concat(
            msg(XS_TRANSACTION_START, 1, 0, ""),
            msg(XS_WRITE, 2, 1, concat(raw("/never\0"), raw("x"))))));
        assertEquals(2, replies(ch).size());
        ch.close();
        ch.finishAndReleaseAll();
        assertNull(store.connect(0).readOrNull("/never"));
    }
}
