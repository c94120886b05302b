package io.pvring.aio;

import java.lang.reflect.Field;

import io.netty.channel.uring.IoUringIoOps;
import org.agrona.UnsafeApi;

/**
 * One {@link IoUringIoOps} (Netty's raw {@code io_uring_sqe}) rewritten in place for every request, so the event
 * loop allocates nothing per SQE. Netty's type is immutable and submitting one copies its fields into the ring
 * before {@code submit} returns, so refilling the same object for the next request on the same thread is safe;
 * the fields are written through {@code Unsafe} because they are final (C2 does not fold final instance fields of
 * ordinary classes, so the new values are read). When a Netty version renames a field, {@link #AVAILABLE} is
 * false and a new object is made per request instead.
 */
final class ReusableSqe
{
    static final boolean AVAILABLE;
    private static final long OPCODE;
    private static final long FD;
    private static final long UNION1;
    private static final long UNION2;
    private static final long LEN;
    private static final long UNION3;
    private static final long DATA;

    static
    {
        long opcode = -1;
        long fd = -1;
        long union1 = -1;
        long union2 = -1;
        long len = -1;
        long union3 = -1;
        long data = -1;
        boolean available = false;
        try
        {
            opcode = offset("opcode", byte.class);
            fd = offset("fd", int.class);
            union1 = offset("union1", long.class);
            union2 = offset("union2", long.class);
            len = offset("len", int.class);
            union3 = offset("union3", int.class);
            data = offset("data", long.class);
            available = true;
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            available = false;
        }
        OPCODE = opcode;
        FD = fd;
        UNION1 = union1;
        UNION2 = union2;
        LEN = len;
        UNION3 = union3;
        DATA = data;
        AVAILABLE = available;
    }

    private final IoUringIoOps ops =
        new IoUringIoOps((byte)0, (byte)0, (short)0, -1, 0L, 0L, 0, 0, 0L, (short)0, (short)0, 0, 0L);

    /** The SQE with these fields (flags, ioprio, buf_index, personality, splice_fd_in and addr3 stay 0). */
    IoUringIoOps set(
        final byte opcode, final int fd, final long union1, final long union2, final int len, final int union3,
        final short data)
    {
        if (!AVAILABLE)
        {
            return new IoUringIoOps(
                opcode, (byte)0, (short)0, fd, union1, union2, len, union3, (long)data, (short)0, (short)0, 0, 0L);
        }
        UnsafeApi.putByte(ops, OPCODE, opcode);
        UnsafeApi.putInt(ops, FD, fd);
        UnsafeApi.putLong(ops, UNION1, union1);
        UnsafeApi.putLong(ops, UNION2, union2);
        UnsafeApi.putInt(ops, LEN, len);
        UnsafeApi.putInt(ops, UNION3, union3);
        UnsafeApi.putLong(ops, DATA, data);
        return ops;
    }

    private static long offset(final String name, final Class<?> type) throws ReflectiveOperationException
    {
        final Field field = IoUringIoOps.class.getDeclaredField(name);
        if (field.getType() != type)
        {
            throw new NoSuchFieldException(name + " is " + field.getType() + ", not " + type);
        }
        return UnsafeApi.objectFieldOffset(field);
    }
}
