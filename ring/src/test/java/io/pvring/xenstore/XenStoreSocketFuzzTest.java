package io.pvring.xenstore;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

import static io.pvring.xenstore.XsSockMsgDescriptor.HEADER_LENGTH;
import static io.pvring.xenstore.XsSockMsgDescriptor.XENSTORE_PAYLOAD_MAX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Coverage-guided fuzzing of {@code xs_wire.h} frames on both kinds of xenstore socket: a privileged (dom0)
 * connection and a guest's connection (domain 1, unprivileged), each through the real pipeline of
 * {@link XenStoreServer} (decoder, encoder, {@link XsServerHandler}, {@link XsRequestProcessor}) on one store.
 *
 * <p>Invariants, checked after every step: each complete frame is answered once, in order, with its request
 * and transaction id (its own type or {@code XS_ERROR}), and a connection is closed only after a header that
 * announced more than {@code XENSTORE_PAYLOAD_MAX} bytes. A guest never reads or changes domain 2's secret node
 * and never takes its own node count past the quota. At the end the tree is consistent, closed connections are
 * detached and every buffer is released. Regression inputs live in {@code XenStoreSocketFuzzTestInputs/}.
 */
class XenStoreSocketFuzzTest
{
    private static final int GUEST = 1;
    private static final String SECRET_PATH = "/local/domain/2/secret";
    private static final byte[] SECRET = "dom2-secret-9f31c7".getBytes(StandardCharsets.ISO_8859_1);
    /** Small quotas, so that a short input can reach every limit. */
    private static final XenStoreQuotas QUOTAS = new XenStoreQuotas(8, 96, 4, 3, 3, 32, 8, 64 * 1024, 1000);
    private static final int MAX_STEPS = 96;

    /** Strings a well-formed request carries: paths of both domains, specials, tokens, permissions, commands. */
    private static final String[] WORDS =
    {
        "/local/domain/1/a", "a", "a/b", "a/b/c", "device/vbd/51712/state", "/local/domain/1", "/local/domain/2",
        SECRET_PATH, "/local/domain/1/ro", "/", "/local", "/tool/xenstored", "@introduceDomain", "@releaseDomain",
        "@other", "tok", "t2", "n0", "r1", "b1", "w2", "n2", "b0", "r0", "T", "F", "0", "1", "2", "3", "65535",
        "check", "quota", "help", "print", "a//b", "a/", "x!",
    };

    @FuzzTest
    void frames(final FuzzedDataProvider data)
    {
        final Rig rig = new Rig();
        try
        {
            for (int step = 0; step < MAX_STEPS && data.remainingBytes() > 0; step++)
            {
                final Client client = data.consumeBoolean() ? rig.guest : rig.dom0;
                final byte[] bytes = data.consumeBoolean() ? data.consumeBytes(data.consumeInt(0, 48)) : frame(data);
                client.send(data, bytes);
            }
        }
        finally
        {
            rig.close();
        }
    }

    private static byte[] frame(final FuzzedDataProvider data)
    {
        final int type = data.consumeBoolean() ? data.consumeInt(0, 27) : data.consumeInt();
        final int reqId = data.consumeInt();
        final int txId = data.consumeBoolean() ? data.consumeInt(0, 4) : data.consumeInt();
        final ByteArrayOutputStream payload = new ByteArrayOutputStream();
        final int strings = data.consumeInt(0, 4);
        for (int i = 0; i < strings; i++)
        {
            final byte[] s = data.consumeBoolean() ?
                data.pickValue(WORDS).getBytes(StandardCharsets.ISO_8859_1) :
                data.consumeBytes(data.consumeInt(0, 24));
            payload.writeBytes(s);
            payload.write(0);
        }
        if (data.consumeBoolean())
        {
            payload.writeBytes(data.consumeBytes(data.consumeInt(0, 160)));
        }
        final byte[] p = payload.toByteArray();
        final int len = data.consumeBoolean() ? p.length : data.consumeInt();
        final ByteBuffer b = ByteBuffer.allocate(HEADER_LENGTH + p.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(type).putInt(reqId).putInt(txId).putInt(len).put(p);
        return b.array();
    }

    /** One store, a dom0 socket client, a guest socket client, and a privileged inspector in process. */
    private static final class Rig
    {
        final XenStore store = new XenStore(QUOTAS);
        final XsConnection inspector = store.connect(XenStore.DOM0);
        final Client dom0;
        final Client guest;
        /** A privileged client that wrote the secret's bytes elsewhere may have made them readable: legitimate. */
        boolean secretCopied;

        Rig()
        {
            // As the toolstack leaves it: each domain owns its home; domain 2 keeps a secret; a read-only node.
            inspector.write("/local/domain/1/ro", "ro");
            inspector.setPerms("/local/domain/1/ro", XsPermissions.of(XenStore.DOM0, XsPermissions.PERM_NONE)
                .with(GUEST, XsPermissions.PERM_READ));
            inspector.setPerms("/local/domain/1", XsPermissions.of(GUEST, XsPermissions.PERM_NONE));
            inspector.write(SECRET_PATH, new String(SECRET, StandardCharsets.ISO_8859_1));
            inspector.setPerms("/local/domain/2", XsPermissions.of(2, XsPermissions.PERM_NONE));
            inspector.setPerms(SECRET_PATH, XsPermissions.of(2, XsPermissions.PERM_NONE));
            dom0 = new Client(this, XenStore.DOM0);
            guest = new Client(this, GUEST);
        }

        void close()
        {
            dom0.close();
            guest.close();
            assertTrue(store.check(), "tree inconsistent after the run");
            assertEquals(1, store.connectionCount(), "socket connections left attached to the store");
            inspector.close();
        }

        int nodesOwnedByGuest()
        {
            return countOwned("/");
        }

        private int countOwned(final String path)
        {
            int n = inspector.getPerms(path).owner() == GUEST ? 1 : 0;
            for (final String child : inspector.directory(path))
            {
                n += countOwned("/".equals(path) ? "/" + child : path + "/" + child);
            }
            return n;
        }

        /** The secret's value and permissions, or null when a privileged client removed it. */
        String secretState()
        {
            try
            {
                return new String(inspector.read(SECRET_PATH), StandardCharsets.ISO_8859_1) + "|" +
                    inspector.getPerms(SECRET_PATH);
            }
            catch (final XenStoreException ex)
            {
                return null;
            }
        }

        boolean guestMayReadSecret()
        {
            final XsPermissions p;
            try
            {
                p = inspector.getPerms(SECRET_PATH);
            }
            catch (final XenStoreException ex)
            {
                return true;
            }
            return p.owner() == GUEST || (p.listedPermFor(GUEST) & XsPermissions.PERM_READ) != 0;
        }
    }

    /** The request header fields a reply must echo. */
    private record Expected(int type, int reqId, int txId)
    {
    }

    /** One socket client: the channel under test plus an independent reference framer of what it was sent. */
    private static final class Client
    {
        private final Rig rig;
        private final int domid;
        private final EmbeddedChannel channel;
        private final ByteArrayOutputStream unframedIn = new ByteArrayOutputStream();
        private final ByteArrayOutputStream unframedOut = new ByteArrayOutputStream();
        private final ArrayDeque<Expected> expected = new ArrayDeque<>();
        private boolean violated;

        Client(final Rig rig, final int domid)
        {
            this.rig = rig;
            this.domid = domid;
            channel = new EmbeddedChannel(
                new XsWireEncoder(), new XsServerHandler(ch -> rig.store.connect(domid)));
        }

        void send(final FuzzedDataProvider data, final byte[] bytes)
        {
            if (!channel.isActive())
            {
                return;
            }
            if (domid != GUEST && contains(bytes, SECRET))
            {
                rig.secretCopied = true;
            }
            final String secretBefore = rig.secretState();
            final int ownedBefore = domid == GUEST ? rig.nodesOwnedByGuest() : 0;
            frame(bytes);
            // Split the bytes at a point the input chooses: framing must not depend on how reads arrive.
            final int cut = bytes.length == 0 ? 0 : data.consumeInt(0, bytes.length);
            deliver(Arrays.copyOfRange(bytes, 0, cut));
            deliver(Arrays.copyOfRange(bytes, cut, bytes.length));
            if (violated)
            {
                assertFalse(channel.isActive(), "connection left open after a header with len > payload max");
                return;
            }
            assertTrue(channel.isActive(), "connection closed without a protocol violation (an exception?)");
            assertTrue(expected.isEmpty(), "requests left unanswered: " + expected);
            if (domid == GUEST)
            {
                final String secretAfter = rig.secretState();
                if (null != secretBefore)
                {
                    assertEquals(secretBefore, secretAfter, "a guest changed or removed domain 2's secret node");
                }
                final int ownedAfter = rig.nodesOwnedByGuest();
                assertTrue(ownedAfter <= Math.max(QUOTAS.nodesPerDomain(), ownedBefore),
                    "guest took its nodes from " + ownedBefore + " to " + ownedAfter + " past the quota");
            }
        }

        private void deliver(final byte[] chunk)
        {
            if (chunk.length == 0 || !channel.isActive())
            {
                return;
            }
            channel.writeInbound(Unpooled.wrappedBuffer(chunk));
            channel.runPendingTasks();
            channel.checkException();
            for (ByteBuf out = channel.readOutbound(); null != out; out = channel.readOutbound())
            {
                try
                {
                    final byte[] b = new byte[out.readableBytes()];
                    out.readBytes(b);
                    unframedOut.writeBytes(b);
                }
                finally
                {
                    out.release();
                }
            }
            replies();
        }

        /** The reference framer: which requests the bytes hold, and whether a header broke the protocol. */
        private void frame(final byte[] bytes)
        {
            if (violated)
            {
                return;
            }
            unframedIn.writeBytes(bytes);
            final byte[] all = unframedIn.toByteArray();
            final ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
            int at = 0;
            while (all.length - at >= HEADER_LENGTH)
            {
                final long len = b.getInt(at + 12) & 0xFFFF_FFFFL;
                if (len > XENSTORE_PAYLOAD_MAX)
                {
                    violated = true;
                    break;
                }
                if (all.length - at < HEADER_LENGTH + len)
                {
                    break;
                }
                expected.add(new Expected(b.getInt(at), b.getInt(at + 4), b.getInt(at + 8)));
                at += HEADER_LENGTH + (int)len;
            }
            unframedIn.reset();
            unframedIn.write(all, at, all.length - at);
        }

        private void replies()
        {
            final byte[] all = unframedOut.toByteArray();
            final ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
            int at = 0;
            while (all.length - at >= HEADER_LENGTH)
            {
                final int len = b.getInt(at + 12);
                assertTrue(len >= 0 && len <= XENSTORE_PAYLOAD_MAX, "reply len=" + len);
                if (all.length - at < HEADER_LENGTH + len)
                {
                    break;
                }
                final XsMessage reply = new XsMessage(b.getInt(at), b.getInt(at + 4), b.getInt(at + 8),
                    Arrays.copyOfRange(all, at + HEADER_LENGTH, at + HEADER_LENGTH + len));
                at += HEADER_LENGTH + len;
                check(reply);
            }
            unframedOut.reset();
            unframedOut.write(all, at, all.length - at);
        }

        private void check(final XsMessage reply)
        {
            if (domid == GUEST && !rig.secretCopied && !rig.guestMayReadSecret() && contains(reply.payload(), SECRET))
            {
                fail("guest was sent domain 2's secret: " + reply);
            }
            if (reply.type() == XsMessageType.XS_WATCH_EVENT)
            {
                assertEquals(0, reply.reqId(), "watch event req_id");
                assertEquals(2, reply.nulStrings().size(), "watch event payload: " + reply);
                return;
            }
            final Expected e = expected.poll();
            if (null == e)
            {
                fail("reply to no request: " + reply);
            }
            assertEquals(e.reqId(), reply.reqId(), "req_id echoed");
            assertEquals(e.txId(), reply.txId(), "tx_id echoed");
            assertTrue(reply.type() == e.type() || reply.type() == XsMessageType.XS_ERROR,
                "reply type " + reply.type() + " to request type " + e.type());
            if (reply.type() == XsMessageType.XS_ERROR)
            {
                final String error = reply.oneArg();
                assertTrue(null != error && XsError.fromWire(error).wireName().equals(error),
                    "error reply is one known error string: " + reply);
            }
        }

        void close()
        {
            channel.finishAndReleaseAll();
            channel.close();
        }

        private static boolean contains(final byte[] haystack, final byte[] needle)
        {
            for (int i = 0; i + needle.length <= haystack.length; i++)
            {
                if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length))
                {
                    return true;
                }
            }
            return false;
        }
    }
}
