package io.pvring.nbd;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NbdFlushOrderTest
{
    @Test
    void aFlushWaitsForEveryWriteSentBeforeItButNotForLaterOnes()
    {
        final NbdFlushOrder order = new NbdFlushOrder(8);
        final long a = order.writeSent();
        final long b = order.writeSent();
        final NbdSlot flush = new NbdSlot(0);
        order.flushSubmitted(flush);
        final long later = order.writeSent();
        assertNull(order.nextReleasable(), "two writes outstanding");
        order.writeDone(b);
        assertNull(order.nextReleasable(), "one write outstanding");
        order.writeDone(a);
        assertSame(flush, order.nextReleasable(), "the writes before it are done; the later one does not count");
        assertTrue(order.isEmpty());
        order.writeDone(later);
    }

    @Test
    void flushesLeaveInOrderEachAfterItsOwnWrites()
    {
        final NbdFlushOrder order = new NbdFlushOrder(8);
        final long a = order.writeSent();
        final NbdSlot f1 = new NbdSlot(1);
        order.flushSubmitted(f1);
        final long b = order.writeSent();
        final NbdSlot f2 = new NbdSlot(2);
        order.flushSubmitted(f2);
        order.writeDone(b);
        assertNull(order.nextReleasable(), "f1 still waits for a; f2 may not overtake it");
        order.writeDone(a);
        assertSame(f1, order.nextReleasable());
        assertSame(f2, order.nextReleasable());
        assertNull(order.nextReleasable());
    }

    @Test
    void aFlushWithNothingBeforeItGoesAtOnceAndEpochsWrapAround()
    {
        final NbdFlushOrder order = new NbdFlushOrder(2);
        for (int i = 0; i < 1000; i++)
        {
            final long w = order.writeSent();
            final NbdSlot flush = new NbdSlot(i & 1);
            order.flushSubmitted(flush);
            assertNull(order.nextReleasable(), "round " + i);
            order.writeDone(w);
            assertSame(flush, order.nextReleasable(), "round " + i);
            final NbdSlot empty = new NbdSlot(0);
            order.flushSubmitted(empty);
            assertSame(empty, order.nextReleasable(), "round " + i);
        }
    }

    @Test
    void heldFlushesCanBeTakenWhenTheConnectionFails()
    {
        final NbdFlushOrder order = new NbdFlushOrder(4);
        order.writeSent();
        final NbdSlot flush = new NbdSlot(3);
        order.flushSubmitted(flush);
        assertSame(flush, order.pollHeld());
        assertNull(order.pollHeld());
    }
}
