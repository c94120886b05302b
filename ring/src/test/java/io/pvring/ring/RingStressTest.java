package io.pvring.ring;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A frontend thread and a backend thread over one shared ring with event-index notification suppression, each
 * sleeping on a test-local doorbell (an event channel's pending bit) whenever it has nothing to do, woken only when
 * the peer's push said notify. Every request carries a sequence number and a checksum of its payload and is answered
 * once; the test proves nothing is lost, duplicated, reordered or torn, and that no wake-up is missed: a missed one
 * leaves both threads asleep, which the watchdog reports with the ring's indices.
 *
 * <p>Prints the throughput (requests answered per second, one producer and one consumer thread) for the record; speed
 * is not asserted here (benchmarks live in the bench module).
 */
class RingStressTest
{
    private static final int SLOT = 112;
    private static final int REQUESTS = Integer.getInteger("pvring.stress.requests", 4_000_000);
    private static final long WATCHDOG_SECONDS = 60;
    /** Indices start just below 2^32 so they wrap early in the run. */
    private static final int START = -12_345;

    private static final int SEQ_OFFSET = 0;
    private static final int PAYLOAD_OFFSET = 8;
    private static final int PAYLOAD_LONGS = 12;
    private static final int CHECKSUM_OFFSET = PAYLOAD_OFFSET + PAYLOAD_LONGS * Long.BYTES;
    private static final int RESPONSE_SEQ_OFFSET = 0;
    private static final int RESPONSE_CHECKSUM_OFFSET = 8;

    @ParameterizedTest(name = "order={0} responseBatch={1}")
    @CsvSource({"0, 1", "2, 1", "0, 8", "2, 32"})
    void everyRequestIsAnsweredOnceInOrderWithoutMissedWakeups(final int order, final int responseBatch)
    {
        assertTimeoutPreemptively(Duration.ofSeconds(WATCHDOG_SECONDS + 30), () -> run(order, responseBatch));
    }

    private static void run(final int order, final int responseBatch) throws InterruptedException
    {
        final RingGeometry geometry = RingGeometry.of(SLOT, order);
        final UnsafeBuffer page = new UnsafeBuffer(ByteBuffer.allocateDirect(geometry.ringBytes()));
        final FrontRing front = new FrontRing(page, geometry).init();
        page.putInt(SharedRingDescriptor.REQ_PROD_OFFSET, START);
        page.putInt(SharedRingDescriptor.RSP_PROD_OFFSET, START);
        page.putInt(SharedRingDescriptor.REQ_EVENT_OFFSET, START + 1);
        page.putIntRelease(SharedRingDescriptor.RSP_EVENT_OFFSET, START + 1);
        front.attach(START);
        final BackRing back = new BackRing(page, geometry).attach(START);

        final Doorbell toBack = new Doorbell();
        final Doorbell toFront = new Doorbell();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Frontend frontend = new Frontend(front, toBack, toFront, responseBatch);
        final Backend backend = new Backend(back, toBack, toFront);
        final Thread frontThread = new Thread(guard(frontend, failure, toBack, toFront), "stress-front");
        final Thread backThread = new Thread(guard(backend, failure, toBack, toFront), "stress-back");

        final long startNs = System.nanoTime();
        frontThread.start();
        backThread.start();
        final long deadline = startNs + TimeUnit.SECONDS.toNanos(WATCHDOG_SECONDS);
        frontThread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        backThread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        final long elapsedNs = System.nanoTime() - startNs;
        if (frontThread.isAlive() || backThread.isAlive())
        {
            final String dump = dump(page, front, back, frontend, backend, toBack, toFront);
            toBack.stop();
            toFront.stop();
            frontThread.join(5_000);
            backThread.join(5_000);
            fail("watchdog: not finished after " + WATCHDOG_SECONDS + "s (a missed wake-up?) " + dump);
        }
        if (failure.get() != null)
        {
            throw new AssertionError(failure.get().getMessage() + " "
                + dump(page, front, back, frontend, backend, toBack, toFront), failure.get());
        }

        assertEquals(REQUESTS, frontend.received);
        assertEquals(REQUESTS, backend.answered);
        assertEquals(START + REQUESTS, page.getIntVolatile(SharedRingDescriptor.REQ_PROD_OFFSET));
        assertEquals(START + REQUESTS, page.getIntVolatile(SharedRingDescriptor.RSP_PROD_OFFSET));
        assertEquals(START + REQUESTS, front.rspCons());
        assertEquals(START + REQUESTS, back.reqCons());
        assertFalse(back.isBroken());

        final double seconds = elapsedNs / 1e9;
        System.out.printf(
            "ring stress slot=%d order=%d entries=%d responseBatch=%d: %d requests in %.3f s = %.0f slots/s "
            + "(1 producer + 1 consumer thread); notifies req=%d rsp=%d, sleeps front=%d back=%d%n",
            SLOT, order, geometry.entries(), responseBatch, REQUESTS, seconds, REQUESTS / seconds,
            frontend.requestNotifies, backend.responseNotifies, frontend.sleeps, backend.sleeps);
    }

    private static Runnable guard(
        final Runnable body, final AtomicReference<Throwable> failure, final Doorbell a, final Doorbell b)
    {
        return () ->
        {
            try
            {
                body.run();
            }
            catch (final Throwable t)
            {
                failure.compareAndSet(null, t);
                a.stop();
                b.stop();
            }
        };
    }

    private static String dump(
        final UnsafeBuffer page, final FrontRing front, final BackRing back, final Frontend frontend,
        final Backend backend, final Doorbell toBack, final Doorbell toFront)
    {
        return "{req_prod=" + Integer.toUnsignedString(page.getIntVolatile(SharedRingDescriptor.REQ_PROD_OFFSET))
            + " req_event=" + Integer.toUnsignedString(page.getIntVolatile(SharedRingDescriptor.REQ_EVENT_OFFSET))
            + " rsp_prod=" + Integer.toUnsignedString(page.getIntVolatile(SharedRingDescriptor.RSP_PROD_OFFSET))
            + " rsp_event=" + Integer.toUnsignedString(page.getIntVolatile(SharedRingDescriptor.RSP_EVENT_OFFSET))
            + " front.reqProdPvt=" + Integer.toUnsignedString(front.reqProdPvt())
            + " front.rspCons=" + Integer.toUnsignedString(front.rspCons())
            + " " + back.describe()
            + " sent=" + frontend.sent + " received=" + frontend.received + " answered=" + backend.answered
            + " toBack.pending=" + toBack.pending.get() + " toFront.pending=" + toFront.pending.get() + '}';
    }

    /** Splitmix64: the payload is a function of the sequence number, so both ends can check it. */
    private static long mix(final long x)
    {
        long z = x + 0x9E37_79B9_7F4A_7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }

    private static long checksum(final UnsafeBuffer buffer, final int offset)
    {
        long sum = buffer.getLong(offset + SEQ_OFFSET);
        for (int i = 0; i < PAYLOAD_LONGS; i++)
        {
            sum = Long.rotateLeft(sum, 7) ^ buffer.getLong(offset + PAYLOAD_OFFSET + i * Long.BYTES);
        }
        return sum;
    }

    /** The test's event channel: a pending bit plus park/unpark; a notification is never lost, only coalesced. */
    private static final class Doorbell
    {
        private final AtomicBoolean pending = new AtomicBoolean();
        private volatile Thread waiter;
        private volatile boolean stopped;

        void ring()
        {
            if (!pending.getAndSet(true))
            {
                final Thread thread = waiter;
                if (thread != null)
                {
                    LockSupport.unpark(thread);
                }
            }
        }

        /** Sleeps until {@link #ring()} was called (possibly before this call); no timeout, so a lost ring hangs. */
        void await()
        {
            waiter = Thread.currentThread();
            while (!pending.getAndSet(false))
            {
                if (stopped)
                {
                    throw new IllegalStateException("stopped while waiting");
                }
                LockSupport.park(this);
            }
        }

        void stop()
        {
            stopped = true;
            final Thread thread = waiter;
            if (thread != null)
            {
                LockSupport.unpark(thread);
            }
        }
    }

    private static final class Frontend implements Runnable
    {
        private final FrontRing ring;
        private final Doorbell toBack;
        private final Doorbell toFront;
        private final int responseBatch;
        private final UnsafeBuffer response = new UnsafeBuffer(new byte[SLOT]);
        private final UnsafeBuffer expected = new UnsafeBuffer(new byte[SLOT]);
        private volatile long sent;
        private volatile long received;
        private long requestNotifies;
        private long sleeps;

        Frontend(final FrontRing ring, final Doorbell toBack, final Doorbell toFront, final int responseBatch)
        {
            this.ring = ring;
            this.toBack = toBack;
            this.toFront = toFront;
            this.responseBatch = responseBatch;
        }

        @Override
        public void run()
        {
            final UnsafeBuffer page = (UnsafeBuffer)ring.buffer();
            long nextSeq = 0;
            long nextResponse = 0;
            while (nextResponse < REQUESTS)
            {
                int produced = 0;
                while (nextSeq < REQUESTS && !ring.isFull())
                {
                    writeRequest(page, ring.requestOffset(), nextSeq++);
                    ring.nextRequest();
                    produced++;
                }
                if (produced > 0)
                {
                    sent = nextSeq;
                    if (ring.pushRequestsAndCheckNotify())
                    {
                        requestNotifies++;
                        toBack.ring();
                    }
                }

                final int rspProd = ring.rspProd();
                if (ring.responseProducerOverflow(rspProd))
                {
                    throw new IllegalStateException("rsp_prod overflow: rsp_prod=" + rspProd);
                }
                final int responses = rspProd - ring.rspCons();
                for (int i = 0; i < responses; i++)
                {
                    ring.copyResponse(response, 0);
                    final long seq = response.getLong(RESPONSE_SEQ_OFFSET);
                    if (seq != nextResponse)
                    {
                        throw new IllegalStateException("response seq=" + seq + " expected=" + nextResponse);
                    }
                    writeRequest(expected, 0, seq);
                    if (response.getLong(RESPONSE_CHECKSUM_OFFSET) != checksum(expected, 0))
                    {
                        throw new IllegalStateException("response checksum mismatch seq=" + seq);
                    }
                    nextResponse++;
                }
                received = nextResponse;

                if (produced == 0 && responses == 0)
                {
                    // Nothing to send (ring full or all sent) and nothing received: requests are outstanding.
                    final int outstanding = (int)(nextSeq - nextResponse);
                    if (!ring.finalCheckForResponses(Math.min(responseBatch, outstanding)))
                    {
                        sleeps++;
                        toFront.await();
                    }
                }
            }
        }

        private static void writeRequest(final UnsafeBuffer buffer, final int offset, final long seq)
        {
            buffer.putLong(offset + SEQ_OFFSET, seq);
            for (int i = 0; i < PAYLOAD_LONGS; i++)
            {
                buffer.putLong(offset + PAYLOAD_OFFSET + i * Long.BYTES, mix(seq * PAYLOAD_LONGS + i));
            }
            buffer.putLong(offset + CHECKSUM_OFFSET, checksum(buffer, offset));
        }
    }

    private static final class Backend implements Runnable
    {
        private final BackRing ring;
        private final Doorbell toBack;
        private final Doorbell toFront;
        private final UnsafeBuffer request = new UnsafeBuffer(new byte[SLOT]);
        private volatile long answered;
        private long responseNotifies;
        private long sleeps;

        Backend(final BackRing ring, final Doorbell toBack, final Doorbell toFront)
        {
            this.ring = ring;
            this.toBack = toBack;
            this.toFront = toFront;
        }

        @Override
        public void run()
        {
            final UnsafeBuffer page = (UnsafeBuffer)ring.buffer();
            long expectedSeq = 0;
            while (expectedSeq < REQUESTS)
            {
                final int requests = ring.unconsumedRequests();
                if (requests == BackRing.BROKEN)
                {
                    throw new IllegalStateException("ring broken: " + ring.describe());
                }
                for (int i = 0; i < requests; i++)
                {
                    ring.copyRequest(request, 0);
                    final long seq = request.getLong(SEQ_OFFSET);
                    if (seq != expectedSeq)
                    {
                        throw new IllegalStateException("request seq=" + seq + " expected=" + expectedSeq);
                    }
                    final long sum = checksum(request, 0);
                    if (request.getLong(CHECKSUM_OFFSET) != sum)
                    {
                        throw new IllegalStateException("request checksum mismatch seq=" + seq);
                    }
                    final int offset = ring.responseOffset();
                    page.putLong(offset + RESPONSE_SEQ_OFFSET, seq);
                    page.putLong(offset + RESPONSE_CHECKSUM_OFFSET, sum);
                    ring.nextResponse();
                    expectedSeq++;
                }
                if (requests > 0)
                {
                    answered = expectedSeq;
                    if (ring.pushResponsesAndCheckNotify())
                    {
                        responseNotifies++;
                        toFront.ring();
                    }
                }
                else if (!ring.finalCheckForRequests())
                {
                    sleeps++;
                    toBack.await();
                }
            }
        }
    }
}
