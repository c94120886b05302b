package io.pvring.aio;

/** The operations a request slot can carry. */
final class AioOp
{
    static final byte READ = 1;
    static final byte WRITE = 2;
    static final byte READV = 3;
    static final byte WRITEV = 4;
    static final byte FSYNC = 5;
    static final byte FDATASYNC = 6;
    static final byte PUNCH_HOLE = 7;

    private AioOp()
    {
    }

    static boolean isWrite(final byte op)
    {
        return op == WRITE || op == WRITEV || op == PUNCH_HOLE;
    }

    static boolean isVectored(final byte op)
    {
        return op == READV || op == WRITEV;
    }

    static boolean transfersData(final byte op)
    {
        return op == READ || op == WRITE || op == READV || op == WRITEV;
    }
}
