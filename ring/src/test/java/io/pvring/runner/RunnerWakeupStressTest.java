package io.pvring.runner;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.pvring.event.BlockingIdleStrategy;
import io.pvring.event.EventChannelTable;
import io.pvring.event.EventPort;
import io.pvring.event.WaitMode;
import io.pvring.ring.BackRing;
import io.pvring.ring.FrontRing;
import io.pvring.ring.RingGeometry;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Real rings, real event channels, real runner threads: two frontends (a thread each) send bursts of random size
 * and wait for every answer, sleeping on their own event port, while one runner serves both backends as
 * {@link RingAgent}s, arming their rings only when it lets them sleep. Every burst ends with the backend running
 * dry, so the arm / re-check / sleep / notify / wake sequence races thousands of times. A lost wake-up leaves a
 * frontend asleep with requests unanswered; the watchdog then fails with both rings' indices and the runner's state.
 */
class RunnerWakeupStressTest
{
    private static final int SLOT = 64;
    private static final int REQUESTS = Integer.getInteger("pvring.stress.runnerRequests", 100_000);
    private static final long WATCHDOG_SECONDS = 60;
    private static final int START = -5_000; // indices wrap early in the run

    @ParameterizedTest(name = "{0} pollMaxNanos={1}")
    @CsvSource({"NOTIFY, 32768", "ADAPTIVE, 32768", "ADAPTIVE, 2000"})
    void everyRequestIsAnsweredWithoutAMissedWakeup(final WaitMode mode, final long pollMaxNanos)
    {
        assertTimeoutPreemptively(Duration.ofSeconds(WATCHDOG_SECONDS + 30), () -> run(mode, pollMaxNanos));
    }

    private static void run(final WaitMode mode, final long pollMaxNanos) throws InterruptedException
    {
        final EventChannelTable channels = new EventChannelTable();
        channels.addDomain(0);
        final CopyOnWriteArrayList<Throwable> logged = new CopyOnWriteArrayList<>();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        try (RunnerPool pool = new RunnerPool(new RunnerPoolConfig().runners(1).pollMaxNanos(pollMaxNanos)
            .pollStartNanos(Math.min(RunnerPoolConfig.DEFAULT_POLL_START_NANOS, pollMaxNanos))
            .errorHandler(logged::add).threadNamePrefix("stress-runner-")))
        {
            final Pair[] pairs = {new Pair(channels, 1, 0), new Pair(channels, 2, 1)};
            final Thread[] fronts = new Thread[pairs.length];
            for (int i = 0; i < pairs.length; i++)
            {
                final Pair pair = pairs[i];
                pair.handle = pool.add(pair.backend, mode, (agent, error) -> failure.compareAndSet(null, error));
                fronts[i] = new Thread(() ->
                {
                    try
                    {
                        pair.frontend.run();
                    }
                    catch (final Throwable t)
                    {
                        failure.compareAndSet(null, t);
                    }
                }, "stress-front-" + i);
                fronts[i].setDaemon(true);
                fronts[i].start();
            }
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WATCHDOG_SECONDS);
            for (final Thread front : fronts)
            {
                front.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
            for (final Thread front : fronts)
            {
                if (front.isAlive())
                {
                    fail("watchdog: not finished after " + WATCHDOG_SECONDS + " s (a missed wake-up?) " +
                        pairs[0].dump() + " " + pairs[1].dump() + " " + pool);
                }
            }
            if (failure.get() != null)
            {
                throw new AssertionError(failure.get() + " " + pairs[0].dump() + " " + pairs[1].dump(),
                    failure.get());
            }
            long sleeps = 0;
            for (final Pair pair : pairs)
            {
                assertEquals(REQUESTS, pair.frontend.received, pair.dump());
                assertEquals(START + REQUESTS, pair.backend.ring.reqCons(), pair.dump());
                sleeps += pair.handle.sleeps();
            }
            assertTrue(sleeps > 100, "the backends slept only " + sleeps + " times: the races were not run");
            assertTrue(logged.isEmpty(), logged::toString);
            System.out.printf("runner stress %s pollMaxNanos=%d: %d requests per ring; %s; %s%n", mode,
                pollMaxNanos, REQUESTS, pairs[0].handle, pairs[1].handle);
        }
    }

    /** A frontend and a backend over one ring page, with a bound event channel between them. */
    private static final class Pair
    {
        final Frontend frontend;
        final EchoBackend backend;
        final UnsafeBuffer page;
        volatile AgentHandle handle;

        Pair(final EventChannelTable channels, final int frontDomid, final long seed)
        {
            channels.addDomain(frontDomid);
            final EventPort frontPort = channels.allocUnbound(frontDomid, 0);
            final EventPort backPort = channels.bindInterdomain(0, frontDomid, frontPort.port());
            final RingGeometry geometry = RingGeometry.of(SLOT, 0);
            page = new UnsafeBuffer(ByteBuffer.allocateDirect(geometry.ringBytes()));
            final FrontRing front = new FrontRing(page, geometry).init();
            page.putInt(io.pvring.ring.SharedRingDescriptor.REQ_PROD_OFFSET, START);
            page.putInt(io.pvring.ring.SharedRingDescriptor.RSP_PROD_OFFSET, START);
            page.putInt(io.pvring.ring.SharedRingDescriptor.REQ_EVENT_OFFSET, START + 1);
            page.putIntRelease(io.pvring.ring.SharedRingDescriptor.RSP_EVENT_OFFSET, START + 1);
            front.attach(START);
            frontend = new Frontend(front, frontPort, new SplittableRandom(seed));
            backend = new EchoBackend(new BackRing(page, geometry).attach(START), backPort);
        }

        String dump()
        {
            return "{req_prod=" + page.getIntVolatile(io.pvring.ring.SharedRingDescriptor.REQ_PROD_OFFSET) +
                " req_event=" + page.getIntVolatile(io.pvring.ring.SharedRingDescriptor.REQ_EVENT_OFFSET) +
                " rsp_prod=" + page.getIntVolatile(io.pvring.ring.SharedRingDescriptor.RSP_PROD_OFFSET) +
                " rsp_event=" + page.getIntVolatile(io.pvring.ring.SharedRingDescriptor.RSP_EVENT_OFFSET) +
                " sent=" + frontend.sent + " received=" + frontend.received + " " + backend.ring.describe() +
                " " + handle + '}';
        }
    }

    /** Sends a burst, notifies if the backend asked, then waits for every answer, asleep on its own port. */
    private static final class Frontend
    {
        private final FrontRing ring;
        private final EventPort port;
        private final SplittableRandom random;
        private final BlockingIdleStrategy idle = new BlockingIdleStrategy();
        private final UnsafeBuffer response = new UnsafeBuffer(new byte[SLOT]);
        volatile long sent;
        volatile long received;

        Frontend(final FrontRing ring, final EventPort port, final SplittableRandom random)
        {
            this.ring = ring;
            this.port = port;
            this.random = random;
            port.waiter(idle);
        }

        void run()
        {
            final UnsafeBuffer page = (UnsafeBuffer)ring.buffer();
            long seq = 0;
            long answered = 0;
            while (answered < REQUESTS)
            {
                final int burst = (int)Math.min(REQUESTS - seq, 1 + random.nextInt(ring.size()));
                for (int i = 0; i < burst; i++)
                {
                    page.putLong(ring.requestOffset(), seq++);
                    ring.nextRequest();
                }
                sent = seq;
                if (ring.pushRequestsAndCheckNotify())
                {
                    port.notifyRemote();
                }
                // Sometimes a pause, so the backend's polling window runs out (or not) at random moments.
                final int pause = random.nextInt(4) == 0 ? random.nextInt(20_000) : 0;
                for (int i = 0; i < pause; i++)
                {
                    Thread.onSpinWait();
                }
                while (answered < seq)
                {
                    port.consumePending();
                    final int responses = ring.unconsumedResponses();
                    for (int i = 0; i < responses; i++)
                    {
                        ring.copyResponse(response, 0);
                        final long got = response.getLong(0);
                        if (got != answered)
                        {
                            throw new IllegalStateException("response seq=" + got + " expected=" + answered);
                        }
                        answered++;
                    }
                    received = answered;
                    if (responses == 0 && !ring.finalCheckForResponses())
                    {
                        idle.idle();
                    }
                }
            }
        }
    }

    /** The backend as a ring agent: echoes each request's sequence number, arming only when told to sleep. */
    private static final class EchoBackend implements RingAgent
    {
        private final BackRing ring;
        private final EventPort port;
        private final UnsafeBuffer request = new UnsafeBuffer(new byte[SLOT]);

        EchoBackend(final BackRing ring, final EventPort port)
        {
            this.ring = ring;
            this.port = port;
        }

        @Override
        public int doWork()
        {
            port.consumePending();
            final int available = ring.unconsumedRequests();
            if (available == BackRing.BROKEN)
            {
                throw new IllegalStateException("ring broken: " + ring.describe());
            }
            final int batch = Math.min(available, 16);
            final UnsafeBuffer page = (UnsafeBuffer)ring.buffer();
            for (int i = 0; i < batch; i++)
            {
                ring.copyRequest(request, 0);
                page.putLong(ring.responseOffset(), request.getLong(0));
                ring.nextResponse();
            }
            if (batch > 0 && ring.pushResponsesAndCheckNotify())
            {
                port.notifyRemote();
            }
            return batch;
        }

        @Override
        public boolean armAndCheck()
        {
            return ring.finalCheckForRequests();
        }

        @Override
        public void waker(final AgentWaker waker)
        {
            port.waiter(waker);
        }

        @Override
        public String roleName()
        {
            return "echo-" + port.port();
        }
    }
}
