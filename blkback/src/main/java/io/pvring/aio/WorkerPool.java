package io.pvring.aio;

import java.util.concurrent.TimeUnit;

/**
 * QEMU's {@code util/thread-pool.c} for file requests: a worker is spawned when a request finds no idle worker and
 * fewer than {@code maxThreads} exist; a worker idle for {@code idleTimeoutMillis} exits while more than {@code
 * minThreads} remain. Each worker runs requests with its own {@link ChannelIo} and publishes the result through
 * the engine. Hand-off is one monitor enter per batch and a {@code notify} per request only for workers that are
 * waiting; neither allocates.
 */
final class WorkerPool
{
    private final Object lock = new Object();
    private final String name;
    private final AbstractAioEngine engine;
    private final AlignedBufferPool bouncePool;
    private final int minThreads;
    private final int maxThreads;
    private final long idleTimeoutNanos;
    private final AioSlot[] queue;
    private int head;
    private int size;
    private int threads;
    private int idle;
    private int notified;
    private int spawned;
    private boolean closing;

    WorkerPool(
        final String name, final AbstractAioEngine engine, final AlignedBufferPool bouncePool,
        final int queueCapacity, final int minThreads, final int maxThreads, final long idleTimeoutMillis)
    {
        this.name = name;
        this.engine = engine;
        this.bouncePool = bouncePool;
        this.minThreads = minThreads;
        this.maxThreads = maxThreads;
        this.idleTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(idleTimeoutMillis);
        this.queue = new AioSlot[queueCapacity];
    }

    /** Queues requests for the workers, waking idle ones and spawning more when none is idle. */
    void submit(final AioSlot[] requests, final int count)
    {
        int toSpawn;
        synchronized (lock)
        {
            for (int i = 0; i < count; i++)
            {
                queue[(head + size) % queue.length] = requests[i];
                size++;
            }
            final int wake = Math.min(count, idle - notified);
            for (int i = 0; i < wake; i++)
            {
                lock.notify();
            }
            notified += wake;
            toSpawn = Math.min(count - wake, maxThreads - threads);
            threads += toSpawn;
        }
        for (int i = 0; i < toSpawn; i++)
        {
            spawn();
        }
    }

    /** Live worker threads (for tests and counters). */
    int threads()
    {
        synchronized (lock)
        {
            return threads;
        }
    }

    /** Asks workers to exit once the queue is empty and waits for them until {@code deadlineNanos}. */
    boolean shutdown(final long deadlineNanos) throws InterruptedException
    {
        synchronized (lock)
        {
            closing = true;
            lock.notifyAll();
            while (threads > 0)
            {
                final long remaining = deadlineNanos - System.nanoTime();
                if (remaining <= 0)
                {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, remaining);
            }
            return true;
        }
    }

    private void spawn()
    {
        final Thread thread = new Thread(this::work, name + "-worker-" + spawned++);
        thread.setDaemon(true);
        thread.start();
    }

    private void work()
    {
        final ChannelIo io = new ChannelIo(bouncePool);
        while (true)
        {
            final AioSlot slot = next();
            if (slot == null)
            {
                return;
            }
            engine.complete(slot, io.execute(slot));
        }
    }

    /** The next request, or null when this worker should exit (idle too long above the minimum, or closing). */
    private AioSlot next()
    {
        synchronized (lock)
        {
            long idleSince = System.nanoTime();
            while (size == 0)
            {
                long idleFor = System.nanoTime() - idleSince;
                if (closing || (idleFor >= idleTimeoutNanos && threads > minThreads))
                {
                    threads--;
                    lock.notifyAll();
                    return null;
                }
                if (idleFor >= idleTimeoutNanos)
                {
                    // At the minimum: this worker stays, and its idle period starts again.
                    idleSince = System.nanoTime();
                    idleFor = 0;
                }
                idle++;
                try
                {
                    TimeUnit.NANOSECONDS.timedWait(lock, idleTimeoutNanos - idleFor);
                }
                catch (final InterruptedException ex)
                {
                    // Workers are private threads that nobody interrupts; closing is signalled by the flag.
                    Thread.interrupted();
                }
                finally
                {
                    idle--;
                    if (notified > 0)
                    {
                        notified--;
                    }
                }
            }
            final AioSlot slot = queue[head];
            queue[head] = null;
            head = (head + 1) % queue.length;
            size--;
            return slot;
        }
    }
}
