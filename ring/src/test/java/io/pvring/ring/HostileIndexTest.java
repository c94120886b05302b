package io.pvring.ring;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.pvring.ring.SharedRingDescriptor.REQ_EVENT_OFFSET;
import static io.pvring.ring.SharedRingDescriptor.REQ_PROD_OFFSET;
import static io.pvring.ring.SharedRingDescriptor.RSP_EVENT_OFFSET;
import static io.pvring.ring.SharedRingDescriptor.RSP_PROD_OFFSET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shared indices are written by a peer that may be hostile: forged producer indices must break the ring (never
 * yield requests that were not published or slots still in flight), and forged event indices may only change how
 * often the peer is notified, never what is transferred.
 */
class HostileIndexTest
{
    private static final int SLOT = 112;
    private static final RingGeometry GEOMETRY = RingGeometry.of(SLOT, 0);
    private static final int ENTRIES = GEOMETRY.entries();

    private final UnsafeBuffer page = new UnsafeBuffer(ByteBuffer.allocateDirect(GEOMETRY.ringBytes()));
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[SLOT]);
    private final FrontRing front = new FrontRing(page, GEOMETRY);
    private final BackRing back = new BackRing(page, GEOMETRY);

    private void startAt(final int index)
    {
        front.init();
        page.putInt(REQ_PROD_OFFSET, index);
        page.putInt(RSP_PROD_OFFSET, index);
        page.putInt(REQ_EVENT_OFFSET, index + 1);
        page.putInt(RSP_EVENT_OFFSET, index + 1);
        front.attach(index);
        back.attach(index);
    }

    /** Front publishes {@code produced} requests; back consumes {@code consumed} and answers {@code answered}. */
    private void exchange(final int produced, final int consumed, final int answered)
    {
        for (int i = 0; i < produced; i++)
        {
            page.putLong(front.requestOffset(), front.reqProdPvt());
            front.nextRequest();
        }
        front.pushRequests();
        assertTrue(back.unconsumedRequests() >= consumed);
        for (int i = 0; i < consumed; i++)
        {
            back.copyRequest(scratch, 0);
        }
        for (int i = 0; i < answered; i++)
        {
            page.putLong(back.responseOffset(), back.rspProdPvt());
            back.nextResponse();
        }
        back.pushResponses();
    }

    @ParameterizedTest(name = "start={0}")
    @ValueSource(ints = {0, -3, -20, 0x7FFF_FFF0})
    void reqProdExactlyOneRingAheadIsHonestOneMoreBreaksTheRing(final int start)
    {
        startAt(start);
        exchange(10, 10, 4);
        final int rspProdPvt = back.rspProdPvt();
        page.putInt(REQ_PROD_OFFSET, rspProdPvt + ENTRIES);
        assertEquals(ENTRIES - 10 + 4, back.unconsumedRequests(), "a full ring is legal");
        assertFalse(back.isBroken());

        page.putInt(REQ_PROD_OFFSET, rspProdPvt + ENTRIES + 1);
        assertEquals(BackRing.BROKEN, back.unconsumedRequests());
        assertTrue(back.isBroken());
        assertEquals(rspProdPvt + ENTRIES + 1, back.brokenReqProd());
        assertTrue(back.describe().contains("broken req_prod=" + Integer.toUnsignedString(rspProdPvt + ENTRIES + 1)),
            back.describe());
    }

    @ParameterizedTest(name = "req_prod=rsp_prod_pvt+{0}")
    @ValueSource(ints = {33, 64, 1000, 0x7FFF_FFFF, 0x8000_0000, -1, -32})
    void forgedReqProdBeyondTheRingBreaksItForGood(final int forgedAhead)
    {
        startAt(-7);
        exchange(5, 3, 2);
        final int reqConsBefore = back.reqCons();
        page.putInt(REQ_PROD_OFFSET, back.rspProdPvt() + forgedAhead);

        assertEquals(BackRing.BROKEN, back.unconsumedRequests());
        assertFalse(back.hasUnconsumedRequests());
        assertTrue(back.finalCheckForRequests(), "the final check reports the broken ring as work, not as sleep");
        assertThrows(IllegalStateException.class, () -> back.copyRequest(scratch, 0));
        assertEquals(reqConsBefore, back.reqCons(), "nothing consumed from a broken ring");

        page.putInt(REQ_PROD_OFFSET, front.reqProdPvt());
        assertEquals(BackRing.BROKEN, back.unconsumedRequests(), "restoring req_prod does not unbreak the ring");
    }

    @Test
    void regressionReqProdMovingBackwardsBreaksRing()
    {
        // Found writing this test: req_prod moved back behind req_cons (but not behind rsp_prod_pvt) passed
        // RING_REQUEST_PROD_OVERFLOW, and the unsigned min() in XEN_RING_NR_UNCONSUMED_REQUESTS then offered
        // `room` requests that were never published: stale slots would be served again. netback treats
        // req_prod - req_cons > size as fatal ("Impossible number of requests"); so does BackRing now.
        startAt(-5);
        exchange(10, 10, 4);
        page.putInt(REQ_PROD_OFFSET, back.reqCons() - 1);
        assertEquals(BackRing.BROKEN, back.unconsumedRequests());
        assertTrue(back.isBroken());
    }

    /**
     * A guest writing arbitrary req_prod values: the back ring breaks exactly when the value cannot come from an
     * honest frontend (behind req_cons or more than a ring ahead of rsp_prod_pvt), and otherwise only ever yields
     * slots the value published, never more than it can answer.
     */
    @ParameterizedTest(name = "seed={0}")
    @ValueSource(ints = {11, 12, 13})
    void randomForgedReqProdNeverYieldsUnpublishedSlots(final int seed)
    {
        final Random random = new Random(seed);
        int breaks = 0;
        int served = 0;
        startAt(random.nextInt());
        for (int step = 0; step < 100_000; step++)
        {
            final int rspProdPvt = back.rspProdPvt();
            final int reqCons = back.reqCons();
            final int written;
            switch (random.nextInt(3))
            {
                case 0:
                    written = random.nextInt();
                    break;
                case 1:
                    written = rspProdPvt + random.nextInt(2 * ENTRIES + 8) - ENTRIES - 4;
                    break;
                default:
                    written = reqCons + random.nextInt(ENTRIES - (reqCons - rspProdPvt) + 1);
                    break;
            }
            page.putInt(REQ_PROD_OFFSET, written);
            final boolean honest = Integer.compareUnsigned(written - rspProdPvt, ENTRIES) <= 0
                && Integer.compareUnsigned(written - rspProdPvt, reqCons - rspProdPvt) >= 0;

            final int n = back.unconsumedRequests();
            if (!honest)
            {
                assertEquals(BackRing.BROKEN, n, () -> "written=" + written + " " + back.describe());
                breaks++;
                startAt(random.nextInt());
                continue;
            }
            assertTrue(n >= 0 && n <= written - reqCons && n <= ENTRIES - (reqCons - rspProdPvt),
                () -> "n=" + n + " written=" + written + " " + back.describe());
            assertEquals(Math.min(written - reqCons, ENTRIES - (reqCons - rspProdPvt)), n);
            for (int i = 0; i < n; i++)
            {
                back.copyRequest(scratch, 0);
            }
            served += n;
            for (int i = random.nextInt(back.inFlight() + 1); i > 0; i--)
            {
                back.nextResponse();
            }
            assertTrue(back.inFlight() >= 0 && back.inFlight() <= ENTRIES, back::describe);
        }
        assertTrue(breaks > 10_000 && served > 10_000, "breaks=" + breaks + " served=" + served);
    }

    @Test
    void reqProdEqualToReqConsIsNotBackwards()
    {
        startAt(-5);
        exchange(10, 10, 4);
        assertEquals(0, back.unconsumedRequests());
        assertFalse(back.finalCheckForRequests());
        assertFalse(back.isBroken());
    }

    @Test
    void attachAtResponseProducerRefusesInconsistentPage()
    {
        startAt(-2);
        exchange(8, 8, 8);
        page.putInt(REQ_PROD_OFFSET, page.getInt(RSP_PROD_OFFSET) + ENTRIES + 1);
        final BackRing reattached = new BackRing(page, GEOMETRY);
        assertFalse(reattached.attachAtResponseProducer());
        assertTrue(reattached.isBroken());

        page.putInt(REQ_PROD_OFFSET, page.getInt(RSP_PROD_OFFSET) + 3);
        final BackRing honest = new BackRing(page, GEOMETRY);
        assertTrue(honest.attachAtResponseProducer());
        assertEquals(3, honest.unconsumedRequests());
    }

    @ParameterizedTest(name = "rsp_prod=rsp_cons+{0}")
    @ValueSource(ints = {11, 32, 33, 0x7FFF_FFFF, 0x8000_0000, -1})
    void forgedRspProdIsDetectedByTheFront(final int forgedAhead)
    {
        startAt(-9);
        exchange(20, 20, 10);
        assertEquals(10, front.unconsumedResponses());
        assertFalse(front.responseProducerOverflow(front.rspProd()));

        final int forged = front.rspCons() + forgedAhead;
        page.putInt(RSP_PROD_OFFSET, forged);
        // RING_RESPONSE_PROD_OVERFLOW only knows the ring size: up to ENTRIES ahead passes it (the front's own
        // outstanding count is the stricter bound a frontend applies to the responses' ids).
        assertEquals(Integer.compareUnsigned(forgedAhead, ENTRIES) > 0, front.responseProducerOverflow(forged));
        assertEquals(front.responseProducerOverflow(forged), front.responseProducerOverflow(front.rspProd()));
    }

    @Test
    void rspProdMovingBackwardsIsAnOverflow()
    {
        startAt(-9);
        exchange(20, 20, 10);
        front.copyResponse(scratch, 0);
        front.copyResponse(scratch, 0);
        page.putInt(RSP_PROD_OFFSET, front.rspCons() - 1);
        assertTrue(front.responseProducerOverflow(front.rspProd()));
    }

    /**
     * A seeded exchange is run twice, once with honest event indices and once with a hostile peer scribbling on
     * {@code req_event} and {@code rsp_event} before every push and check. Every request and response, the slots and
     * the producer indices must come out identical; only the notify decisions may differ.
     */
    @ParameterizedTest(name = "seed={0}")
    @ValueSource(ints = {1, 2, 3})
    void garbageEventIndicesOnlyChangeNotifications(final int seed)
    {
        final Transcript honest = runExchange(seed, null);
        final Transcript hostile = runExchange(seed, new Random(~seed));
        assertEquals(honest.transferred, hostile.transferred);
        assertEquals(honest.reqProd, hostile.reqProd);
        assertEquals(honest.rspProd, hostile.rspProd);
        assertTrue(honest.transferred.size() > 2_000, "the exchange moved data: " + honest.transferred.size());
        assertNotEquals(honest.notifies, hostile.notifies, "the garbage did reach the notify decisions");
    }

    private static final class Transcript
    {
        final List<Long> transferred = new ArrayList<>();
        final List<Boolean> notifies = new ArrayList<>();
        int reqProd;
        int rspProd;
    }

    private Transcript runExchange(final int seed, final Random garbage)
    {
        page.setMemory(0, GEOMETRY.ringBytes(), (byte)0);
        startAt(-50);
        final Random random = new Random(seed);
        final Transcript transcript = new Transcript();
        long nextRequest = 0;
        for (int step = 0; step < 3_000; step++)
        {
            scribble(garbage);
            switch (random.nextInt(6))
            {
                case 0:
                    for (int n = random.nextInt(8); n > 0 && !front.isFull(); n--)
                    {
                        page.putLong(front.requestOffset(), nextRequest++);
                        front.nextRequest();
                    }
                    transcript.notifies.add(front.pushRequestsAndCheckNotify());
                    break;
                case 1:
                    for (int n = back.unconsumedRequests(); n > 0; n--)
                    {
                        assertFalse(back.isBroken());
                        back.copyRequest(scratch, 0);
                        transcript.transferred.add(scratch.getLong(0));
                    }
                    break;
                case 2:
                    for (int n = random.nextInt(8); n > 0 && back.inFlight() > 0; n--)
                    {
                        page.putLong(back.responseOffset(), ~(long)back.rspProdPvt());
                        back.nextResponse();
                    }
                    transcript.notifies.add(back.pushResponsesAndCheckNotify());
                    break;
                case 3:
                    final int rspProd = front.rspProd();
                    assertFalse(front.responseProducerOverflow(rspProd));
                    for (int n = rspProd - front.rspCons(); n > 0; n--)
                    {
                        front.copyResponse(scratch, 0);
                        transcript.transferred.add(scratch.getLong(0));
                    }
                    break;
                case 4:
                    transcript.notifies.add(back.finalCheckForRequests());
                    break;
                default:
                    transcript.notifies.add(front.finalCheckForResponses(1 + random.nextInt(4)));
                    break;
            }
        }
        assertFalse(back.isBroken());
        transcript.reqProd = page.getInt(REQ_PROD_OFFSET);
        transcript.rspProd = page.getInt(RSP_PROD_OFFSET);
        return transcript;
    }

    private void scribble(final Random garbage)
    {
        if (garbage != null)
        {
            if (garbage.nextBoolean())
            {
                page.putInt(REQ_EVENT_OFFSET, garbage.nextInt());
            }
            if (garbage.nextBoolean())
            {
                page.putInt(RSP_EVENT_OFFSET, garbage.nextInt());
            }
        }
    }
}
