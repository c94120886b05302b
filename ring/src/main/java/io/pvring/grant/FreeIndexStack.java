package io.pvring.grant;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A lock-free stack of free indices {@code [first, capacity)} (Treiber stack over an int array). The head carries a
 * 32-bit tag that every change bumps, so a pop that read a stale {@code next} can never succeed (no ABA).
 * Allocation-free.
 */
final class FreeIndexStack
{
    private static final int EMPTY = -1;

    private final int[] next;
    /** {@code tag << 32 | top index} ({@link #EMPTY} when empty). */
    private final AtomicLong head = new AtomicLong();

    FreeIndexStack(final int first, final int capacity)
    {
        next = new int[capacity];
        for (int i = first; i < capacity; i++)
        {
            next[i] = i + 1 < capacity ? i + 1 : EMPTY;
        }
        head.set(first < capacity ? first : EMPTY & 0xFFFF_FFFFL);
    }

    /** @return a free index, or -1 when none is left. */
    int pop()
    {
        while (true)
        {
            final long h = head.get();
            final int top = (int)h;
            if (EMPTY == top)
            {
                return EMPTY;
            }
            // next[top] was written before the push that installed h; a stale read fails the tagged CAS.
            final long newHead = ((h >>> 32) + 1) << 32 | (next[top] & 0xFFFF_FFFFL);
            if (head.compareAndSet(h, newHead))
            {
                return top;
            }
        }
    }

    void push(final int index)
    {
        while (true)
        {
            final long h = head.get();
            next[index] = (int)h;
            // CAS (volatile) publishes next[index] before the index becomes reachable.
            if (head.compareAndSet(h, ((h >>> 32) + 1) << 32 | (index & 0xFFFF_FFFFL)))
            {
                return;
            }
        }
    }
}
