package io.pvring.uring;

import java.lang.reflect.Field;

import io.netty.channel.ManualIoEventLoop;

/**
 * The package-private parts of a Netty io_uring loop that {@link CompletionPeek} and {@link NonAllocatingPass}
 * read: the loop's {@code IoUringIoHandler} and its ring's submission and completion queues, found by reflection
 * once per ring. A Netty version that renames one makes {@link #of} throw, and each user falls back to Netty's
 * public loop.
 */
record NettyRingParts(Object handler, Object submissionQueue, Object completionQueue)
{
    static NettyRingParts of(final ManualIoEventLoop loop) throws ReflectiveOperationException
    {
        final Object handler = field(ManualIoEventLoop.class, "handler").get(loop);
        final Object ring = field(handler.getClass(), "ringBuffer").get(handler);
        return new NettyRingParts(handler, field(ring.getClass(), "ioUringSubmissionQueue").get(ring),
            field(ring.getClass(), "ioUringCompletionQueue").get(ring));
    }

    /** A declared field of {@code owner}'s class, read past its access modifier. */
    static Object read(final Object owner, final String name) throws ReflectiveOperationException
    {
        return field(owner.getClass(), name).get(owner);
    }

    private static Field field(final Class<?> type, final String name) throws ReflectiveOperationException
    {
        final Field field = type.getDeclaredField(name);
        field.setAccessible(true);
        return field;
    }
}
