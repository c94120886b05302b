package io.pvring.ring;

import java.nio.ByteBuffer;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RingTest
{
    private static final int SLOT = 112;

    private final UnsafeBuffer page = new UnsafeBuffer(ByteBuffer.allocateDirect(SharedRingDescriptor.PAGE_SIZE << 4));
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[SLOT]);

    @Test
    void geometryMatchesRingH()
    {
        assertEquals(32, RingGeometry.of(112, 0).entries());
        assertEquals(32, RingGeometry.of(108, 0).entries());
        assertEquals(512, RingGeometry.of(112, 4).entries());
        assertEquals(256, RingGeometry.of(12, 0).entries());
        assertEquals(256, RingGeometry.of(8, 0).entries());
        assertEquals(128, RingGeometry.of(16, 0).entries());
        assertEquals(64 + 31 * 112, RingGeometry.of(112, 0).slotOffset(-1));
        assertThrows(IllegalArgumentException.class, () -> RingGeometry.of(112, 5));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -2})
    void peekedResponsesAreCopiesAcrossTheWrapAndConsumeNothing(final int start)
    {
        final RingGeometry geometry = RingGeometry.of(SLOT, 0);
        final FrontRing front = new FrontRing(page, geometry).init();
        startAt(start);
        front.attach(start);
        final BackRing back = new BackRing(page, geometry).attach(start);
        for (int i = 0; i < 3; i++)
        {
            page.putLong(front.requestOffset(), i);
            front.nextRequest();
        }
        front.pushRequests();
        assertEquals(3, back.unconsumedRequests());
        for (int i = 0; i < 3; i++)
        {
            back.copyRequest(scratch, 0);
            page.putLong(back.responseOffset(), 100 + scratch.getLong(0));
            back.nextResponse();
        }
        back.pushResponses();
        final int rspProd = front.rspProd();
        final UnsafeBuffer copies = new UnsafeBuffer(new byte[3 * SLOT]);
        for (int ahead = 0; ahead < 3; ahead++)
        {
            front.peekResponse(ahead, copies, ahead * SLOT);
        }
        assertEquals(start, front.rspCons(), "nothing consumed");
        assertEquals(3, rspProd - front.rspCons());
        // the copies are private: the backend rewriting a slot afterwards changes nothing in them
        page.putLong(geometry.slotOffset(start + 1), -1L);
        assertEquals(100, copies.getLong(0));
        assertEquals(101, copies.getLong(SLOT));
        assertEquals(102, copies.getLong(2 * SLOT));
    }

    @Test
    void sharedRingInitSetsEventsToOneAndZeroesPadding()
    {
        page.setMemory(0, 64, (byte)0x5A);
        new FrontRing(page, RingGeometry.of(SLOT, 0)).init();
        assertEquals(0, page.getInt(SharedRingDescriptor.REQ_PROD_OFFSET));
        assertEquals(1, page.getInt(SharedRingDescriptor.REQ_EVENT_OFFSET));
        assertEquals(0, page.getInt(SharedRingDescriptor.RSP_PROD_OFFSET));
        assertEquals(1, page.getInt(SharedRingDescriptor.RSP_EVENT_OFFSET));
        for (int i = SharedRingDescriptor.PVT_OFFSET; i < SharedRingDescriptor.HEADER_LENGTH; i++)
        {
            assertEquals(0, page.getByte(i), "byte " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -40, -1, 0x7FFF_FFF0})
    void requestsAndResponsesFlowAcrossIndexWrap(final int start)
    {
        final RingGeometry geometry = RingGeometry.of(SLOT, 0);
        final FrontRing front = new FrontRing(page, geometry);
        front.init();
        startAt(start);
        front.attach(start);
        final BackRing back = new BackRing(page, geometry).attach(start);

        long next = 0;
        long expect = 0;
        for (int round = 0; round < 20; round++)
        {
            while (!front.isFull())
            {
                page.putLong(front.requestOffset(), next++);
                front.nextRequest();
            }
            front.pushRequests();
            final int n = back.unconsumedRequests();
            assertEquals(geometry.entries(), n);
            for (int i = 0; i < n; i++)
            {
                back.copyRequest(scratch, 0);
                page.putLong(back.responseOffset(), scratch.getLong(0));
                back.nextResponse();
            }
            back.pushResponses();
            assertEquals(geometry.entries(), front.unconsumedResponses());
            while (front.unconsumedResponses() > 0)
            {
                front.copyResponse(scratch, 0);
                assertEquals(expect++, scratch.getLong(0));
            }
        }
        assertEquals(next, expect);
    }

    @Test
    void putRequestWritesTheWholeSlotFromPrivateMemory()
    {
        final FrontRing front = new FrontRing(page, RingGeometry.of(SLOT, 0)).init();
        final BackRing back = new BackRing(page, RingGeometry.of(SLOT, 0)).init();
        final UnsafeBuffer composed = new UnsafeBuffer(ByteBuffer.allocateDirect(SLOT));
        for (int n = 0; n < 40; n++)
        {
            for (int i = 0; i < SLOT; i++)
            {
                composed.putByte(i, (byte)(n * 7 + i));
            }
            assertEquals(n, front.putRequest(composed, 0));
            composed.setMemory(0, SLOT, (byte)0); // the slot holds its own copy
            front.pushRequests();
            assertEquals(1, back.unconsumedRequests());
            back.copyRequest(scratch, 0);
            for (int i = 0; i < SLOT; i++)
            {
                assertEquals((byte)(n * 7 + i), scratch.getByte(i), "request " + n + " byte " + i);
            }
            back.nextResponse();
            back.pushResponses();
            front.nextResponse();
        }
    }

    @Test
    void notifyOnlyWhenEventIndexIsCrossed()
    {
        final RingGeometry geometry = RingGeometry.of(SLOT, 0);
        final FrontRing front = new FrontRing(page, geometry).init();
        final BackRing back = new BackRing(page, geometry).init();

        front.nextRequest();
        assertTrue(front.pushRequestsAndCheckNotify(), "req_event=1 is crossed by the first request");
        front.nextRequest();
        assertFalse(front.pushRequestsAndCheckNotify(), "backend did not ask again");
        assertEquals(2, back.unconsumedRequests());
        back.copyRequest(scratch, 0);
        back.copyRequest(scratch, 0);
        assertFalse(back.finalCheckForRequests());
        assertEquals(3, page.getInt(SharedRingDescriptor.REQ_EVENT_OFFSET));
        front.nextRequest();
        assertTrue(front.pushRequestsAndCheckNotify());
    }

    @Test
    void forgedProducerIndexBreaksTheRingForGood()
    {
        final RingGeometry geometry = RingGeometry.of(SLOT, 0);
        new FrontRing(page, geometry).init();
        final BackRing back = new BackRing(page, geometry).init();
        page.putInt(SharedRingDescriptor.REQ_PROD_OFFSET, geometry.entries() + 1);
        assertEquals(BackRing.BROKEN, back.unconsumedRequests());
        page.putInt(SharedRingDescriptor.REQ_PROD_OFFSET, 1);
        assertEquals(BackRing.BROKEN, back.unconsumedRequests(), "a broken ring stays broken");
        assertTrue(back.isBroken());
        assertThrows(IllegalStateException.class, () -> back.copyRequest(scratch, 0));
    }

    @Test
    void frontendReusingUnansweredSlotsBreaksTheRing()
    {
        final RingGeometry geometry = RingGeometry.of(SLOT, 0);
        new FrontRing(page, geometry).init();
        final BackRing back = new BackRing(page, geometry).init();
        page.putInt(SharedRingDescriptor.REQ_PROD_OFFSET, geometry.entries());
        assertEquals(geometry.entries(), back.unconsumedRequests());
        for (int i = 0; i < geometry.entries(); i++)
        {
            back.copyRequest(scratch, 0);
        }
        for (int i = 0; i < 4; i++)
        {
            back.nextResponse();
        }
        // Four answered slots may be reused, and no more.
        page.putInt(SharedRingDescriptor.REQ_PROD_OFFSET, geometry.entries() + 4);
        assertEquals(4, back.unconsumedRequests());
        page.putInt(SharedRingDescriptor.REQ_PROD_OFFSET, geometry.entries() + 5);
        assertEquals(BackRing.BROKEN, back.unconsumedRequests());
        assertTrue(back.describe().contains("broken req_prod=37"), back.describe());
    }

    private void startAt(final int index)
    {
        page.putInt(SharedRingDescriptor.REQ_PROD_OFFSET, index);
        page.putInt(SharedRingDescriptor.RSP_PROD_OFFSET, index);
        page.putInt(SharedRingDescriptor.REQ_EVENT_OFFSET, index + 1);
        page.putInt(SharedRingDescriptor.RSP_EVENT_OFFSET, index + 1);
    }
}
