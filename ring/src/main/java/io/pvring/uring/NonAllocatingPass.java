package io.pvring.uring;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;

import io.netty.channel.ManualIoEventLoop;

/**
 * A pass through a Netty io_uring (submit what is queued, reap what is ready, or sleep until something is) that
 * allocates nothing: what {@code IoUringIoHandler.run} does, without the method reference ({@code this::handle}, 16
 * bytes) that {@code run} creates on every call. At queue depth 1 a pass is a request, so that was the one
 * allocation left per request on the io_uring path.
 *
 * <p>It calls the handler's own private steps, {@code submitAndClearNow} and {@code
 * processCompletionsAndHandleOverflow}, with one completion callback made once per ring: Netty's own {@code
 * DrainFdEventCallback}, which hands every CQE to the handler's {@code handle} (it also notes when the wake-up
 * eventfd's read completed, a flag only {@code destroy} reads). A blocking pass (a runner's sleep) is Netty's
 * blocking branch of {@code run} step by step, so wake-ups stay Netty's ({@link ManualIoEventLoop#wakeup()} writes
 * the handler's eventfd); tear-down still goes through {@link ManualIoEventLoop}. Found by
 * reflection once; when a Netty version changes any of it, {@link #of} returns null and the ring runs Netty's loop
 * for every pass (correct, allocating), as {@link CompletionPeek} does.
 */
final class NonAllocatingPass
{
    private static final String HANDLER = "io.netty.channel.uring.IoUringIoHandler";
    private static final MethodHandle SUBMIT;
    private static final MethodHandle PROCESS;
    private static final MethodHandle HAS_COMPLETIONS;
    private static final MethodHandle EVENTFD_READ_SUBMITTED;
    private static final MethodHandle SUBMIT_EVENTFD_READ;
    private static final MethodHandle SUBMIT_AND_WAIT;

    static
    {
        MethodHandle submit = null;
        MethodHandle process = null;
        MethodHandle hasCompletions = null;
        MethodHandle eventfdReadSubmitted = null;
        MethodHandle submitEventfdRead = null;
        MethodHandle submitAndWait = null;
        try
        {
            final Class<?> handler = Class.forName(HANDLER);
            final ClassLoader loader = handler.getClassLoader();
            final Class<?> sq = Class.forName("io.netty.channel.uring.SubmissionQueue", false, loader);
            final Class<?> cq = Class.forName("io.netty.channel.uring.CompletionQueue", false, loader);
            final Class<?> callback = Class.forName("io.netty.channel.uring.CompletionCallback", false, loader);
            final MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(handler, MethodHandles.lookup());
            submit = lookup.findVirtual(handler, "submitAndClearNow", MethodType.methodType(int.class, sq))
                .asType(MethodType.methodType(int.class, Object.class, Object.class));
            process = lookup.findVirtual(handler, "processCompletionsAndHandleOverflow",
                MethodType.methodType(int.class, sq, cq, callback))
                .asType(MethodType.methodType(int.class, Object.class, Object.class, Object.class, Object.class));
            hasCompletions = MethodHandles.privateLookupIn(cq, MethodHandles.lookup())
                .findVirtual(cq, "hasCompletions", MethodType.methodType(boolean.class))
                .asType(MethodType.methodType(boolean.class, Object.class));
            eventfdReadSubmitted = lookup.findGetter(handler, "eventfdReadSubmitted", long.class)
                .asType(MethodType.methodType(long.class, Object.class));
            submitEventfdRead = lookup.findVirtual(handler, "submitEventFdRead", MethodType.methodType(void.class))
                .asType(MethodType.methodType(void.class, Object.class));
            submitAndWait = lookup.findVirtual(handler, "submitAndWaitWithTimeout",
                MethodType.methodType(int.class, sq, boolean.class, long.class))
                .asType(MethodType.methodType(int.class, Object.class, Object.class, boolean.class, long.class));
        }
        catch (final ReflectiveOperationException | RuntimeException | LinkageError ex)
        {
            submit = null;
        }
        SUBMIT = submit;
        PROCESS = process;
        HAS_COMPLETIONS = hasCompletions;
        EVENTFD_READ_SUBMITTED = eventfdReadSubmitted;
        SUBMIT_EVENTFD_READ = submitEventfdRead;
        SUBMIT_AND_WAIT = submitAndWait;
    }

    private final Object handler;
    private final Object submissionQueue;
    private final Object completionQueue;
    private final Object callback;

    private NonAllocatingPass(
        final Object handler, final Object submissionQueue, final Object completionQueue, final Object callback)
    {
        this.handler = handler;
        this.submissionQueue = submissionQueue;
        this.completionQueue = completionQueue;
        this.callback = callback;
    }

    /** The pass for {@code loop}'s ring (call once the ring is enabled), or null when Netty's layout is not known. */
    static NonAllocatingPass of(final ManualIoEventLoop loop)
    {
        if (SUBMIT == null)
        {
            return null;
        }
        try
        {
            final NettyRingParts parts = NettyRingParts.of(loop);
            final Object handler = parts.handler();
            if (!HANDLER.equals(handler.getClass().getName()))
            {
                return null;
            }
            final Constructor<?> drain = Class.forName(HANDLER + "$1DrainFdEventCallback", false,
                handler.getClass().getClassLoader()).getDeclaredConstructor(handler.getClass());
            drain.setAccessible(true);
            return new NonAllocatingPass(handler, parts.submissionQueue(), parts.completionQueue(),
                drain.newInstance(handler));
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            return null;
        }
    }

    /** Submits what is queued and handles what completed: one {@code io_uring_enter} at most, never blocking. */
    int run()
    {
        try
        {
            final int submitted = (int)SUBMIT.invokeExact(handler, submissionQueue);
            assert submitted >= 0;
            return (int)PROCESS.invokeExact(handler, submissionQueue, completionQueue, callback);
        }
        catch (final Throwable ex)
        {
            throw failed(ex);
        }
    }

    /**
     * Like {@link #run()}, but when nothing has completed yet, first waits in {@code io_uring_enter} for a CQE, the
     * handler's wake-up eventfd ({@link ManualIoEventLoop#wakeup()} from another thread) or {@code timeoutNanos}
     * ({@code -1}: no bound), exactly as Netty's blocking pass does: the eventfd read is in the ring before the
     * wait, so a wake-up that comes first ends the wait at once.
     */
    int block(final long timeoutNanos)
    {
        try
        {
            if (!(boolean)HAS_COMPLETIONS.invokeExact(completionQueue))
            {
                if ((long)EVENTFD_READ_SUBMITTED.invokeExact(handler) == 0)
                {
                    SUBMIT_EVENTFD_READ.invokeExact(handler);
                }
                final int submitted = (int)SUBMIT_AND_WAIT.invokeExact(handler, submissionQueue, false, timeoutNanos);
                assert submitted >= 0;
            }
        }
        catch (final Throwable ex)
        {
            throw failed(ex);
        }
        return run();
    }

    /** What a step of Netty's threw, unchanged when unchecked (its own exceptions reach the caller as they would). */
    private static RuntimeException failed(final Throwable ex)
    {
        if (ex instanceof Error error)
        {
            throw error;
        }
        return ex instanceof RuntimeException unchecked ? unchecked :
            new IllegalStateException("io_uring: a step of Netty's ring failed", ex);
    }
}
