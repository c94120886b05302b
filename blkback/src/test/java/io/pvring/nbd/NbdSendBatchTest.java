package io.pvring.nbd;

import java.nio.ByteOrder;

import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static io.pvring.nbd.NbdSendBatch.IOVEC_SIZE;
import static io.pvring.nbd.NbdSendBatch.IOV_BASE_OFFSET;
import static io.pvring.nbd.NbdSendBatch.IOV_LEN_OFFSET;
import static io.pvring.nbd.NbdSendBatch.MAX_IOVECS;
import static io.pvring.nbd.NbdSendBatch.MSG_IOVLEN_OFFSET;
import static io.pvring.nbd.NbdSendBatch.MSG_IOV_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_COOKIE_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_HEADER_LENGTH;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_LENGTH_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_MAGIC_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_OFFSET_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_TYPE_OFFSET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link NbdSendBatch}: the bytes a sendmsg of it would send, short sends, and its bounds. */
class NbdSendBatchTest
{
    /** What the kernel would send from the msghdr's iovecs, concatenated. */
    private static byte[] gathered(final NbdSendBatch batch)
    {
        batch.prepare();
        final long msghdr = batch.msghdrAddress();
        final long iov = UnsafeApi.getLong(msghdr + MSG_IOV_OFFSET);
        final long count = UnsafeApi.getLong(msghdr + MSG_IOVLEN_OFFSET);
        final byte[] out = new byte[(int)batch.bytes()];
        int at = 0;
        for (long i = 0; i < count; i++)
        {
            final long base = UnsafeApi.getLong(iov + i * IOVEC_SIZE + IOV_BASE_OFFSET);
            final int length = (int)UnsafeApi.getLong(iov + i * IOVEC_SIZE + IOV_LEN_OFFSET);
            new UnsafeBuffer(base, length).getBytes(0, out, at, length);
            at += length;
        }
        assertEquals(out.length, at, "iovecs cover exactly the bytes not sent");
        return out;
    }

    @Test
    void readsShareOneIovecAndAWritesPayloadIsGatheredInPlace()
    {
        final UnsafeBuffer payload = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(100));
        for (int i = 0; i < 100; i++)
        {
            payload.putByte(i, (byte)i);
        }
        try (NbdSendBatch batch = new NbdSendBatch())
        {
            assertTrue(batch.isEmpty());
            batch.add(0, NbdProtocol.NBD_CMD_READ, 7, 4096, 512, 0, 0);
            batch.add(0, NbdProtocol.NBD_CMD_READ, 8, 8192, 512, 0, 0);
            batch.add(NbdProtocol.NBD_CMD_FLAG_FUA, NbdProtocol.NBD_CMD_WRITE, 9, 0, 100, payload.addressOffset(), 100);
            batch.prepare();
            assertEquals(2, UnsafeApi.getLong(batch.msghdrAddress() + MSG_IOVLEN_OFFSET),
                "two read headers in one iovec, the write's header joins them, its payload one more");
            final UnsafeBuffer bytes = new UnsafeBuffer(gathered(batch));
            assertEquals(3 * REQUEST_HEADER_LENGTH + 100, bytes.capacity());
            assertEquals(NbdProtocol.NBD_REQUEST_MAGIC, bytes.getInt(REQUEST_MAGIC_OFFSET, ByteOrder.BIG_ENDIAN));
            assertEquals(7, bytes.getLong(REQUEST_COOKIE_OFFSET, ByteOrder.BIG_ENDIAN));
            assertEquals(8192, bytes.getLong(REQUEST_HEADER_LENGTH + REQUEST_OFFSET_OFFSET, ByteOrder.BIG_ENDIAN));
            final int write = 2 * REQUEST_HEADER_LENGTH;
            assertEquals(NbdProtocol.NBD_CMD_WRITE, bytes.getShort(write + REQUEST_TYPE_OFFSET, ByteOrder.BIG_ENDIAN));
            assertEquals(100, bytes.getInt(write + REQUEST_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN));
            assertEquals(99, bytes.getByte(write + REQUEST_HEADER_LENGTH + 99), "payload's last byte");
        }
    }

    @Test
    void aShortSendLeavesExactlyTheRestAtEveryBoundary()
    {
        final UnsafeBuffer payload = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(64));
        payload.setMemory(0, 64, (byte)0x5A);
        try (NbdSendBatch batch = new NbdSendBatch())
        {
            final int total = 2 * REQUEST_HEADER_LENGTH + 64 + REQUEST_HEADER_LENGTH;
            for (int cut = 1; cut < total; cut++)
            {
                batch.reset();
                batch.add(0, NbdProtocol.NBD_CMD_READ, 1, 0, 512, 0, 0);
                batch.add(0, NbdProtocol.NBD_CMD_WRITE, 2, 0, 64, payload.addressOffset(), 64);
                batch.add(0, NbdProtocol.NBD_CMD_FLUSH, 3, 0, 0, 0, 0);
                final byte[] all = gathered(batch);
                assertFalse(batch.sent(cut), "not all sent at " + cut);
                final byte[] rest = gathered(batch);
                assertEquals(total - cut, rest.length, "cut " + cut);
                for (int i = 0; i < rest.length; i++)
                {
                    assertEquals(all[cut + i], rest[i], "cut " + cut + " byte " + i);
                }
                assertTrue(batch.sent(rest.length), "the rest completes it at " + cut);
                assertTrue(batch.isEmpty());
            }
        }
    }

    @Test
    void aBatchHoldsAtMostTheKernelsIovecLimit()
    {
        final UnsafeBuffer payload = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(8));
        try (NbdSendBatch batch = new NbdSendBatch())
        {
            int writes = 0;
            while (batch.hasRoom(true))
            {
                batch.add(0, NbdProtocol.NBD_CMD_WRITE, writes++, 0, 8, payload.addressOffset(), 8);
            }
            assertEquals(MAX_IOVECS / 2, writes, "a header iovec and a payload iovec each");
            batch.reset();
            int reads = 0;
            while (batch.hasRoom(false))
            {
                batch.add(0, NbdProtocol.NBD_CMD_READ, reads++, 0, 512, 0, 0);
            }
            assertEquals(NbdSendBatch.HEADERS_BYTES / REQUEST_HEADER_LENGTH, reads, "the header area bounds reads");
        }
    }
}
