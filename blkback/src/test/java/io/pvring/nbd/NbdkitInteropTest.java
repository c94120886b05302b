package io.pvring.nbd;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link NbdClient} against nbdkit (memory plugin, error, delay and blocksize-policy filters). */
class NbdkitInteropTest
{
    private static final long WAIT_MS = 20_000;

    /** The data path under test; the event-loop path runs the same tests in a subclass. */
    NbdClientConfig.DataPath dataPath()
    {
        return NbdClientConfig.DataPath.RING;
    }

    NbdClientConfig config()
    {
        return new NbdClientConfig().dataPath(dataPath());
    }

    @TempDir
    Path dir;

    private static UnsafeBuffer offHeap(final int size)
    {
        return new UnsafeBuffer(ByteBuffer.allocateDirect(size));
    }

    private static void pattern(final UnsafeBuffer buffer, final int seed)
    {
        for (int i = 0; i < buffer.capacity(); i++)
        {
            buffer.putByte(i, (byte)(i * 31 + seed + (i >> 9)));
        }
    }

    private static void assertSame(final UnsafeBuffer expected, final UnsafeBuffer actual, final String what)
    {
        for (int i = 0; i < expected.capacity(); i++)
        {
            if (expected.getByte(i) != actual.getByte(i))
            {
                throw new AssertionError(what + ": byte " + i + " expected " + expected.getByte(i) + " got " +
                    actual.getByte(i));
            }
        }
    }

    @Test
    void largeRequestsAreSplitAtTheServersMaximumAndMisalignedOnesRefused() throws Exception
    {
        NbdTools.require("nbdkit", "nbdkit");
        try (NbdkitServer server = NbdkitServer.unix(dir, List.of("blocksize-policy"), List.of("memory",
            "size=16M", "blocksize-minimum=512", "blocksize-preferred=4096", "blocksize-maximum=65536",
            "blocksize-error-policy=error"));
            CompletionLogClient c = CompletionLogClient.connect(server.uri(), config()))
        {
            final NbdExport export = c.client.export();
            assertEquals(16L << 20, export.size());
            assertEquals(512, export.minimumBlockSize());
            assertEquals(4096, export.preferredBlockSize());
            assertEquals(65536, export.maximumPayload());
            assertTrue(export.canFlush() && export.canFua() && export.canTrim() && export.canWriteZeroes(),
                "flags " + export.transmissionFlags());

            // 1 MiB + 512 bytes: 17 NBD requests each way; the server refuses any above 64 KiB.
            final int length = (1 << 20) + 512;
            final UnsafeBuffer data = offHeap(length);
            pattern(data, 7);
            assertEquals(0, c.client.submitWrite(1, 3 * 512, length, data, 0, true));
            c.client.flushBatch();
            c.log.awaitCount(1, WAIT_MS, "split write");
            assertEquals(length, c.log.result(1));
            final UnsafeBuffer back = offHeap(length);
            assertEquals(0, c.client.submitRead(2, 3 * 512, length, back, 0));
            c.client.flushBatch();
            c.log.awaitCount(2, WAIT_MS, "split read");
            assertEquals(length, c.log.result(2));
            assertSame(data, back, "read back");

            assertEquals(NbdErrno.EINVAL, c.client.submitRead(3, 100, 512, back, 0), "offset not a multiple");
            assertEquals(NbdErrno.EINVAL, c.client.submitRead(3, 0, 100, back, 0), "length not a multiple");
            assertEquals(NbdErrno.EINVAL, c.client.submitRead(3, (16L << 20) - 512, 1024, back, 0), "beyond end");
            assertThrows(IllegalArgumentException.class,
                () -> c.client.submitRead(3, 0, 512, new UnsafeBuffer(new byte[512]), 0), "heap memory");

            // Trim and write-zeroes read back as zeros on the memory plugin; flush completes. (NBD does not order
            // overlapping requests in flight together, so the read waits for them.)
            assertEquals(0, c.client.submitTrim(4, 3 * 512, 65536));
            assertEquals(0, c.client.submitWriteZeroes(5, 3 * 512 + 65536, 4096, true, false));
            assertEquals(0, c.client.submitFlush(6));
            c.client.flushBatch();
            c.log.awaitCount(5, WAIT_MS, "trim, zero, flush");
            assertEquals(0, c.client.submitRead(7, 3 * 512, 65536 + 4096 + 512, back, 0));
            c.client.flushBatch();
            c.log.awaitCount(6, WAIT_MS, "read after trim and zero");
            assertEquals(0, c.log.result(4));
            assertEquals(0, c.log.result(5));
            assertEquals(0, c.log.result(6));
            assertEquals(65536 + 4096 + 512, c.log.result(7));
            for (int i = 0; i < 65536 + 4096; i++)
            {
                assertEquals(0, back.getByte(i), "zeroed byte " + i);
            }
            assertEquals(data.getByte(65536 + 4096), back.getByte(65536 + 4096), "first byte after the zeros");
        }
    }

    @Test
    void aFullInFlightTableIsBackPressureAndPipelinedReadsAllComplete() throws Exception
    {
        NbdTools.require("nbdkit", "nbdkit");
        try (NbdkitServer server = NbdkitServer.unix(dir, List.of(), List.of("memory", "size=4M"));
            CompletionLogClient c = CompletionLogClient.connect(server.uri(), config().maxInFlight(16)))
        {
            final UnsafeBuffer back = offHeap(16 * 4096);
            for (int i = 0; i < 16; i++)
            {
                assertEquals(0, c.client.submitRead(i, i * 8192L, 4096, back, i * 4096));
            }
            assertEquals(NbdErrno.EAGAIN, c.client.submitRead(99, 0, 4096, back, 0), "17th with 16 in flight");
            c.client.flushBatch();
            c.log.awaitCount(16, WAIT_MS, "16 pipelined reads");
            for (int i = 0; i < 16; i++)
            {
                assertEquals(4096, c.log.result(i));
            }
            assertEquals(0, c.client.submitRead(16, 0, 4096, back, 0), "slots are free again");
            c.client.flushBatch();
            c.log.awaitCount(17, WAIT_MS, "read after the table drained");
        }
    }

    @Test
    void injectedErrorsAreAnsweredAsErrorsWhileTheConnectionKeepsServing() throws Exception
    {
        NbdTools.require("nbdkit", "nbdkit");
        final Path failReads = dir.resolve("fail-reads");
        try (NbdkitServer server = NbdkitServer.unix(dir, List.of("error"), List.of("memory", "size=4M",
            "error-pread=EIO", "error-pread-rate=1", "error-pread-file=" + failReads));
            CompletionLogClient c = CompletionLogClient.connect(server.uri(), config()))
        {
            final UnsafeBuffer data = offHeap(8192);
            pattern(data, 3);
            assertEquals(0, c.client.submitWrite(1, 0, 8192, data, 0, false));
            c.client.flushBatch();
            c.log.awaitCount(1, WAIT_MS, "write before errors");

            Files.createFile(failReads);
            final UnsafeBuffer back = offHeap(8192);
            assertEquals(0, c.client.submitRead(2, 0, 4096, back, 0));
            assertEquals(0, c.client.submitWrite(3, 8192, 4096, data, 0, false));
            assertEquals(0, c.client.submitRead(4, 4096, 4096, back, 4096));
            c.client.flushBatch();
            c.log.awaitCount(4, WAIT_MS, "reads failing, write passing");
            assertEquals(NbdErrno.EIO, c.log.result(2));
            assertEquals(4096, c.log.result(3));
            assertEquals(NbdErrno.EIO, c.log.result(4));
            assertTrue(c.client.isConnected(), "an EIO reply keeps the connection");

            Files.delete(failReads);
            assertEquals(0, c.client.submitRead(5, 0, 8192, back, 0));
            c.client.flushBatch();
            c.log.awaitCount(5, WAIT_MS, "read after errors stop");
            assertEquals(8192, c.log.result(5));
            assertSame(data, back, "data after the error window");
        }
    }

    @Test
    void outOfOrderRepliesAreMatchedAndAFlushWaitsForTheWritesBeforeIt() throws Exception
    {
        NbdTools.require("nbdkit", "nbdkit");
        // Writes take 1.5 s at the server, reads and flushes none: the server answers the read first, and would
        // answer the flush first too if the client did not hold it behind the writes.
        try (NbdkitServer server = NbdkitServer.unix(dir, List.of("delay"), List.of("memory", "size=4M",
            "delay-write=1500ms"));
            CompletionLogClient c = CompletionLogClient.connect(server.uri(), config()))
        {
            final UnsafeBuffer w1 = offHeap(4096);
            final UnsafeBuffer w2 = offHeap(4096);
            pattern(w1, 11);
            pattern(w2, 12);
            final UnsafeBuffer back = offHeap(8192);
            back.setMemory(0, 8192, (byte)0x5A);
            assertEquals(0, c.client.submitWrite(1, 0, 4096, w1, 0, false));
            assertEquals(0, c.client.submitWrite(2, 4096, 4096, w2, 0, false));
            assertEquals(0, c.client.submitFlush(3));
            assertEquals(0, c.client.submitRead(4, 65536, 8192, back, 0));
            c.client.flushBatch();
            c.log.awaitCount(4, WAIT_MS, "writes, flush, read");
            assertEquals(4096, c.log.result(1));
            assertEquals(4096, c.log.result(2));
            assertEquals(0, c.log.result(3));
            assertEquals(8192, c.log.result(4));
            assertTrue(c.log.position(4) < c.log.position(1) && c.log.position(4) < c.log.position(2),
                "the read overtook the slow writes: " + c.log.describe());
            assertTrue(c.log.position(3) > c.log.position(1) && c.log.position(3) > c.log.position(2),
                "the flush completed after the writes submitted before it: " + c.log.describe());
            for (int i = 0; i < 8192; i++)
            {
                assertEquals(0, back.getByte(i), "read payload went to the read's memory, byte " + i);
            }
            assertEquals(0, c.client.submitRead(5, 0, 8192, back, 0));
            c.client.flushBatch();
            c.log.awaitCount(5, WAIT_MS, "read back");
            assertSame(w1, new UnsafeBuffer(back, 0, 4096), "first write");
            assertSame(w2, new UnsafeBuffer(back, 4096, 4096), "second write");
        }
    }

    @Test
    void aServerKilledMidIoFailsEveryRequestInFlightAndLaterOnes() throws Exception
    {
        NbdTools.require("nbdkit", "nbdkit");
        try (NbdkitServer server = NbdkitServer.unix(dir, List.of("delay"), List.of("memory", "size=4M",
            "delay-write=60"));
            CompletionLogClient c = CompletionLogClient.connect(server.uri(), config()))
        {
            final UnsafeBuffer data = offHeap(8 * 4096);
            for (int i = 0; i < 8; i++)
            {
                assertEquals(0, c.client.submitWrite(i, i * 4096L, 4096, data, i * 4096, false));
            }
            assertEquals(0, c.client.submitFlush(8));
            assertEquals(0, c.client.submitRead(9, 0, 4096, data, 0));
            c.client.flushBatch();
            // The read is not delayed: once it is answered, the writes of its batch are at the server.
            c.log.awaitCount(1, WAIT_MS, "the undelayed read");
            assertEquals(4096, c.log.result(9));

            server.process().kill();
            c.log.awaitCount(10, WAIT_MS, "in-flight writes and the held flush after SIGKILL");
            for (int i = 0; i < 9; i++)
            {
                final int result = c.log.result(i);
                assertTrue(result == NbdErrno.ESHUTDOWN, "request " + i + " got " + NbdErrno.name(result));
            }
            c.log.awaitDisconnected(WAIT_MS);
            assertTrue(c.log.disconnected().contains(server.uri().toString()), c.log.disconnected());
            assertNotNull(c.client.failure());
            assertTrue(!c.client.isConnected());
            assertEquals(NbdErrno.ESHUTDOWN, c.client.submitRead(10, 0, 4096, data, 0));
        }
    }

    @Test
    void aRequestPastItsTimeoutEndsTheConnection() throws Exception
    {
        NbdTools.require("nbdkit", "nbdkit");
        try (NbdkitServer server = NbdkitServer.unix(dir, List.of("delay"), List.of("memory", "size=4M",
            "delay-write=60"));
            CompletionLogClient c = CompletionLogClient.connect(server.uri(),
                config().requestTimeoutMs(300)))
        {
            final UnsafeBuffer data = offHeap(4096);
            assertEquals(0, c.client.submitWrite(1, 0, 4096, data, 0, false));
            c.client.flushBatch();
            c.log.awaitCount(1, WAIT_MS, "timed-out write");
            assertEquals(NbdErrno.ETIMEDOUT, c.log.result(1));
            c.log.awaitDisconnected(WAIT_MS);
            assertTrue(c.log.disconnected().contains("not answered within 300 ms"), c.log.disconnected());
        }
    }

    @Test
    void tcpOnLoopbackRoundTrips() throws Exception
    {
        NbdTools.require("nbdkit", "nbdkit");
        final int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            port = probe.getLocalPort();
        }
        try (NbdkitServer server = NbdkitServer.tcp(dir, port, List.of(), List.of("memory", "size=1M"));
            CompletionLogClient c = CompletionLogClient.connect(NbdUri.parse("nbd://127.0.0.1:" + port + "/"),
                config()))
        {
            assertEquals(server.uri(), c.client.uri());
            final UnsafeBuffer data = offHeap(65536);
            pattern(data, 5);
            final UnsafeBuffer back = offHeap(65536);
            assertEquals(0, c.client.submitWrite(1, 4096, 65536, data, 0, false));
            assertEquals(0, c.client.submitFlush(2));
            c.client.flushBatch();
            c.log.awaitCount(2, WAIT_MS, "write and flush over TCP");
            assertEquals(0, c.client.submitRead(3, 4096, 65536, back, 0));
            c.client.flushBatch();
            c.log.awaitCount(3, WAIT_MS, "read over TCP");
            assertSame(data, back, "TCP round trip");
        }
    }

    @Test
    void unreachableServersAndSilentServersFailWithinTheirBounds() throws Exception
    {
        final NbdUri missing = NbdUri.unix(dir.resolve("no-such.sock").toString(), "x");
        final NbdException noSocket = assertThrows(NbdException.class,
            () -> NbdClient.connect(missing, config(), new CompletionLog()));
        assertTrue(noSocket.getMessage().contains(missing.toString()), noSocket.getMessage());

        final int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            port = probe.getLocalPort();
        }
        final NbdUri closed = NbdUri.tcp("127.0.0.1", port, "");
        final NbdException refused = assertThrows(NbdException.class,
            () -> NbdClient.connect(closed, config(), new CompletionLog()));
        assertTrue(refused.getMessage().contains("unreachable") && refused.getMessage().contains(closed.toString()),
            refused.getMessage());

        // Accepts (the kernel completes the connect) and never says a word.
        try (ServerSocket silent = new ServerSocket())
        {
            silent.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
            final NbdUri uri = NbdUri.tcp("127.0.0.1", silent.getLocalPort(), "disk");
            final NbdException timedOut = assertThrows(NbdException.class, () -> NbdClient.connect(uri,
                config().handshakeTimeoutMs(300), new CompletionLog()));
            assertTrue(timedOut.getMessage().contains("no complete handshake within 300 ms") &&
                timedOut.getMessage().contains(uri.toString()), timedOut.getMessage());
        }
    }

    /** A client with its completion log. */
    static final class CompletionLogClient implements AutoCloseable
    {
        final CompletionLog log;
        final NbdClient client;

        private CompletionLogClient(final CompletionLog log, final NbdClient client)
        {
            this.log = log;
            this.client = client;
        }

        static CompletionLogClient connect(final NbdUri uri, final NbdClientConfig config) throws NbdException
        {
            final CompletionLog log = new CompletionLog();
            return new CompletionLogClient(log, log.drive(NbdClient.connect(uri, config, log)));
        }

        @Override
        public void close()
        {
            client.close();
        }
    }
}
