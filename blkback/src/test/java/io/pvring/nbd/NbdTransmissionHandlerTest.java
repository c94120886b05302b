package io.pvring.nbd;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_COOKIE_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_FLAGS_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_HEADER_LENGTH;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_LENGTH_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_MAGIC_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_OFFSET_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_TYPE_OFFSET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The transmission phase against scripted replies: out of order, split at every boundary, malformed. */
class NbdTransmissionHandlerTest
{
    private static final int FLAGS = NbdProtocol.NBD_FLAG_HAS_FLAGS | NbdProtocol.NBD_FLAG_SEND_FLUSH |
        NbdProtocol.NBD_FLAG_SEND_FUA;

    /** One request as the server saw it. */
    record Request(int flags, int type, long cookie, long offset, int length, byte[] data)
    {
    }

    private static final class Rig
    {
        final CompletionLog log = new CompletionLog();
        final NbdTransmissionHandler handler = new NbdTransmissionHandler("test-server",
            new NbdClientConfig().requestTimeoutMs(0).maxInFlight(8), log);
        final EmbeddedChannel channel = new EmbeddedChannel(handler);

        Rig(final int maxPayload)
        {
            handler.start(new NbdExport("disk", 1 << 20, FLAGS, 512, 4096, maxPayload));
        }

        void submit(final long tag, final int command, final int flags, final long offset, final long length,
            final long address)
        {
            final NbdSlot slot = handler.acquire();
            slot.tag = tag;
            slot.command = command;
            slot.flags = flags;
            slot.offset = offset;
            slot.length = length;
            slot.address = address;
            handler.publish(slot);
        }

        List<Request> sent()
        {
            handler.schedule();
            channel.runPendingTasks();
            final List<Request> requests = new ArrayList<>();
            ByteBuf buf;
            while ((buf = channel.readOutbound()) != null)
            {
                while (buf.isReadable())
                {
                    final int base = buf.readerIndex();
                    assertEquals(NbdProtocol.NBD_REQUEST_MAGIC, buf.getInt(base + REQUEST_MAGIC_OFFSET));
                    final int type = buf.getUnsignedShort(base + REQUEST_TYPE_OFFSET);
                    final int length = buf.getInt(base + REQUEST_LENGTH_OFFSET);
                    buf.skipBytes(REQUEST_HEADER_LENGTH);
                    final byte[] data = new byte[type == NbdProtocol.NBD_CMD_WRITE ? length : 0];
                    buf.readBytes(data);
                    requests.add(new Request(buf.getUnsignedShort(base + REQUEST_FLAGS_OFFSET), type,
                        buf.getLong(base + REQUEST_COOKIE_OFFSET), buf.getLong(base + REQUEST_OFFSET_OFFSET),
                        length, data));
                }
                buf.release();
            }
            return requests;
        }
    }

    private static UnsafeBuffer offHeap(final int size)
    {
        return new UnsafeBuffer(ByteBuffer.allocateDirect(size));
    }

    private static void reply(final ByteBuf out, final int error, final long cookie, final byte[] payload)
    {
        out.writeInt(NbdProtocol.NBD_SIMPLE_REPLY_MAGIC).writeInt(error).writeLong(cookie).writeBytes(payload);
    }

    private static byte[] filled(final int length, final int seed)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(seed + i * 13);
        }
        return bytes;
    }

    @Test
    void outOfOrderRepliesCompleteTheRightRequestsWhereverTheStreamSplits()
    {
        final byte[] a = filled(1024, 1);
        final byte[] b = filled(512, 2);
        final byte[] written = filled(512, 3);
        for (int split = 0; split <= 16 + 16 + 512 + 16 + 1024; split++)
        {
            final Rig rig = new Rig(65536);
            final UnsafeBuffer memA = offHeap(1024);
            final UnsafeBuffer memB = offHeap(512);
            final UnsafeBuffer memW = offHeap(512);
            memW.putBytes(0, written);
            rig.submit(10, NbdProtocol.NBD_CMD_READ, 0, 0, 1024, memA.addressOffset());
            rig.submit(11, NbdProtocol.NBD_CMD_READ, 0, 8192, 512, memB.addressOffset());
            rig.submit(12, NbdProtocol.NBD_CMD_WRITE, NbdProtocol.NBD_CMD_FLAG_FUA, 4096, 512, memW.addressOffset());
            final List<Request> sent = rig.sent();
            assertEquals(3, sent.size());
            assertEquals(NbdProtocol.NBD_CMD_READ, sent.get(0).type());
            assertEquals(0, sent.get(0).flags());
            assertEquals(1024, sent.get(0).length());
            assertEquals(8192, sent.get(1).offset());
            assertEquals(NbdProtocol.NBD_CMD_FLAG_FUA, sent.get(2).flags());
            assertEquals(4096, sent.get(2).offset());
            assertTrue(Arrays.equals(written, sent.get(2).data()), "write payload");

            final ByteBuf stream = Unpooled.buffer();
            reply(stream, 0, sent.get(2).cookie(), new byte[0]);
            reply(stream, 0, sent.get(1).cookie(), b);
            reply(stream, 0, sent.get(0).cookie(), a);
            final byte[] bytes = NbdHandshakeHandlerTest.bytes(stream);
            rig.channel.writeInbound(Unpooled.wrappedBuffer(bytes, 0, split));
            rig.channel.writeInbound(Unpooled.wrappedBuffer(bytes, split, bytes.length - split));

            assertEquals("[12=512, 11=512, 10=1024]", rig.log.describe(), "split " + split);
            final byte[] gotA = new byte[1024];
            memA.getBytes(0, gotA);
            final byte[] gotB = new byte[512];
            memB.getBytes(0, gotB);
            assertTrue(Arrays.equals(a, gotA) && Arrays.equals(b, gotB), "payloads, split " + split);
            assertTrue(rig.channel.isOpen());
            rig.channel.finishAndReleaseAll();
        }
    }

    @Test
    void aBatchIsEncodedIntoOneBufferAndALargeWriteIntoItsOwn()
    {
        final Rig rig = new Rig(65536);
        final UnsafeBuffer mem = offHeap(16384);
        rig.submit(1, NbdProtocol.NBD_CMD_READ, 0, 0, 4096, mem.addressOffset());
        rig.submit(2, NbdProtocol.NBD_CMD_WRITE, 0, 4096, 512, mem.addressOffset());
        rig.submit(3, NbdProtocol.NBD_CMD_READ, 0, 8192, 4096, mem.addressOffset());
        rig.handler.schedule();
        rig.channel.runPendingTasks();

        final ByteBuf batch = rig.channel.readOutbound();
        assertEquals(3 * REQUEST_HEADER_LENGTH + 512, batch.readableBytes(), "three requests, one buffer");
        assertTrue(rig.channel.outboundMessages().isEmpty(), "nothing else written");
        batch.release();

        rig.submit(4, NbdProtocol.NBD_CMD_READ, 0, 0, 512, mem.addressOffset());
        rig.submit(5, NbdProtocol.NBD_CMD_WRITE, 0, 0, 16384, mem.addressOffset());
        rig.handler.schedule();
        rig.channel.runPendingTasks();
        final ByteBuf small = rig.channel.readOutbound();
        final ByteBuf large = rig.channel.readOutbound();
        assertEquals(REQUEST_HEADER_LENGTH, small.readableBytes(), "the read, written before the large write");
        assertEquals(REQUEST_HEADER_LENGTH + 16384, large.readableBytes(), "the 16 KiB write in a buffer its size");
        small.release();
        large.release();
        rig.channel.finishAndReleaseAll();
    }

    @Test
    void completionsOfOneSocketReadAreToldTogetherInOrderWhenTheReadEnds()
    {
        final Rig rig = new Rig(65536);
        final UnsafeBuffer mem = offHeap(1024);
        rig.submit(20, NbdProtocol.NBD_CMD_READ, 0, 0, 512, mem.addressOffset());
        rig.submit(21, NbdProtocol.NBD_CMD_READ, 0, 512, 512, mem.addressOffset() + 512);
        rig.submit(22, NbdProtocol.NBD_CMD_WRITE, 0, 4096, 512, mem.addressOffset());
        final List<Request> sent = rig.sent();
        final ByteBuf first = Unpooled.buffer();
        reply(first, 0, sent.get(1).cookie(), filled(512, 4));
        reply(first, 0, sent.get(2).cookie(), new byte[0]);
        final ByteBuf second = Unpooled.buffer();
        reply(second, 0, sent.get(0).cookie(), filled(512, 5));

        // One read of the socket may hand the pipeline several buffers before it ends.
        rig.channel.pipeline().fireChannelRead(first);
        rig.channel.pipeline().fireChannelRead(second);
        assertEquals(0, rig.log.count(), "nothing told while the read is decoded");
        rig.channel.pipeline().fireChannelReadComplete();

        assertEquals("[21=512, 22=512, 20=512]", rig.log.describe(), "all at the read's end, in reply order");
        assertEquals(8, acquireAll(rig.handler), "every slot is free again (maxInFlight 8)");
        rig.channel.finishAndReleaseAll();
    }

    @Test
    void completionsHeldByAReadAreToldBeforeAFailureErrorsTheRest()
    {
        final Rig rig = new Rig(65536);
        final UnsafeBuffer mem = offHeap(1024);
        rig.submit(30, NbdProtocol.NBD_CMD_READ, 0, 0, 512, mem.addressOffset());
        rig.submit(31, NbdProtocol.NBD_CMD_READ, 0, 512, 512, mem.addressOffset() + 512);
        final List<Request> sent = rig.sent();
        final ByteBuf stream = Unpooled.buffer();
        reply(stream, 0, sent.get(0).cookie(), filled(512, 6));
        stream.writeInt(0x12345678).writeInt(0).writeLong(sent.get(1).cookie()); // a bad magic: protocol error

        rig.channel.pipeline().fireChannelRead(stream);

        assertEquals("[30=512, 31=" + NbdErrno.name(NbdErrno.EIO) + "]", rig.log.describe(),
            "the answered read keeps its result, the other fails with the connection");
        assertFalse(rig.channel.isOpen());
        rig.channel.finishAndReleaseAll();
    }

    private static int acquireAll(final NbdTransmissionHandler handler)
    {
        int count = 0;
        while (handler.acquire() != null)
        {
            count++;
        }
        return count;
    }

    @Test
    void aReadAboveTheMaximumPayloadIsSplitAndCompletesOnce()
    {
        final Rig rig = new Rig(65536);
        final int length = 3 * 65536 + 8192;
        final UnsafeBuffer mem = offHeap(length);
        rig.submit(1, NbdProtocol.NBD_CMD_READ, 0, 4096, length, mem.addressOffset());
        final List<Request> sent = rig.sent();
        assertEquals(4, sent.size());
        for (int i = 0; i < 4; i++)
        {
            assertEquals(4096 + i * 65536L, sent.get(i).offset(), "part " + i);
            assertEquals(i < 3 ? 65536 : 8192, sent.get(i).length(), "part " + i);
        }
        final byte[] expected = filled(length, 9);
        for (final int part : new int[]{2, 0, 3, 1})
        {
            final ByteBuf stream = Unpooled.buffer();
            reply(stream, 0, sent.get(part).cookie(),
                Arrays.copyOfRange(expected, part * 65536, part * 65536 + sent.get(part).length()));
            rig.channel.writeInbound(stream);
            assertEquals(part == 1 ? 1 : 0, rig.log.count(), "completes only with the last part");
        }
        assertEquals(length, rig.log.result(1));
        final byte[] got = new byte[length];
        mem.getBytes(0, got);
        assertTrue(Arrays.equals(expected, got));
        rig.channel.finishAndReleaseAll();
    }

    @Test
    void aPartFailingFailsTheRequestWithTheServersErrno()
    {
        final Rig rig = new Rig(65536);
        final UnsafeBuffer mem = offHeap(2 * 65536);
        rig.submit(1, NbdProtocol.NBD_CMD_WRITE, 0, 0, 2 * 65536, mem.addressOffset());
        final List<Request> sent = rig.sent();
        final ByteBuf stream = Unpooled.buffer();
        reply(stream, NbdProtocol.NBD_ENOSPC, sent.get(0).cookie(), new byte[0]);
        reply(stream, 0, sent.get(1).cookie(), new byte[0]);
        rig.channel.writeInbound(stream);
        assertEquals(NbdErrno.ENOSPC, rig.log.result(1));
        rig.submit(2, NbdProtocol.NBD_CMD_READ, 0, 0, 512, mem.addressOffset());
        final List<Request> next = rig.sent();
        final ByteBuf failedRead = Unpooled.buffer();
        reply(failedRead, 999, next.get(0).cookie(), new byte[0]);
        rig.channel.writeInbound(failedRead);
        assertEquals(NbdErrno.EIO, rig.log.result(2), "an error value outside the protocol's list is EIO");
        assertTrue(rig.channel.isOpen());
        rig.channel.finishAndReleaseAll();
    }

    @Test
    void aFlushIsHeldUntilTheWritesBeforeItAreAnswered()
    {
        final Rig rig = new Rig(65536);
        final UnsafeBuffer mem = offHeap(4096);
        rig.submit(1, NbdProtocol.NBD_CMD_WRITE, 0, 0, 4096, mem.addressOffset());
        rig.submit(2, NbdProtocol.NBD_CMD_FLUSH, 0, 0, 0, 0);
        rig.submit(3, NbdProtocol.NBD_CMD_WRITE, 0, 8192, 4096, mem.addressOffset());
        final List<Request> sent = rig.sent();
        assertEquals(2, sent.size(), "both writes go, the flush waits");
        assertEquals(NbdProtocol.NBD_CMD_WRITE, sent.get(1).type());

        final ByteBuf first = Unpooled.buffer();
        reply(first, 0, sent.get(0).cookie(), new byte[0]);
        rig.channel.writeInbound(first);
        final List<Request> flush = rig.sent();
        assertEquals(1, flush.size(), "the flush goes once the write before it is answered");
        assertEquals(NbdProtocol.NBD_CMD_FLUSH, flush.get(0).type());

        final ByteBuf rest = Unpooled.buffer();
        reply(rest, 0, flush.get(0).cookie(), new byte[0]);
        reply(rest, 0, sent.get(1).cookie(), new byte[0]);
        rig.channel.writeInbound(rest);
        assertEquals("[1=4096, 2=0, 3=4096]", rig.log.describe());
        rig.channel.finishAndReleaseAll();
    }

    @Test
    void anUnknownCookieFailsEveryRequestAndLaterOnes()
    {
        final Rig rig = new Rig(65536);
        final UnsafeBuffer mem = offHeap(4096);
        rig.submit(1, NbdProtocol.NBD_CMD_READ, 0, 0, 512, mem.addressOffset());
        rig.submit(2, NbdProtocol.NBD_CMD_WRITE, 0, 0, 512, mem.addressOffset());
        rig.submit(3, NbdProtocol.NBD_CMD_FLUSH, 0, 0, 0, 0);
        final List<Request> sent = rig.sent();
        final ByteBuf bogus = Unpooled.buffer();
        reply(bogus, 0, sent.get(0).cookie() ^ (1L << 40), new byte[0]);
        rig.channel.writeInbound(bogus);
        assertEquals(NbdErrno.EIO, rig.log.result(1));
        assertEquals(NbdErrno.EIO, rig.log.result(2));
        assertEquals(NbdErrno.EIO, rig.log.result(3), "the held flush too");
        assertTrue(rig.log.disconnected().contains("unknown cookie") &&
            rig.log.disconnected().contains("test-server"), rig.log.disconnected());
        assertFalse(rig.channel.isOpen());
        assertTrue(rig.handler.isFailed());

        rig.submit(4, NbdProtocol.NBD_CMD_READ, 0, 0, 512, mem.addressOffset());
        rig.handler.schedule();
        rig.channel.runPendingTasks();
        assertEquals(NbdErrno.EIO, rig.log.result(4), "a request racing the failure still completes");
        rig.channel.finishAndReleaseAll();
    }

    @Test
    void aStructuredReplyIsAProtocolError()
    {
        final Rig rig = new Rig(65536);
        final UnsafeBuffer mem = offHeap(512);
        rig.submit(1, NbdProtocol.NBD_CMD_READ, 0, 0, 512, mem.addressOffset());
        final List<Request> sent = rig.sent();
        final ByteBuf structured = Unpooled.buffer().writeInt(NbdProtocol.NBD_STRUCTURED_REPLY_MAGIC).writeShort(0)
            .writeShort(1).writeLong(sent.get(0).cookie()).writeInt(0);
        rig.channel.writeInbound(structured);
        assertEquals(NbdErrno.EIO, rig.log.result(1));
        assertTrue(rig.log.disconnected().contains("structured reply, not negotiated"), rig.log.disconnected());
        rig.channel.finishAndReleaseAll();
    }

    @Test
    void closeSendsDiscOnceNothingIsOutstanding()
    {
        final Rig rig = new Rig(65536);
        final UnsafeBuffer mem = offHeap(512);
        rig.submit(1, NbdProtocol.NBD_CMD_WRITE, 0, 0, 512, mem.addressOffset());
        final List<Request> sent = rig.sent();
        rig.handler.beginClose();
        assertTrue(rig.sent().isEmpty(), "no DISC while a write is outstanding");
        final ByteBuf answer = Unpooled.buffer();
        reply(answer, 0, sent.get(0).cookie(), new byte[0]);
        rig.channel.writeInbound(answer);
        final List<Request> disc = rig.sent();
        assertEquals(1, disc.size());
        assertEquals(NbdProtocol.NBD_CMD_DISC, disc.get(0).type());
        assertEquals(512, rig.log.result(1));
        rig.channel.finishAndReleaseAll();
    }
}
