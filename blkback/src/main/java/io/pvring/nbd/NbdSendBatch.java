package io.pvring.nbd;

import java.nio.ByteOrder;

import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_COOKIE_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_FLAGS_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_HEADER_LENGTH;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_LENGTH_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_MAGIC_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_OFFSET_OFFSET;
import static io.pvring.nbd.NbdTransmissionDescriptor.REQUEST_TYPE_OFFSET;

/**
 * One batch of NBD requests as a single {@code sendmsg}: request headers encoded into a private area, write
 * payloads referenced in place (the caller's memory, no copy), gathered by an iovec array that a {@code struct
 * msghdr} points at. Consecutive headers share one iovec, so a batch of reads is one iovec. A short send
 * {@link #sent advances} the iovecs in place and the rest goes with the next {@code sendmsg}.
 *
 * <pre>
 * off-heap block (LP64 layouts of include/linux/socket.h and uio.h)
 *  0                 struct msghdr (56 bytes): msg_name 0 | msg_namelen 8 | msg_iov 16 | msg_iovlen 24 |
 *                    msg_control 32 | msg_controllen 40 | msg_flags 48
 *  MSGHDR_SPACE      struct iovec[MAX_IOVECS] (16 bytes each): iov_base 0 | iov_len 8
 *  HEADERS_OFFSET    request headers, 28 bytes each, big endian (NbdTransmissionDescriptor)
 * </pre>
 *
 * One thread (the connection's driver).
 */
final class NbdSendBatch implements AutoCloseable
{
    /** {@code UIO_MAXIOV}: the kernel refuses a longer iovec array. */
    static final int MAX_IOVECS = 1024;
    static final int MSG_NAME_OFFSET = 0;
    static final int MSG_NAMELEN_OFFSET = 8;
    static final int MSG_IOV_OFFSET = 16;
    static final int MSG_IOVLEN_OFFSET = 24;
    static final int MSG_CONTROL_OFFSET = 32;
    static final int MSG_CONTROLLEN_OFFSET = 40;
    static final int MSG_FLAGS_OFFSET = 48;
    static final int MSGHDR_SIZE = 56;
    static final int IOV_BASE_OFFSET = 0;
    static final int IOV_LEN_OFFSET = 8;
    static final int IOVEC_SIZE = 16;
    /** The msghdr's room, keeping the iovecs 64-byte aligned. */
    static final int MSGHDR_SPACE = 64;
    static final int IOVECS_OFFSET = MSGHDR_SPACE;
    static final int HEADERS_OFFSET = IOVECS_OFFSET + MAX_IOVECS * IOVEC_SIZE;
    /** Headers a batch holds: one per iovec at most. */
    static final int HEADERS_BYTES = MAX_IOVECS * REQUEST_HEADER_LENGTH;
    static final int BLOCK_BYTES = HEADERS_OFFSET + HEADERS_BYTES;

    static
    {
        if (MSGHDR_SIZE > MSGHDR_SPACE)
        {
            throw new ExceptionInInitializerError("msghdr does not fit: " + MSGHDR_SIZE);
        }
    }

    private final long block;
    private final long msghdr;
    private final long iovecs;
    private final long headers;
    private final UnsafeBuffer headerView = new UnsafeBuffer(0, 0);
    private int iovCount;
    private int firstIov;
    private int headerBytes;
    private long bytes;
    /** True when the last iovec covers headers only, so the next header may extend it. */
    private boolean lastIovIsHeaders;
    private boolean closed;

    NbdSendBatch()
    {
        block = UnsafeApi.allocateMemory(BLOCK_BYTES);
        UnsafeApi.setMemory(block, BLOCK_BYTES, (byte)0);
        msghdr = block;
        iovecs = block + IOVECS_OFFSET;
        headers = block + HEADERS_OFFSET;
        headerView.wrap(headers, HEADERS_BYTES);
    }

    /** The {@code struct msghdr} to hand to {@code sendmsg} (valid until {@link #close()}). */
    long msghdrAddress()
    {
        return msghdr;
    }

    boolean isEmpty()
    {
        return bytes == 0;
    }

    /** Bytes not sent yet. */
    long bytes()
    {
        return bytes;
    }

    /** True when one more request fits: a header, and an iovec or two (the payload's, a new header run). */
    boolean hasRoom(final boolean payload)
    {
        return headerBytes + REQUEST_HEADER_LENGTH <= HEADERS_BYTES && iovCount + (payload ? 2 : 1) <= MAX_IOVECS;
    }

    /** Appends a request; {@code payloadLength} bytes at {@code payloadAddress} follow it (0: none). */
    void add(final int flags, final int command, final long cookie, final long offset, final long length,
        final long payloadAddress, final int payloadLength)
    {
        final int base = headerBytes;
        headerView.putInt(base + REQUEST_MAGIC_OFFSET, NbdProtocol.NBD_REQUEST_MAGIC, ByteOrder.BIG_ENDIAN);
        headerView.putShort(base + REQUEST_FLAGS_OFFSET, (short)flags, ByteOrder.BIG_ENDIAN);
        headerView.putShort(base + REQUEST_TYPE_OFFSET, (short)command, ByteOrder.BIG_ENDIAN);
        headerView.putLong(base + REQUEST_COOKIE_OFFSET, cookie, ByteOrder.BIG_ENDIAN);
        headerView.putLong(base + REQUEST_OFFSET_OFFSET, offset, ByteOrder.BIG_ENDIAN);
        headerView.putInt(base + REQUEST_LENGTH_OFFSET, (int)length, ByteOrder.BIG_ENDIAN);
        headerBytes += REQUEST_HEADER_LENGTH;
        if (lastIovIsHeaders)
        {
            final long last = iov(iovCount - 1);
            UnsafeApi.putLong(last + IOV_LEN_OFFSET, UnsafeApi.getLong(last + IOV_LEN_OFFSET) + REQUEST_HEADER_LENGTH);
        }
        else
        {
            addIov(headers + base, REQUEST_HEADER_LENGTH);
            lastIovIsHeaders = true;
        }
        bytes += REQUEST_HEADER_LENGTH;
        if (payloadLength > 0)
        {
            addIov(payloadAddress, payloadLength);
            lastIovIsHeaders = false;
            bytes += payloadLength;
        }
    }

    /** Points the msghdr at the iovecs not sent yet; call before each {@code sendmsg}. */
    void prepare()
    {
        UnsafeApi.putLong(msghdr + MSG_NAME_OFFSET, 0L);
        UnsafeApi.putInt(msghdr + MSG_NAMELEN_OFFSET, 0);
        UnsafeApi.putLong(msghdr + MSG_IOV_OFFSET, iov(firstIov));
        UnsafeApi.putLong(msghdr + MSG_IOVLEN_OFFSET, iovCount - firstIov);
        UnsafeApi.putLong(msghdr + MSG_CONTROL_OFFSET, 0L);
        UnsafeApi.putLong(msghdr + MSG_CONTROLLEN_OFFSET, 0L);
        UnsafeApi.putInt(msghdr + MSG_FLAGS_OFFSET, 0);
    }

    /** {@code n} more bytes left: skips whole iovecs and trims the first partly sent one. True when all went. */
    boolean sent(final long n)
    {
        long remaining = n;
        bytes -= n;
        while (remaining > 0)
        {
            final long iov = iov(firstIov);
            final long length = UnsafeApi.getLong(iov + IOV_LEN_OFFSET);
            if (remaining >= length)
            {
                remaining -= length;
                firstIov++;
            }
            else
            {
                UnsafeApi.putLong(iov + IOV_BASE_OFFSET, UnsafeApi.getLong(iov + IOV_BASE_OFFSET) + remaining);
                UnsafeApi.putLong(iov + IOV_LEN_OFFSET, length - remaining);
                remaining = 0;
            }
        }
        return bytes == 0;
    }

    void reset()
    {
        iovCount = 0;
        firstIov = 0;
        headerBytes = 0;
        bytes = 0;
        lastIovIsHeaders = false;
    }

    private void addIov(final long base, final long length)
    {
        final long iov = iov(iovCount++);
        UnsafeApi.putLong(iov + IOV_BASE_OFFSET, base);
        UnsafeApi.putLong(iov + IOV_LEN_OFFSET, length);
    }

    private long iov(final int index)
    {
        return iovecs + (long)index * IOVEC_SIZE;
    }

    /** Frees the block; only once the kernel reads it no more (no sendmsg of it in flight). */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            UnsafeApi.freeMemory(block);
        }
    }
}
