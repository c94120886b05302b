package io.pvring.event.remote;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import io.pvring.event.EventChannelTable;
import io.pvring.event.EventPort;
import io.pvring.testing.BoundedSpin;

import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_ALLOC_UNBOUND;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_HELLO;
import static io.pvring.event.remote.EvtchnMessageDescriptor.OP_SEND;

/**
 * Hand-run measurement (not a test): the round trip of an event-channel notification through the socket. An
 * in-process backend port notifies; a client thread, acting for the guest, blocks in read() for the event and
 * answers with a send; the backend spins until its pending bit is set. Prints percentiles of the round trip.
 *
 * <pre>
 * mvn -B -q -pl ring dependency:build-classpath -Dmdep.outputFile=/tmp/ring.cp -Dmdep.includeScope=test
 * java -cp ring/target/classes:ring/target/test-classes:$(cat /tmp/ring.cp) io.pvring.event.remote.EvtchnRoundTrip
 * </pre>
 */
public final class EvtchnRoundTrip
{
    private EvtchnRoundTrip()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        final EventChannelTable table = new EventChannelTable();
        table.addDomain(0);
        table.addDomain(1);
        final Path dir = Files.createTempDirectory("evtchn-rtt");
        try (EvtchnServer server = EvtchnServer.start(table, null, dir.resolve("evtchn.sock"));
            EvtchnTestClient guest = EvtchnTestClient.connect(server.socketPath()))
        {
            guest.call(OP_HELLO, 0, 1, 0, 0);
            final long port = guest.call(OP_ALLOC_UNBOUND, 0, 0, 0, 0).port();
            final EventPort backend = table.bindInterdomain(0, 1, (int)port);
            final Thread echo = new Thread(() ->
            {
                while (guest.nextEvent() == port)
                {
                    guest.post(OP_SEND, port, 0, 0, 0);
                }
            }, "guest-echo");
            echo.setDaemon(true);
            echo.start();
            final long[] nanos = new long[rounds];
            for (int i = 0; i < rounds; i++)
            {
                final long start = System.nanoTime();
                backend.notifyRemote();
                for (final BoundedSpin spin = BoundedSpin.upTo(() -> "!backend.consumePending()");
                    !backend.consumePending(); spin.pause())
                {
                }
                nanos[i] = System.nanoTime() - start;
            }
            final long[] measured = Arrays.copyOfRange(nanos, rounds / 2, rounds);
            Arrays.sort(measured);
            System.out.printf("evtchn socket round trip (notify -> event -> send -> pending), %d rounds after %d "
                + "warm-up: p50 %.1f us, p90 %.1f us, p99 %.1f us, %.0f round trips/s%n", measured.length,
                rounds - measured.length, measured[measured.length / 2] / 1e3,
                measured[measured.length * 9 / 10] / 1e3, measured[measured.length * 99 / 100] / 1e3,
                measured.length / (Arrays.stream(measured).sum() / 1e9));
        }
        Files.deleteIfExists(dir);
    }
}
